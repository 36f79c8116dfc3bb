"""Out-of-sample check of extraction on pages whose markup the cleaning rules were never tuned on.

The golden corpus (tests/fixtures/extract/) comes from the same three themes as the cleaning rules,
so its F1 of 1.000 says little about an unknown site. tests/fixtures/extract_heldout/ holds ten
hand-written article pages in other markups (Drupal 7 and 9, Next.js/Arc, Bitrix, a Yii portal,
AMP, Blogger, Medium, Joomla/K2, ASP.NET WebForms) in ar, fr, en, ru, kk, es and it, scored by
benchmarks/extract.py (``--heldout``). What must hold on unseen markup, page by page:

* the text is not worse than plain trafilatura's (token F1, minus a 0.01 tolerance), since the
  pre-cleaning exists to improve on it;
* the headline is exact;
* none of the page's ``without`` strings (menus, widgets, comments, related headlines) leaks.

A page that fails stays in the set: its check is a strict xfail whose reason says which element
leaked or what was dropped and why, so a fix turns it into an XPASS that must be unmarked. The
pages are not edited to make a check pass.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
from lxml.html import document_fromstring

ROOT = Path(__file__).resolve().parents[1]
if "bench_extract" in sys.modules:
    bench = sys.modules["bench_extract"]
else:
    _spec = importlib.util.spec_from_file_location("bench_extract", ROOT / "benchmarks" / "extract.py")
    bench = importlib.util.module_from_spec(_spec)
    sys.modules["bench_extract"] = bench  # dataclasses look their module up while the file executes
    _spec.loader.exec_module(bench)

PAGES = bench.load_heldout()
SCORES = bench.score_corpus(PAGES)
TOLERANCE = 0.01

# Known failures, diagnosed on trafilatura 2.3.1 with the cleaning rules of this commit.
# Fixed since the set was written (generic fixes, so these pages are no longer truly unseen):
# <body> and page-wide wrappers are never clutter (drupal7-ar, joomla-k2-fr, aspnet-ar emptied),
# <br><br> text gets paragraphs (aspnet-ar), weather lines, "label + one word" read-also labels
# (blogger-it), Spanish/French newsletter class words (amp-es).
TEXT_XFAIL: dict[str, str] = {}
TITLE_XFAIL: dict[str, str] = {}  # blogger-it: a blog-name <h1> that only prefixes <title> is the site name


LEAK_XFAIL: dict[str, str] = {}  # aspnet-ar's "NewsLetterBox" fixed by CamelCase clutter stems


def _params(xfails: dict[str, str]) -> list:
    return [pytest.param(page.name, id=page.name,
                         marks=[pytest.mark.xfail(strict=True, reason=xfails[page.name])] if page.name in xfails else [])
            for page in PAGES]


def _visible_text(page) -> str:
    tree = document_fromstring(page.html)
    for el in tree.xpath("//script|//style"):
        el.drop_tree()
    return re.sub(r"\s+", " ", tree.text_content())


def test_heldout_set_is_what_it_claims():
    assert len(PAGES) == 10
    assert {p.expected["lang"] for p in PAGES} == {"ar", "fr", "en", "ru", "kk", "es", "it"}
    for spec in sorted(bench.HELDOUT.glob("*.json")):
        text = spec.read_text(encoding="utf-8")
        record = json.loads(text)
        assert json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n" == text, f"{spec}: not normalized"
        assert {"url", "content_type", "expected", "without", "markup"} <= set(record), spec
    for page in PAGES:
        expected = page.expected["text"]
        assert 120 <= len(expected.split()) <= 320, f"{page.name}: {len(expected.split())} words"
        assert len(page.without) >= 20, f"{page.name}: too little boilerplate listed"
        # A check that cannot pass is no check: boilerplate must not be part of the article.
        assert [w for w in page.without if w in expected] == [], page.name
        visible = _visible_text(page)
        assert page.expected["title"] in visible, f"{page.name}: headline not on the page"
        for line in expected.split("\n"):
            assert line in visible, f"{page.name}: expected line not on the page: {line[:60]}"
        assert [w for w in page.without if w not in visible and w not in page.html] == [], page.name


@pytest.mark.parametrize("name", _params(TEXT_XFAIL))
def test_text_not_worse_than_trafilatura(name):
    mine, plain = SCORES[name]["newsmon"], SCORES[name]["trafilatura"]
    assert mine.f1 >= plain.f1 - TOLERANCE, f"{name}: newsmon F1 {mine.f1:.3f} < trafilatura {plain.f1:.3f}"


@pytest.mark.parametrize("name", _params(TITLE_XFAIL))
def test_title_exact(name):
    assert SCORES[name]["newsmon"].title_ok, f"{name}: headline differs"


@pytest.mark.parametrize("name", _params(LEAK_XFAIL))
def test_no_boilerplate_leaks(name):
    assert SCORES[name]["newsmon"].leaked == [], f"{name}: leaked {SCORES[name]['newsmon'].leaked}"
