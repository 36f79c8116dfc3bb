"""Extract stage: decoding, headline/body/canonical on small hand-written pages, page kinds, caps."""

from __future__ import annotations

import time

import pytest

from pipelines.items import Article, Dropped
from pipelines.page import Counts
from pipelines import extract as extract_mod
from pipelines.extract import ExtractStage, canonical_url, extract, normalize_url, parse
from pipelines.html import decode_html

PARAS = [
    "Le Maroc et le Kazakhstan ont signé vendredi à Rabat une feuille de route qui couvre le commerce, "
    "la logistique, l'énergie et la formation des diplomates des deux pays.",
    "Les deux ministres ont salué des relations qu'ils jugent solides et ont convenu de se retrouver à "
    "Astana au printemps pour faire le point sur les premiers projets.",
    "Un groupe de travail mixte se réunira chaque trimestre afin de suivre les échanges agricoles, en "
    "particulier les engrais et le blé, dont les volumes doivent doubler.",
]


def page(body: str, *, title: str = "Accord entre Rabat et Astana - Le Courrier", head: str = "",
         body_class: str = "single single-post postid-7", lang: str = "fr") -> str:
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
            f'<meta property="og:site_name" content="Le Courrier">{head}</head>'
            f'<body class="{body_class}">{body}</body></html>')


def article_page(inner: str, **kw) -> str:
    return page(f'<header class="site-header"><nav><a href="/">Accueil</a></nav></header>'
                f'<article><h1 class="entry-title">Accord entre Rabat et Astana</h1>'
                f'<div class="entry-content">{inner}</div></article>', **kw)


def paras(*texts: str) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


# -- decoding ---------------------------------------------------------------------------------------
ARABIC = "اتفق المغرب وكازاخستان على تعزيز التعاون الاقتصادي والثقافي بين البلدين خلال السنوات المقبلة"
RUSSIAN = "Марокко и Казахстан договорились расширить торговлю зерном и удобрениями в ближайшие годы"


def test_header_charset_wins_over_meta():
    body = f'<html><head><meta charset="utf-8"></head><body><p>{RUSSIAN}</p></body></html>'.encode("cp1251")
    assert RUSSIAN in decode_html(body, "text/html; charset=windows-1251")


def test_meta_charset_used_without_header():
    body = f'<html><head><meta charset="windows-1256"></head><body><p>{ARABIC}</p></body></html>'.encode("cp1256")
    assert ARABIC in decode_html(body, "text/html")


@pytest.mark.parametrize("text, codec", [(ARABIC * 3, "cp1256"), (RUSSIAN * 3, "cp1251")])
def test_undeclared_single_byte_pages_are_detected(text, codec):
    body = f"<html><head><title>x</title></head><body><p>{text}</p></body></html>".encode(codec)
    assert text in decode_html(body, None)


def test_undeclared_utf8_stays_utf8():
    body = f"<html><body><p>{ARABIC} {RUSSIAN} café</p></body></html>".encode()
    assert "café" in decode_html(body, "text/html")


# -- title and body ---------------------------------------------------------------------------------
def test_headline_without_site_name_and_not_repeated_in_text():
    result = extract(article_page(paras(*PARAS)), "https://courrier.example/2025/03/accord/")
    assert result.title == "Accord entre Rabat et Astana"
    assert result.text.split("\n") == PARAS
    assert result.page_kind == "article"
    assert result.html_lang == "fr"


def test_title_falls_back_to_og_title_then_title_without_site():
    no_h1 = page(f'<article><div class="entry-content">{paras(*PARAS)}</div></article>',
                 head='<meta property="og:title" content="Accord signé à Rabat">')
    assert extract(no_h1, "https://courrier.example/a/").title == "Accord signé à Rabat"
    bare = page(f'<article><div class="entry-content">{paras(*PARAS)}</div></article>')
    assert extract(bare, "https://courrier.example/a/").title == "Accord entre Rabat et Astana"


def test_read_also_box_splits_article_and_both_halves_survive():
    inner = (paras(PARAS[0]) + '<p><strong>Lire aussi :</strong> <a href="/x/">Le Maroc double ses ventes de phosphate</a></p>'
             + paras(PARAS[1]) + '<div class="box"><h4>اقرأ أيضاً</h4><ul><li><a href="/y/">عنوان آخر لا علاقة له</a></li></ul></div>'
             + paras(PARAS[2]))
    result = extract(article_page(inner), "https://courrier.example/a/")
    assert result.text.split("\n") == PARAS
    assert "phosphate" not in result.text and "عنوان" not in result.text


@pytest.mark.parametrize("label", ["Leggi anche", "Читайте также", "Lea también", "Read also", "Оқи отырыңыз"])
def test_read_also_labels_in_each_language(label):
    inner = paras(PARAS[0]) + f'<p>{label}: <a href="/z/">Unrelated headline here</a></p>' + paras(PARAS[1], PARAS[2])
    result = extract(article_page(inner), "https://courrier.example/a/")
    assert "Unrelated headline" not in result.text
    assert result.text.split("\n") == PARAS


def test_comments_in_non_standard_markup_and_ads_are_dropped():
    inner = (paras(PARAS[0]) + '<div class="td-a-rec"><span>- Publicité -</span></div>' + paras(PARAS[1])
             + '<div class="stream-item"><span>Publicité gauche</span></div>' + paras(PARAS[2])
             + '<div class="post-share"><a>Partager</a><a>Facebook</a></div>')
    html = article_page(inner).replace(
        "</article>",
        '<section class="talk"><h3>3 réactions</h3><div class="voice"><b>Karim</b>'
        "<div>Enfin une bonne nouvelle pour les exportateurs de la région du Souss, bravo.</div></div></section>"
        '<div class="box-x"><h3>LAISSER UN COMMENTAIRE</h3><p>S\'il vous plaît entrez votre commentaire!</p></div>'
        "</article>")
    result = extract(html, "https://courrier.example/a/")
    assert result.text.split("\n") == PARAS


def test_headings_kept_as_their_own_lines():
    inner = paras(PARAS[0]) + "<h2>Un partenariat économique</h2>" + paras(PARAS[1], PARAS[2])
    result = extract(article_page(inner), "https://courrier.example/a/")
    assert result.text.split("\n") == [PARAS[0], "Un partenariat économique", PARAS[1], PARAS[2]]


def test_script_looking_text_in_the_article_is_kept_as_text():
    quoted = "Le rapport cite la ligne <script>alert('kz')</script> trouvée dans un courriel frauduleux."
    inner = paras(PARAS[0]) + "<p>Le rapport cite la ligne &lt;script&gt;alert('kz')&lt;/script&gt; trouvée dans un courriel frauduleux.</p>" + paras(PARAS[1])
    result = extract(article_page(inner), "https://courrier.example/a/")
    assert quoted in result.text.split("\n")


def test_rtl_and_mixed_direction_text():
    arabic = [
        "وقّع المغرب وكازاخستان يوم الجمعة في الرباط خارطة طريق تشمل التجارة والطاقة والتكوين الدبلوماسي بين البلدين.",
        "وقال الوزير إن صادرات الفوسفاط (OCP) نحو أستانا قد تتضاعف بحلول 2027، حسب بيان مشترك نُشر بالمناسبة.",
    ]
    html = (f'<html lang="ar" dir="rtl"><head><meta charset="utf-8"><title>خارطة طريق مغربية كازاخية - أطلس</title></head>'
            f'<body class="single"><article><h1>خارطة طريق مغربية كازاخية</h1><div class="entry-content">{paras(*arabic)}'
            f'<div class="post-components"><h3>مقالات ذات صلة</h3></div><div id="go-to-top">زر الذهاب إلى الأعلى</div></div></article></body></html>')
    result = extract(html, "https://atlas.example/a/")
    assert result.title == "خارطة طريق مغربية كازاخية"
    assert result.text.split("\n") == arabic


def test_malformed_html_still_yields_the_article():
    html = ("<html><head><title>Accord entre Rabat et Astana - Le Courrier</title><body><table><tr><td>"
            "<div class=content><h1>Accord entre Rabat et Astana</h2>"
            + "".join(f"<p>{t}" for t in PARAS[:2]) + "</div></td><div class=ad>Publicité</span></p>"
            + f"<p>{PARAS[2]}</font></td></tr></table></table></div>")
    result = extract(html, "https://courrier.example/a/")
    assert result.page_kind == "article"
    assert result.title == "Accord entre Rabat et Astana"
    assert all(p in result.text for p in PARAS)


# -- canonical URL ----------------------------------------------------------------------------------
def test_canonical_link_then_og_url_then_fetched_url():
    head = '<link rel="canonical" href="/2025/03/accord/?utm_source=fb#comments">'
    assert canonical_url(parse(page("<p>x</p>", head=head)), "https://c.example/?p=12") == "https://c.example/2025/03/accord/"
    og = '<meta property="og:url" content="https://C.example:443/2025/03/accord/">'
    assert canonical_url(parse(page("<p>x</p>", head=og)), "https://c.example/?p=12") == "https://c.example/2025/03/accord/"
    assert canonical_url(parse(page("<p>x</p>")), "http://c.example/a/?id=4&utm_medium=x&fbclid=1#top") == "http://c.example/a/?id=4"


def test_canonical_pointing_home_from_an_article_is_ignored():
    head = '<link rel="canonical" href="https://c.example/">'
    assert canonical_url(parse(page("<p>x</p>", head=head)), "https://c.example/2025/03/accord/") == "https://c.example/2025/03/accord/"


def test_normalize_url_keeps_scheme_and_real_params():
    assert normalize_url("HTTP://Example.ORG:80/news?id=3&utm_campaign=z#x") == "http://example.org/news?id=3"


# -- page kinds -------------------------------------------------------------------------------------
TEASERS = "".join(f'<article class="post"><h2><a href="/a{i}/">Titre {i}</a></h2><p>Résumé {i}</p></article>' for i in range(8))


@pytest.mark.parametrize("html, url, kind", [
    (page(TEASERS, body_class="home blog"), "https://c.example/", "listing"),
    (page(TEASERS, body_class=""), "https://c.example/category/politique/", "listing"),
    (page(TEASERS, body_class="", title="Actualités"), "https://c.example/actualites/", "listing"),
    (page(TEASERS, body_class="search search-results"), "https://c.example/?s=maroc", "search"),
    (page(TEASERS, body_class="archive tag tag-maroc"), "https://c.example/tag/maroc/", "tag"),
    (page("<h1>Oops! Page not found</h1><p>Sorry.</p>", body_class="error404"), "https://c.example/x/", "not-found"),
    (page("<h1>Страница не найдена</h1>", title="Страница не найдена", body_class=""), "https://c.example/x/", "not-found"),
    (page('<div id="challenge-form">Checking your browser</div>', title="Just a moment...", body_class=""), "https://c.example/a/", "challenge"),
    (page('<div class="consent-wall"><h2>Avant de continuer</h2><button>Accepter</button></div>', title="Le Courrier", body_class=""), "https://c.example/a/", "challenge"),
    # the challenge test lower-cases before matching: any case in markup or title still counts
    (page('<div class="G-RECAPTCHA">Please wait</div>', title="Le Courrier", body_class=""), "https://c.example/a/", "challenge"),
    (page("<p>Un instant.</p>", title="JUST A MOMENT...", body_class=""), "https://c.example/a/", "challenge"),
    ("", "https://c.example/a/", "empty"),
    ("%PDF-1.7 binary stream endobj", "https://c.example/a.pdf", "non-html"),
])
def test_page_kinds(html, url, kind):
    assert extract(html, url).page_kind == kind


def test_article_with_listing_chrome_is_still_an_article():
    html = article_page(paras(*PARAS)).replace("</article>", f"</article><aside class='related'>{TEASERS}</aside>")
    assert extract(html, "https://c.example/2025/03/accord/").page_kind == "article"


# -- the pipeline stage -----------------------------------------------------------------------------
def run(pipeline: ExtractStage, html: str, url: str = "https://c.example/2025/03/accord/") -> Article:
    return pipeline.process_item(Article(url=url, html=html))


def test_stage_fills_fields_and_counts():
    stats = Counts()
    item = run(ExtractStage(stats=stats), article_page(paras(*PARAS)))
    assert item["title"] == "Accord entre Rabat et Astana" and item["page_kind"] == "article"
    assert item["canonical_url"] == "https://c.example/2025/03/accord/"
    assert stats.get("newsmon/extract/article") == 1


def test_stage_drops_listing_and_short_bodies_with_reasons():
    stats = Counts()
    pipeline = ExtractStage(min_text_chars=200, stats=stats)
    with pytest.raises(Dropped, match=r"not an article \(listing\): https://c.example/"):
        run(pipeline, page(TEASERS, body_class="home"), "https://c.example/")
    with pytest.raises(Dropped, match="body shorter than 200"):
        run(pipeline, article_page(paras("Texte trop court pour être un article.")))
    assert stats.get("newsmon/extract/not-article/listing") == 1
    assert stats.get("newsmon/extract/too-short") == 1


def test_huge_page_is_refused_quickly_and_counted():
    stats = Counts()
    huge = article_page(paras(*PARAS) + "<p>" + "x" * 20_000_000 + "</p>")
    started = time.monotonic()
    with pytest.raises(Dropped, match="larger than 5000000 bytes"):
        run(ExtractStage(stats=stats), huge)
    assert time.monotonic() - started < 1.0
    assert stats.get("newsmon/extract/too-large") == 1


def test_slow_extraction_is_cut_at_the_timeout(monkeypatch):
    def slow(html, url, overrides=None, raw=None, keep_found=False):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            pass
        raise AssertionError("time cap did not fire")

    monkeypatch.setattr(extract_mod, "extract", slow)
    stats = Counts()
    started = time.monotonic()
    with pytest.raises(Dropped, match="extraction exceeded 0.2s"):
        run(ExtractStage(timeout=0.2, stats=stats), article_page(paras(*PARAS)))
    assert time.monotonic() - started < 2
    assert stats.get("newsmon/extract/timeout") == 1


def test_extraction_error_is_counted_not_raised(monkeypatch):
    monkeypatch.setattr(extract_mod, "extract", lambda html, url, overrides=None: 1 / 0)
    stats = Counts()
    with pytest.raises(Dropped, match="extraction failed"):
        run(ExtractStage(stats=stats), article_page(paras(*PARAS)))
    assert stats.get("newsmon/extract/error") == 1


def test_trafilatura_options_are_those_a_fresh_extractor_gets():
    """The options are copied from one built at import with the page's address set: every
    setting equals what ``Extractor(..., url=url)`` gives, and a copy never changes the next."""
    from trafilatura.settings import Extractor

    from pipelines.extract import plain_options, trafilatura_options

    for url in ("https://news.example/a/1.html", "http://h/é/ü?q=1", "", None, "http://x/\udcff"):
        pairs = ((trafilatura_options(url), Extractor(output_format="python", precision=True, comments=False, tables=True,
                                                      fast=True, url=url)),
                 (plain_options(url), Extractor(output_format="python", comments=False, tables=True, url=url)))
        for ours, fresh in pairs:
            assert {slot: getattr(ours, slot, None) for slot in Extractor.__slots__} == \
                {slot: getattr(fresh, slot, None) for slot in Extractor.__slots__}, url
    assert trafilatura_options("https://a.example/").url != trafilatura_options("https://b.example/").url


def test_all_language_stoplist_is_built_once_with_the_same_words() -> None:
    """trafilatura's plain run hands jusText the stopwords of every language; newsmon holds them
    once, as the frozenset jusText would make of them (same words, same verdicts), not twice."""
    import justext.core
    import trafilatura.external
    from justext.utils import get_stoplist, get_stoplists

    import pipelines.extract  # noqa: F401  (installs the shared stoplist)

    words = trafilatura.external.jt_stoplist_init()
    theirs = tuple({word for language in get_stoplists() for word in get_stoplist(language)})  # trafilatura's own
    assert isinstance(words, frozenset) and words == frozenset(word.lower() for word in theirs)
    assert len(words) > 100_000 and trafilatura.external.JT_STOPLIST is words
    assert justext.core.define_stoplist(words) is words  # not copied beside the tuple
    assert trafilatura.external.jt_stoplist_init() is words  # built once
    assert justext.core.define_stoplist(("The", "De")) == frozenset({"the", "de"})  # other stoplists as before
