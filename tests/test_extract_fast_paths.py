"""Faster paths of extraction answer as what they replaced: the ``<meta>`` index that ``extract``
reads a page's metadata from (the first non-blank content of a meta whose property, name or
itemprop is asked, the names in the order given), the canonical ``<link>`` walk (the XPath), and
the fallback's stopwords built before a batch forks its workers."""

from __future__ import annotations

import random
import subprocess
import sys

from lxml.html import HtmlElement

from pipelines import extract as ex
from pipelines.html import parse

NAMES = ("og:title", "og:site_name", "author", "og:url", "og:type", "description", "twitter:title", "")
CONTENTS = ("", " ", "\t\n", "Rabat", "  Rabat  Dispatch ", "https://a.example/x", "article", "x\u00a0y", "A\nB")


def walked(tree: HtmlElement, *names: str) -> str | None:
    """What ``_meta`` answered before the index: one walk of the page's metas per name."""
    metas = [el for el in tree.iter("meta") if el.get("content")]
    for name in names:
        for el in metas:
            if name in (el.get("property"), el.get("name"), el.get("itemprop")):
                value = ex._clean_space(el.get("content"))
                if value:
                    return value
    return None


def random_page(rng: random.Random) -> str:
    metas = []
    for _ in range(rng.randrange(0, 12)):
        attrs = [f'{attr}="{rng.choice(NAMES)}"' for attr in ("property", "name", "itemprop") if rng.random() < 0.5]
        if rng.random() < 0.85:
            attrs.append(f'content="{rng.choice(CONTENTS)}"')
        metas.append(f"<meta {' '.join(attrs)}>")
    where = rng.random()
    head, body = ("".join(metas), "") if where < 0.7 else ("", "".join(metas))
    return f"<html><head><title>t</title>{head}</head><body><p>x</p>{body}</body></html>"


def test_meta_answers_as_the_walk_on_many_pages() -> None:
    rng = random.Random(16)
    for _ in range(3000):
        tree = parse(random_page(rng))
        asks = [tuple(rng.sample(NAMES, rng.randrange(1, 4))) for _ in range(4)]
        expected = [walked(tree, *names) for names in asks]
        assert [ex._meta(tree, *names) for names in asks] == expected  # no index held: built for the call
        held = ex._META_INDEX.set((tree, ex._meta_index(tree)))
        try:
            assert [ex._meta(tree, *names) for names in asks] == expected
        finally:
            ex._META_INDEX.reset(held)


def test_an_index_held_for_another_tree_is_not_read() -> None:
    one = parse('<html><head><meta property="og:title" content="One"></head><body></body></html>')
    two = parse('<html><head><meta property="og:title" content="Two"></head><body></body></html>')
    held = ex._META_INDEX.set((one, ex._meta_index(one)))
    try:
        assert ex._meta(two, "og:title") == "Two"
    finally:
        ex._META_INDEX.reset(held)
    assert ex._META_INDEX.get() is None


def test_extract_reads_the_metadata_and_lets_go_of_the_index() -> None:
    page = ('<html><head><meta property="og:site_name" content="Rabat Dispatch"><meta name="author" content=" Leila  B. ">'
            '<meta property="og:title" content="Tram line opens"><title>Tram line opens - Rabat Dispatch</title></head>'
            "<body><h1>Tram line opens</h1><p>" + "The third tram line opened on Monday. " * 20 + "</p></body></html>")
    result = ex.extract(page, "https://rabat.example/tram/")
    assert (result.title, result.author) == ("Tram line opens", "Leila B.")
    assert ex._META_INDEX.get() is None


CANONICAL_XPATH = "//link[@href][contains(concat(' ', translate(@rel, 'CANONICAL', 'canonical'), ' '), ' canonical ')]"
RELS = ("canonical", "Canonical", "CANONICAL", "alternate canonical", "canonical  x", "canonicals", "noncanonical",
        "canonical\tx", "\u0130canonical", "CANONİCAL", " canonical ", "shortlink", "")


def test_canonical_links_are_the_xpath_s() -> None:
    rng = random.Random(17)
    for _ in range(3000):
        links = []
        for n in range(rng.randrange(0, 6)):
            attrs = [f'rel="{rng.choice(RELS)}"'] if rng.random() < 0.8 else []
            if rng.random() < 0.8:
                attrs.append(f'href="{rng.choice(("", " /a/", "https://c.example/b/"))}{n}"')
            links.append(f"<link {' '.join(attrs)}>")
        where = rng.random() < 0.7
        tree = parse(f"<html><head>{''.join(links) if where else ''}</head><body><p>x</p>"
                     f"{'' if where else ''.join(links)}</body></html>")
        assert ex.canonical_links(tree) == tree.xpath(CANONICAL_XPATH)


def test_prepare_fallback_builds_the_stopwords_a_plain_run_would_build() -> None:
    """In a fresh process (the one ``extract --batch`` forks from): nothing built on import,
    everything after ``prepare_fallback``, and a plain run then uses that same set."""
    code = (
        "import pipelines.extract as ex, trafilatura.external as te, justext.core as jc\n"
        "assert not te.JT_STOPLIST\n"
        "ex.prepare_fallback()\n"
        "built = te.JT_STOPLIST\n"
        "assert isinstance(built, frozenset) and len(built) > 100_000 and 'the' in built and 'والتي' in built\n"
        "seen = []\n"
        "real = jc.classify_paragraphs\n"
        "te.classify_paragraphs = lambda paragraphs, stoplist, *a: (seen.append(stoplist), real(paragraphs, stoplist, *a))[1]\n"
        "page = '<html><body><div><p>Short one.</p></div><div>' + 'Words of a page that only jusText reads. ' * 3 + '</div></body></html>'\n"
        "ex.plain_text(ex.parse(page), 'https://a.example/x')\n"
        "assert seen and all(s is built for s in seen), len(seen)\n"
        "assert te.jt_stoplist_init() is built\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
