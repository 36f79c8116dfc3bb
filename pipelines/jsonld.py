"""JSON-LD as pages really ship it, read one way for every stage (extract, dates).

Real blocks are often broken: HTML comments or CDATA around them, raw newlines inside strings,
a ``type`` attribute with parameters, arrays nested absurdly deep. Every block is parsed
leniently (``strict=False``), a block that still fails is skipped, and the walk over the parsed
data is iterative with a depth cap, so hostile JSON can neither crash a stage nor exhaust the
stack. Stages differ only in which keys they descend into (see :func:`objects`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

from lxml.html import HtmlElement

MAX_DEPTH = 32
# <!-- … -->, <![CDATA[ … ]]>, //<![CDATA[ … //]]>, /*<![CDATA[*/ … /*]]>*/ around the JSON
_WRAPPER = re.compile(r"^(?:<!--|(?://|/\*)?\s*<!\[CDATA\[\s*(?:\*/)?)|(?:-->|(?://|/\*)?\s*\]\]>\s*(?:\*/)?)$")
# How a stripped block must start or end for _WRAPPER to match: a cheap test before the regex,
# which otherwise tries its closing half at every character of a large block.
_WRAPPER_HEADS, _WRAPPER_TAILS = ("<!--", "//", "/*", "<![CDATA["), ("-->", "]]>", "*/")

ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
    "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle",
    "scholarlyarticle", "liveblogposting", "socialmediaposting", "techarticle", "report",
})

# The containers a page's own main entities live in (a @graph, a WebPage's mainEntity, a list).
STRUCTURE_KEYS = frozenset({"@graph", "mainentity", "itemlistelement"})


def blocks(tree: HtmlElement) -> list[object]:
    """The parsed content of every ``<script type="application/ld+json">`` that parses."""
    found: list[object] = []
    for script in tree.iterfind(".//script"):
        if "ld+json" not in (script.get("type") or "").lower() or not script.text:
            continue
        raw = script.text.strip()
        if raw.startswith(_WRAPPER_HEADS) or raw.endswith(_WRAPPER_TAILS):  # else _WRAPPER cannot match
            raw = _WRAPPER.sub("", raw)
        try:
            found.append(json.loads(raw, strict=False))
        except (ValueError, RecursionError):
            continue
    return found


def walk(data: object, descend: Callable[[str], bool]) -> Iterator[dict]:
    """Every object in ``data``, outermost first, entering only keys ``descend`` accepts."""
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            continue
        if isinstance(node, list):
            stack.extend((child, depth + 1) for child in reversed(node))
        elif isinstance(node, dict):
            yield node
            children = [value for key, value in node.items()
                        if isinstance(value, (dict, list)) and descend(str(key).lower())]
            stack.extend((child, depth + 1) for child in reversed(children))


def objects(tree: HtmlElement, descend: Callable[[str], bool] = STRUCTURE_KEYS.__contains__) -> list[dict]:
    return [obj for block in blocks(tree) for obj in walk(block, descend)]


def types(obj: dict) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).lower() for k in kinds if k}


def is_article(obj: dict) -> bool:
    return bool(types(obj) & ARTICLE_TYPES)
