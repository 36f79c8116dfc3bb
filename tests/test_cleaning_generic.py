"""Generic pre-cleaning rules found by the held-out pages: none of them may cost the article."""

from __future__ import annotations

from pipelines.cleaning import is_read_also, is_weather_line
from pipelines.extract import extract

PARAS = "".join(f"<p>Le Maroc et le Kazakhstan renforcent leur coopération dans le domaine numéro {i}, "
                "selon un communiqué publié ce lundi par les deux ministères des affaires étrangères.</p>"
                for i in range(6))


def test_a_body_class_that_looks_like_clutter_does_not_empty_the_page() -> None:
    html = (f'<html lang="fr"><head><title>Accord - Site</title></head><body class="one-sidebar sidebar-second '
            f'off-canvas-menu-init"><div class="node"><h1>Accord</h1>{PARAS}</div></body></html>')
    assert len(extract(html, "https://d.example/node/1").text) > 500


def test_a_page_wide_form_is_a_wrapper_not_clutter() -> None:
    html = (f'<html lang="fr"><head><title>Accord - Site</title></head><body><form id="form1">'
            f'<div class="menu"><a href="/">Accueil</a></div><div class="NewsText"><h1>Accord</h1>{PARAS}</div>'
            f'</form></body></html>')
    text = extract(html, "https://d.example/News.aspx?id=1").text
    assert len(text) > 500 and "Accueil" not in text


def test_double_breaks_become_paragraphs() -> None:
    body = "<br /><br />".join(f"Paragraphe {i} : le Maroc et le Kazakhstan signent un accord sur le blé et les engrais."
                               for i in range(5))
    html = (f'<html lang="fr"><head><title>Accord - Site</title></head><body><table><tr><td><h1>Accord</h1>'
            f'<span id="lblDetails">{body}</span></td></tr></table></body></html>')
    text = extract(html, "https://d.example/News.aspx?id=2").text
    assert text.count("\n") >= 4 and "Paragraphe 4" in text


def test_labels_and_widgets() -> None:
    assert is_read_also("Potrebbe interessarti anche: La biblioteca riapre")
    assert not is_read_also("Potrebbe interessarti sapere che il Marocco esporta fosfati")
    assert is_weather_line("مراكش: 22 درجة، غائم جزئيا") and is_weather_line("23 C Marrakech")
    assert not is_weather_line("Le thermomètre a dépassé 45 degrés à Marrakech ce mardi après-midi")


def test_camelcase_clutter_names_are_recognised() -> None:
    html = (f'<html lang="fr"><head><title>Accord - Site</title></head><body><div class="ArticleBody">'
            f'<h1>Accord</h1>{PARAS}</div><div class="SideBox NewsLetterBox"><div class="BoxTitle">Lettre</div>'
            f'<p>Recevez chaque matin le résumé des nouvelles de Casablanca dans votre boîte mail.</p></div>'
            f'</body></html>')
    assert "Recevez chaque matin" not in extract(html, "https://d.example/a").text


def test_a_blog_name_h1_is_not_the_headline_but_an_ambiguous_one_is_kept() -> None:
    blog = (f"<html><head><meta property='og:title' content='Un accord sur le blé entre Rabat et Astana'/>"
            f"<title>Le Carnet de Rabat: Un accord sur le blé entre Rabat et Astana</title></head><body>"
            f"<h1>Le Carnet de Rabat</h1><div class='post-body'>{PARAS}</div></body></html>")
    assert extract(blog, "https://b.example/p").title == "Un accord sur le blé entre Rabat et Astana"
    plain = (f"<html><head><title>Maroc et Kazakhstan : la feuille de route signée à Rabat</title></head><body>"
             f"<article><h1>Maroc et Kazakhstan</h1>{PARAS}</article></body></html>")
    assert extract(plain, "https://b.example/q").title == "Maroc et Kazakhstan"


def test_label_normalisation_equals_the_reference():
    """normalize_label's faster form (precompiled patterns, the alef/yeh table applied only where
    those letters occur, str.split for \\s+) equals the first one on every code point, alone and
    around spaces and letters, and on random text."""
    import random
    import re
    import unicodedata

    from pipelines.cleaning import _LABEL_TRAIL, _normalize_label

    def reference(text: str) -> str:
        text = unicodedata.normalize("NFKC", text).casefold()
        text = re.sub(r"[\u064b-\u065f\u0670\u0640]", "", text)
        text = text.translate(str.maketrans("أإآٱىۀ", "ااااية"))
        return re.sub(r"\s+", " ", text).strip(_LABEL_TRAIL + " ")

    for start in range(0, 0x110000, 4096):
        chars = [chr(cp) for cp in range(start, min(start + 4096, 0x110000))]
        for text in (" ".join(chars), "ا".join(chars)):
            assert _normalize_label(text) == reference(text), f"code points from U+{start:04X}"
    rnd = random.Random(16)
    pool = "أإآٱىۀ ـًٌَ\t\n:.-»اب Ab\u00a0\u2003\x1c\x1f\x85"
    for _ in range(3000):
        text = "".join(rnd.choice(pool) if rnd.random() < 0.7 else chr(rnd.randrange(0x110000))
                       for _ in range(rnd.randint(0, 30)))
        assert _normalize_label(text) == reference(text), repr(text)
