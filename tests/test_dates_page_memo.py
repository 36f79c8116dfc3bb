"""The page's remembered answers (excluded zones, teaser cards) equal the plain functions' on
every element of many pages, and the page htmldate reads (its zones taken out for the call) is
the copy it read before, the page intact after: these only save repeated work."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lxml import etree

from newsmon.sample_site import catalog, render
from pipelines.dates import page as P
from pipelines.dates.normalize import ParsedDate  # noqa: F401 - the module under test imports it
from pipelines.html import decode_html, parse

PAGES = Path(__file__).parent / "fixtures" / "dates" / "pages"
FETCHED = datetime(2025, 3, 21, 10, 0, tzinfo=timezone.utc)

# A page built for the memo: nested excluded zones, a site header holding the headline, a
# sidebar inside the article, cards linking away and back to the page itself, comments.
NESTED = """<html><head><title>Wheat exports rise again this spring</title></head><body>
<header class="site-header"><h1>Wheat exports rise again this spring</h1>
  <span class="date">20 mars 2025</span></header>
<div class="page-wrap"><main>
  <article class="post">
    <div class="entry-meta"><time datetime="2025-03-20T08:00:00Z">20 mars</time></div>
    <aside class="box"><div><time datetime="2025-03-01">1 mars</time></div></aside>
    <div class="widget-area"><div class="inner"><p class="date">2 mars 2025</p></div></div>
    <div class="entry-content"><p>Le 12 mars 2025, la récolte…</p>
      <div class="byline">Publié le 20 mars 2025</div></div>
  </article>
  <div class="more">
    <div class="card"><div><span class="time">3 mars 2025</span></div>
      <a href="https://steppe.example/other-story">Another story with many words in it</a></div>
    <section><div class="card"><div><span class="time">4 mars 2025</span></div>
      <a href="https://www.steppe.example/wheat?utm=1#top">Back to this very page again now</a></div></section>
    <section><div class="card"><div><span class="time">5 mars 2025</span></div>
      <a href="#comments">Jump to the comments below here</a><a href="/x">Short</a></div></section>
  </div>
  <section class="comments"><div class="comment"><span class="date">21 mars 2025</span></div></section>
  <header class="article-header"><span class="posted">19 mars 2025</span></header>
  <div class="top-header"><span class="posted">18 mars 2025</span></div>
</main></div>
<footer><p class="date">© 2025</p></footer>
<!-- a comment node --><div><?pi stuff?><span class="clock">10:00</span></div>
</body></html>"""


def _pages() -> list[tuple[object, str]]:
    pages = [(parse(NESTED), "https://steppe.example/wheat"), (parse(NESTED), "")]
    for path in sorted(PAGES.glob("*.html")):
        pages.append((parse(path.read_text(encoding="utf-8")), "https://detroit.example/" + path.stem))
    for article in catalog.load_articles():
        body, ctype = render.render_article(article.slug, article.published + timedelta(days=1))
        pages.append((parse(decode_html(body, ctype)), "http://127.0.0.1:8000" + article.path))
    return pages


def _old_excluded(el, holds_headline) -> bool:
    """The excluded-zone test as written before its answers were remembered."""
    for node in (el, *el.iterancestors()):
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("body", "html"):
            break
        if holds_headline(node):
            continue
        if tag in P._EXCLUDED_TAGS:
            return True
        if tag == "header" and P._site_header(node, holds_headline):
            return True
        words = P._words(node)
        if P._EXCLUDED.search(words):
            return True
        if any(not P._ARTICLE_HEADER.search(w) for w in P._HEADER_WORD.findall(words)):
            return True
    return False


def _old_in_card(page: P._Evidence, el) -> bool:
    """The teaser-card test as written before its answers were remembered."""
    def norm(u: str) -> str:
        return re.sub(r"^https?://(www\.)?[^/]*|[?#].*$|/$", "", u)

    node = el
    for _ in range(P.CARD_LEVELS):
        node = node.getparent()
        if node is None or node is page.scope or page.holds_headline(node) or node.tag in ("body", "html"):
            return False
        for link in node.iter("a"):
            href = link.get("href") or ""
            if href and not href.startswith("#") and not (bool(page.url) and norm(href) == norm(page.url)) \
                    and len(link.text_content().split()) >= P.CARD_LINK_WORDS:
                return True
    return False


def _old_without_excluded(tree, holds_headline):
    import copy

    doomed_at = {i for i, el in enumerate(tree.iter()) if isinstance(el.tag, str)
                 and el.tag not in ("html", "body", "head") and P._excluded_itself(el, holds_headline)}
    clone = copy.deepcopy(tree)
    for el in [el for i, el in enumerate(clone.iter()) if i in doomed_at]:
        if el.getparent() is not None:
            el.getparent().remove(el)
    return clone


def test_remembered_answers_equal_the_plain_functions_on_every_element():
    pages = _pages()
    assert len(pages) > 40
    checked = excluded = cards = 0
    for tree, url in pages:
        ctx = P._Ctx("fr", "UTC", FETCHED, None)
        page = P._Evidence(tree, url, ctx)
        elements = list(tree.iter())
        # asked in document order, then again bottom-up (the memo must not depend on the order)
        for el in [*elements, *reversed(elements)]:
            want = _old_excluded(el, page.holds_headline)
            assert page.excluded(el) == want, (url, etree.tostring(el)[:80])
            assert page.excluded_itself(el) == P._excluded_itself(el, page.holds_headline)
            if isinstance(el.tag, str) and el.getparent() is not None:
                assert page.in_card(el) == _old_in_card(page, el), (url, etree.tostring(el)[:80])
                cards += page.in_card(el)
            excluded += want
            checked += 1
        # what htmldate reads: the page without its zones, as the copy made before; then the page
        # as it was, every node in its place (from a page asked nothing yet)
        before, wanted = etree.tostring(tree), etree.tostring(_old_without_excluded(tree, page.holds_headline))
        nodes = list(tree.iter())
        fresh = P._Evidence(tree, url, ctx)
        with P._without_excluded(tree, fresh.excluded_itself) as pruned:
            assert etree.tostring(pruned) == wanted
        assert etree.tostring(tree) == before and list(tree.iter()) == nodes
    assert checked > 10_000 and excluded > 500 and cards > 20  # the pages hold both answers


def test_htmldate_failing_midway_leaves_the_page_whole(monkeypatch):
    tree = parse(NESTED)
    before = etree.tostring(tree)

    def broken(pruned, **kwargs):
        assert b"21 mars 2025" not in etree.tostring(pruned)  # the comments are out
        raise RuntimeError("a library failure")

    monkeypatch.setattr(P.htmldate, "find_date", broken)
    page = P._Evidence(tree, "https://steppe.example/wheat", P._Ctx("fr", "UTC", FETCHED, None))
    assert P._htmldate(tree, "https://steppe.example/wheat", page.ctx, page.excluded_itself) is None
    assert etree.tostring(tree) == before


def test_nested_page_keeps_the_article_date_and_drops_the_zones():
    tree = parse(NESTED)
    page = P._Evidence(tree, "https://steppe.example/wheat", P._Ctx("fr", "UTC", FETCHED, None))
    by_text = {(el.text or "").strip(): el for el in tree.iter() if isinstance(el.tag, str)}
    assert not page.excluded(by_text["20 mars 2025"])  # the site header holds the headline
    assert page.excluded(by_text["1 mars"])  # an aside inside the article
    assert page.excluded(by_text["2 mars 2025"])  # a widget two levels up
    assert page.excluded(by_text["21 mars 2025"])  # comments
    assert not page.excluded(by_text["19 mars 2025"])  # the article's own header
    assert page.excluded(by_text["18 mars 2025"])  # another header word
    assert page.in_card(by_text["3 mars 2025"])  # a link away with a headline's words
    assert not page.in_card(by_text["4 mars 2025"])  # the link comes back to this page
    assert not page.in_card(by_text["5 mars 2025"])  # an anchor and a short link
    dates = P.page_dates(tree, "https://steppe.example/wheat", "fr", "UTC", FETCHED)
    assert dates.published is not None and dates.published.iso() == "2025-03-20T08:00:00Z"


def test_remembered_class_word_verdicts_equal_the_patterns_on_every_element():
    """_IS_BYLINE/_IS_BODY/_IS_EXCLUDED (remembered by class, id and itemprop) answer as the
    patterns on the element's words, on every element of the pages, asked twice; and the
    body-text test built on them answers as it did before."""
    def old_in_body_text(el, scope) -> bool:
        if P._BYLINE.search(P._words(el)):
            return False
        for node in el.iterancestors():
            if node is scope:
                return False
            if P._BYLINE.search(P._words(node)) and not P._BODY.search(P._words(node)):
                return False
            if P._BODY.search(P._words(node)) or node.get("itemprop", "").lower() == "articlebody":
                return True
        return False

    P._IS_BYLINE.clear(), P._IS_BODY.clear(), P._IS_EXCLUDED.clear()
    seen = {"byline": 0, "body": 0, "excluded": 0, "in_body": 0}
    for tree, url in _pages():
        page = P._Evidence(tree, url, P._Ctx("fr", "UTC", FETCHED, None))
        scope = page.scope
        elements = [el for el in tree.iter() if isinstance(el.tag, str)]
        for el in elements + elements:
            words = P._words(el)
            key = P._key(el)
            assert P._IS_BYLINE[key] == bool(P._BYLINE.search(words)), words
            assert P._IS_BODY[key] == bool(P._BODY.search(words)), words
            excluded = bool(P._EXCLUDED.search(words)) or any(
                not P._ARTICLE_HEADER.search(w) for w in P._HEADER_WORD.findall(words))
            assert P._IS_EXCLUDED[key] == excluded, words
            assert P._in_body_text(el, scope) == old_in_body_text(el, scope)
            seen["byline"] += P._IS_BYLINE[key]
            seen["body"] += P._IS_BODY[key]
            seen["excluded"] += excluded
            seen["in_body"] += P._in_body_text(el, scope)
    assert min(seen.values()) > 50, seen  # each answer is given both ways


def test_class_word_verdicts_are_forgotten_when_full(monkeypatch):
    monkeypatch.setattr(P, "WORDS_REMEMBERED", 3)
    verdicts = P._ByWords(P._BYLINE.search)
    keys = [("byline", None, None), (None, "x", None), ("post-meta", None, None), ("a", None, None)]
    assert [verdicts[k] for k in keys] == [True, False, True, False]
    assert len(verdicts) == 1  # emptied when the fourth came
    assert verdicts[("Date", "", None)] is True and verdicts[(None, None, None)] is False
