"""pipelines.prune: trafilatura's pruning expressions answered in Python select exactly the
elements, in the same order, that the library's XPath expressions select."""

from __future__ import annotations

import random

import pytest
import trafilatura
from lxml import etree
from lxml.html import document_fromstring
from trafilatura import core, external, htmlprocessing, main_extractor, xpaths

import pipelines.extract  # noqa: F401  (installs the Python pruning)
from pipelines import prune

TAGS = ("div", "item", "list", "p", "section", "span", "aside", "details", "ol", "ul", "li", "header", "h1",
        "a", "article", "table")
# values that hit (or just miss) every condition of the expressions
VALUES = {
    "id": ("comment-12", "Comments", "commentary", "comol", "disqus_thread", "dsq-comments", "share-top",
           "social", "mainNav", "menu-1", "related", "ad-slot", "premium-box", "jp-post", "sidebar",
           "reader-comments", "hidden-part", "reply-3", "x-caption", "bigTeaser", "bottom", "top link",
           "mvp-post-add-box", "infinite-scroll", "cookie-notice", "post-12", "content", "a"),
    "class": ("comment-body", "Comment", "commentary", "post-comments", "article-comments", "entry-content",
              "comments-title", "x comments-title", "reply-to", "hide-me", "x hidden", "x hide", "noprint",
              "message", "menu", "navbar", "sidebar-left", " ad ", "foo ad-box", "dfpAd", "paid-content",
              "widget", "elementor-widget", "yin", "byline", "meta", "slideshow", "bottom", "a bottom",
              "bottom b", "link", "x link y", "permalink", "caption", "Teaser", "mvp-post-add-wrap",
              "infinite-scroll", "elementor-share-buttons x", "cookie", "tags", "share-", "foo", "td-a-rec", ""),
    "style": ("display:none", "display: none", "border:1px", "color:red", "hidden", ""),
    "role": ("navigation", "NAVIGATION", "main", "Nav"),
    "aria-hidden": ("true", "false", "TRUE"),
    "data-component": ("MostPopularStories", "Popular"),
    "data-lp-replacement-content": ("", "x"),
    "href": ("/a", "/b"),
}


def _random_tree(rng: random.Random, size: int) -> etree._Element:
    root = etree.Element("body")
    nodes = [root]
    for _ in range(size):
        el = etree.SubElement(rng.choice(nodes), rng.choice(TAGS))
        names = list(VALUES)
        rng.shuffle(names)  # attribute order decides string(@id|@class)
        for name in names[: rng.choice((0, 0, 1, 2, 3, 4))]:
            el.set(name, rng.choice(VALUES[name]))
        if rng.random() < 0.3:
            el.text = "text"
        nodes.append(el)
    return root


def _same(library: list, ours: list) -> bool:
    return len(library) == len(ours) and all(a is b for a, b in zip(library, ours))


def test_every_expression_is_replaced_for_the_pinned_trafilatura() -> None:
    assert trafilatura.__version__ == "2.3.1"  # the version the expressions were copied from
    fast = prune.replacements(xpaths)
    assert len(fast) == len(prune.EXPRESSIONS)
    for module in (core, main_extractor, external):
        assert getattr(module.prune_unwanted_nodes, "_newsmon_prune", False)
    assert htmlprocessing.prune_unwanted_nodes is not core.prune_unwanted_nodes


@pytest.mark.parametrize("seed", range(40))
def test_same_elements_as_the_library_on_generated_trees(seed: int) -> None:
    rng = random.Random(seed)
    tree = _random_tree(rng, 400)
    contexts = [tree, *rng.sample(list(tree.iter()), 5)]
    fast = prune.replacements(xpaths)
    selected = 0
    for name in prune.EXPRESSIONS:
        library = getattr(xpaths, name)
        for expression, ours in zip(library, fast[id(library)]):
            for context in contexts:
                theirs = expression(context)
                assert _same(theirs, ours(context)), (name, expression.path)
                selected += len(theirs)
    assert selected > 50  # the values above do hit the conditions


PAGE = """<html><head><title>t</title></head><body>
<div id="content" class="entry-content" style="margin:0">
 <header><h1>Headline of the day</h1></header>
 <p>First paragraph of the article with enough words to count as prose for the extractor here.</p>
 <div class="share-buttons social">Share Tweet</div>
 <p class="meta">By someone</p>
 <div class="inner bottom" id="x"><p>Second paragraph is here and it is long enough to be kept by the extractor.</p></div>
 <span aria-hidden="true">hidden label</span>
 <ol class="commentlist"><li>A reader's comment</li></ol>
 <div id="comments"><p>Another comment from a reader of this page, long enough to be a paragraph.</p></div>
 <p style="display: none">invisible</p>
 <div class="caption">A caption</div><div class="Teaser">Read the teaser</div>
</div>
<div class="mvp-post-add-box"><h1>Next article</h1><p>Appended article text that is not this page's text at all.</p></div>
<footer>Footer</footer></body></html>"""


@pytest.mark.parametrize("precision", [True, False])
def test_extraction_unchanged_on_a_written_page(precision: bool) -> None:
    tree = document_fromstring(PAGE)
    fast = prune.replacements(xpaths)
    for name in prune.EXPRESSIONS:
        library = getattr(xpaths, name)
        for context in tree.iter():
            for expression, ours in zip(library, fast[id(library)]):
                assert _same(expression(context), ours(context))
    ours = trafilatura.extract(PAGE, favor_precision=precision)
    modules = (core, main_extractor, external)
    installed = [m.prune_unwanted_nodes for m in modules]
    try:
        for m in modules:
            m.prune_unwanted_nodes = htmlprocessing.prune_unwanted_nodes
        theirs = trafilatura.extract(PAGE, favor_precision=precision)
    finally:
        for m, f in zip(modules, installed):
            m.prune_unwanted_nodes = f
    assert ours == theirs and "Second paragraph" in ours


def test_an_expression_written_otherwise_is_left_to_the_library() -> None:
    class Changed:
        pass

    changed = Changed()
    for name in prune.EXPRESSIONS:
        setattr(changed, name, list(getattr(xpaths, name)))
    changed.OVERALL_DISCARD_XPATH = [changed.OVERALL_DISCARD_XPATH[0],
                                     etree.XPath(".//*[@class='comments-title']")]
    fast = prune.replacements(changed)
    assert id(changed.OVERALL_DISCARD_XPATH) not in fast
    assert id(changed.REMOVE_COMMENTS_XPATH) in fast
    assert prune.install() == []  # already installed: not twice
