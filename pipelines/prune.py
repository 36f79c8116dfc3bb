"""trafilatura's XPath pruning, answered in Python with one verdict per attribute value.

trafilatura deletes boilerplate sections with XPath expressions (``prune_unwanted_nodes`` and
the lists in ``trafilatura.xpaths``) whose conditions are EXSLT regular expressions
(``re:test(@class, '…')``). lxml answers each ``re:test`` by calling back into Python for
every element the expression visits, three to five calls per element: on the real pages that
evaluation was an eighth of the page path's CPU. The same page repeats the same few hundred
class strings on thousands of elements, so here each expression is a Python function that
walks the same elements in the same order and judges each distinct set of attribute values
once (an LRU cache), with the same regular expressions on the same strings.

:func:`install` puts these functions in front of ``prune_unwanted_nodes`` only for the lists
whose every expression is, character for character, the one written here (trafilatura
2.3.1's); any other list, or any other trafilatura, is left to the library as it is.
``tests/test_prune.py`` compares every function with the library's expression on generated
and written pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from lxml import etree

_BLOCKS6 = ("div", "item", "list", "p", "section", "span")  # self::div or self::item or ... self::span


def _first(items: Sequence[tuple[str, str]], names: tuple[str, ...]) -> str:
    """``string(@a|@b)``: the value of the first of those attributes in document order, or ''."""
    for name, value in items:
        if name in names:
            return value
    return ""


def _value(items: Sequence[tuple[str, str]], name: str) -> str:
    for key, value in items:
        if key == name:
            return value
    return ""


def _has(items: Sequence[tuple[str, str]], name: str) -> bool:
    return any(key == name for key, _ in items)


def _selector(tags: tuple[str, ...] | None, names: frozenset[str],
              verdict: Callable[[tuple[tuple[str, str], ...]], bool],
              by_tag: bool = False) -> Callable[[Any], list[Any]]:
    """``.//*[self::TAG or …][conditions on the attributes NAMES]`` as a function of the context
    node: its descendants (not itself) in document order, each distinct set of relevant
    attributes (with the tag when ``by_tag``) judged once. No relevant attribute: no match (every
    condition here needs one; checked by the tests)."""
    judged = lru_cache(maxsize=8192)(verdict)

    def select(tree: Any) -> list[Any]:
        found = []
        elements = tree.iter(*tags) if tags else tree.iter(etree.Element)
        for el in elements:
            items = el.items()
            if not items or el is tree:
                continue
            if len(items) == 1:  # most often: a class alone
                if items[0][0] not in names:
                    continue
                key = tuple(items)
            else:
                key = tuple(item for item in items if item[0] in names)
                if not key:
                    continue
            if judged((el.tag, key) if by_tag else key):
                found.append(el)
        return found

    select.cache_clear = judged.cache_clear  # type: ignore[attr-defined]
    return select



# -- RAW_TREE_PRUNE_XPATH --------------------------------------------------------------------------
_INFINITE = re.compile(r"mvp-post-add-(?:box|wrap)|infinite-?scroll")
_MVP = re.compile(r"mvp-post-add-(?:box|wrap)")


def _raw_tree_0(tree: Any) -> list[Any]:
    """``.//*[self::div or self::section or self::aside][re:test(@id, I) or re:test(@class, I)]
    [not(.//h1) or re:test(@id, M) or re:test(@class, M)]``"""
    found = []
    for el in tree.iter("div", "section", "aside"):
        if el is tree:
            continue
        ident, cls = el.get("id") or "", el.get("class") or ""
        if not (ident or cls) or not (_INFINITE.search(ident) or _INFINITE.search(cls)):
            continue
        if el.find(".//h1") is None or _MVP.search(ident) or _MVP.search(cls):
            found.append(el)
    return found


def _raw_tree_1(tree: Any) -> list[Any]:
    """``.//*[self::div or self::section or self::aside][contains(@class, 'elementor-share-buttons')]``"""
    return [el for el in tree.iter("div", "section", "aside")
            if el is not tree and "elementor-share-buttons" in (el.get("class") or "")]


# -- REMOVE_COMMENTS_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH ----------------------------------------
_COMMENT_ID = re.compile(r"^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)")
_COMMENT_CLASS = re.compile(r"^[Cc]omment(?!ary)|(?:article|post)-comments")
_COMMENT_LIST_ID = re.compile(r"^(?:[Cc]omment(?!ary)|comol)")
_ID_CLASS = frozenset({"id", "class"})


def _comments(key: tuple[tuple[str, str], ...]) -> bool:
    return bool(_COMMENT_ID.search(_value(key, "id")) or _COMMENT_CLASS.search(_value(key, "class")))


def _comments_and_lists(tagged: tuple[str, tuple[tuple[str, str], ...]]) -> bool:
    tag, key = tagged
    if not _comments(key):
        return False
    return tag not in ("ol", "ul") or bool(_COMMENT_LIST_ID.search(_value(key, "id"))
                                           or _COMMENT_CLASS.search(_value(key, "class")))


# -- OVERALL_DISCARD_XPATH ---------------------------------------------------------------------------
_OVERALL_ID = re.compile(
    r"^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|"
    r"^(?:jp-|dpsp-content)|bmdh|footer|Footer|share|Share|nav|Nav|menu|related|message-container|premium|^ad-")
_OVERALL_CLASS = re.compile(
    r"^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|"
    r"^(?:nav|post-nav|ZendeskForm)|subnav|avigation|navbar|navbox|menu|bar| ad |-ad-|(?:^| )ad-|dfp[Aa]d|"
    r"outbrain|taboola|criteo|paid-?content|widget|footer|Footer|byline|Byline|share-|sociable|embedded|embed|"
    r"tag-list|consent|modal-content|permission|elated|next-|-stories|most-popular|more-on|meta|rating|"
    r"attachment|timestamp|user-info|user-profile|-icon|article-infos|message-container|slide|viewport|overlay|"
    r"options|expand|obfuscated|blurred|mol-factbox|yin|zlylin|nfoline")
_OVERALL_0_NAMES = frozenset({"data-lp-replacement-content", "role", "data-component", "id", "class"})


def _overall_0(key: tuple[tuple[str, str], ...]) -> bool:
    return (_has(key, "data-lp-replacement-content")
            or "nav" in _value(key, "role").replace("N", "n")
            or "MostPopularStories" in _value(key, "data-component")
            or "cookie" in _first(key, ("id", "class"))
            or bool(_OVERALL_ID.search(_value(key, "id")))
            or bool(_OVERALL_CLASS.search(_value(key, "class"))))


_HIDDEN_ID = re.compile(r"reader-comments|akismet")
_HIDDEN_CLASS = re.compile(r"^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|"
                           r"hide-print| hidden| hide|noprint|notloaded")
_OVERALL_1_NAMES = frozenset({"class", "id", "style", "aria-hidden"})


def _overall_1(key: tuple[tuple[str, str], ...]) -> bool:
    style = _value(key, "style")
    return (_value(key, "class") == "comments-title"
            or _first(key, ("id", "class")).startswith("reply-")
            or "hidden" in _first(key, ("id", "style"))
            or "display:none" in style or "display: none" in style
            or bool(_HIDDEN_ID.search(_value(key, "id")))
            or bool(_HIDDEN_CLASS.search(_value(key, "class")))
            or _value(key, "aria-hidden") == "true")


# -- DISCARD_IMAGE_ELEMENTS, TEASER_DISCARD_XPATH, PRECISION_DISCARD_XPATH -------------------------
def _caption(key: tuple[tuple[str, str], ...]) -> bool:
    return "caption" in _value(key, "id") or "caption" in _value(key, "class")


def _teaser(key: tuple[tuple[str, str], ...]) -> bool:
    return "teaser" in _value(key, "id").replace("T", "t") or "teaser" in _value(key, "class").replace("T", "t")


_BOTTOM = re.compile(r"(^|\s)bottom|bottom(\s|$)")
_LINK = re.compile(r"(^|\s)link(\s|$)")
_PRECISION_1_NAMES = frozenset({"id", "class", "style"})


def _precision_1(key: tuple[tuple[str, str], ...]) -> bool:
    first = _first(key, ("id", "class"))
    return bool(_BOTTOM.search(first) or _LINK.search(first)) or "border" in _value(key, "style")


def _header(tree: Any) -> list[Any]:
    """``.//header``"""
    return [el for el in tree.iter("header") if el is not tree]


# Each list trafilatura prunes with, by name in ``trafilatura.xpaths``: the source text of each
# of its expressions (``XPath.path``) as this module's functions read them, and those functions.
EXPRESSIONS: dict[str, list[tuple[str, Callable[[Any], list[Any]]]]] = {
    "RAW_TREE_PRUNE_XPATH": [
        ("\n        .//*[self::div or self::section or self::aside][\n        re:test(@id, 'mvp-post-add-(?:box|wrap)|infinite-?scroll') or\n        re:test(@class, 'mvp-post-add-(?:box|wrap)|infinite-?scroll')][\n        not(.//h1) or re:test(@id, 'mvp-post-add-(?:box|wrap)') or re:test(@class, 'mvp-post-add-(?:box|wrap)')]\n        ",
         _raw_tree_0),
        (".//*[self::div or self::section or self::aside][contains(@class, 'elementor-share-buttons')]", _raw_tree_1),
    ],
    "REMOVE_COMMENTS_AND_LISTS_XPATH": [
        ("\n        .//*[self::div or self::list or self::section or self::details or self::ol or self::ul][\n        re:test(@id, '^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)') or\n        re:test(@class, '^[Cc]omment(?!ary)|(?:article|post)-comments')][\n        not(self::ol or self::ul) or re:test(@id, '^(?:[Cc]omment(?!ary)|comol)') or re:test(@class, '^[Cc]omment(?!ary)|(?:article|post)-comments')]\n        ",
         _selector(("div", "list", "section", "details", "ol", "ul"), _ID_CLASS, _comments_and_lists, by_tag=True)),
    ],
    "REMOVE_COMMENTS_XPATH": [
        ("\n        .//*[self::div or self::list or self::section or self::details][\n        re:test(@id, '^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)') or\n        re:test(@class, '^[Cc]omment(?!ary)|(?:article|post)-comments')]\n        ",
         _selector(("div", "list", "section", "details"), _ID_CLASS, _comments)),
    ],
    "OVERALL_DISCARD_XPATH": [
        ("\n        .//*[self::div or self::item or self::list or self::p or self::section or self::span][\n        @data-lp-replacement-content or\n        contains(translate(@role, 'N', 'n'), 'nav') or\n        contains(@data-component, 'MostPopularStories') or\n        re:test(@id|@class, 'cookie') or\n        re:test(@id, '^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|^(?:jp-|dpsp-content)|bmdh|footer|Footer|share|Share|nav|Nav|menu|related|message-container|premium|^ad-') or\n        re:test(@class, '^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|^(?:nav|post-nav|ZendeskForm)|subnav|avigation|navbar|navbox|menu|bar| ad |-ad-|(?:^| )ad-|dfp[Aa]d|outbrain|taboola|criteo|paid-?content|widget|footer|Footer|byline|Byline|share-|sociable|embedded|embed|tag-list|consent|modal-content|permission|elated|next-|-stories|most-popular|more-on|meta|rating|attachment|timestamp|user-info|user-profile|-icon|article-infos|message-container|slide|viewport|overlay|options|expand|obfuscated|blurred|mol-factbox|yin|zlylin|nfoline')]\n        ",
         _selector(_BLOCKS6, _OVERALL_0_NAMES, _overall_0)),
        ("\n        .//*[@class='comments-title' or\n        starts-with(@id|@class, 'reply-') or\n        re:test(@id|@style, 'hidden') or\n        contains(@style, 'display:none') or contains(@style, 'display: none') or\n        re:test(@id, 'reader-comments|akismet') or\n        re:test(@class, '^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print| hidden| hide|noprint|notloaded') or @aria-hidden='true']\n        ",
         _selector(None, _OVERALL_1_NAMES, _overall_1)),
    ],
    "DISCARD_IMAGE_ELEMENTS": [
        ("\n    .//*[self::div or self::item or self::list or self::p or self::section or self::span][\n    contains(@id, 'caption') or contains(@class, 'caption')]\n    ",
         _selector(_BLOCKS6, _ID_CLASS, _caption)),
    ],
    "TEASER_DISCARD_XPATH": [
        ("\n    .//*[self::div or self::item or self::list or self::p or self::section or self::span][\n    contains(translate(@id, 'T', 't'), 'teaser') or contains(translate(@class, 'T', 't'), 'teaser')]\n    ",
         _selector(_BLOCKS6, _ID_CLASS, _teaser)),
    ],
    "PRECISION_DISCARD_XPATH": [
        (".//header", _header),
        ("\n    .//*[self::div or self::item or self::list or self::p or self::section or self::span][\n    re:test(@id|@class, '(^|\\s)bottom|bottom(\\s|$)') or re:test(@id|@class, '(^|\\s)link(\\s|$)') or\n    contains(@style, 'border')]\n    ",
         _selector(_BLOCKS6, _PRECISION_1_NAMES, _precision_1)),
    ],
}

# The modules that call ``prune_unwanted_nodes`` with these lists, by the name they imported.
CALLERS = ("trafilatura.core", "trafilatura.main_extractor", "trafilatura.external")


def replacements(xpaths: Any) -> dict[int, list[Callable[[Any], list[Any]]]]:
    """For each list of ``xpaths`` (the module ``trafilatura.xpaths``) whose expressions are all
    written as here: the list's id → this module's functions, in the list's order."""
    found: dict[int, list[Callable[[Any], list[Any]]]] = {}
    for name, expressions in EXPRESSIONS.items():
        library = getattr(xpaths, name, None)
        if not isinstance(library, list) or len(library) != len(expressions):
            continue
        if all(getattr(expr, "path", None) == path for expr, (path, _) in zip(library, expressions)):
            found[id(library)] = [select for _, select in expressions]
    return found


def install() -> list[str]:
    """Answer trafilatura's known pruning lists with this module's functions; returns the names
    of the lists so answered (none if trafilatura's functions or lists are not as expected)."""
    import importlib

    try:
        htmlprocessing = importlib.import_module("trafilatura.htmlprocessing")
        xpaths = importlib.import_module("trafilatura.xpaths")
        modules = [importlib.import_module(name) for name in CALLERS]
    except ImportError:
        return []
    library = getattr(htmlprocessing, "prune_unwanted_nodes", None)
    if library is None or getattr(library, "_newsmon_prune", False):
        return []
    if any(getattr(module, "prune_unwanted_nodes", None) is not library for module in modules):
        return []
    fast = replacements(xpaths)
    if not fast:
        return []
    # the lists are module constants: held here so that their ids stay theirs
    lists = [getattr(xpaths, name) for name in EXPRESSIONS if id(getattr(xpaths, name, None)) in fast]

    def prune_unwanted_nodes(tree: Any, nodelist: Any, with_backup: bool = False) -> Any:
        return library(tree, fast.get(id(nodelist), nodelist), with_backup)

    prune_unwanted_nodes._newsmon_prune = True  # type: ignore[attr-defined]
    prune_unwanted_nodes._lists = lists  # type: ignore[attr-defined]
    prune_unwanted_nodes.__doc__ = library.__doc__
    for module in modules:
        module.prune_unwanted_nodes = prune_unwanted_nodes
    return [name for name in EXPRESSIONS if id(getattr(xpaths, name, None)) in fast]
