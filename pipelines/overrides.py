"""Per-source overrides: selectors for title, date and body where the generic extractors fail.

Like the per-publisher parsers of news scrapers (fundus, news-please), but as data in
sources.yaml: a CSS selector, or an XPath expression when it starts with "/" or "(", for the
title, the date and the body, plus a ``date_format`` (strptime) hint for the date. They are
compiled when sources.yaml is validated, so a broken selector is a config error naming the
source and line, and they are applied *before* the generic path; when an override finds
nothing on a page, the generic path runs as if there were none (and the miss is counted).

* title and body: :func:`apply_overrides`, called by the extract stage;
* date: :func:`pipelines.dates.override.override_date`, used by :class:`pipelines.dates.DatesStage`,
  the dates stage with the override's text as the preferred byline (``date_format`` tried first with ``datetime.strptime`` in the source's
  timezone, then the multilingual ``parse_date``).
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from cssselect import GenericTranslator, SelectorError
from lxml import etree
from lxml.html import HtmlElement, document_fromstring

from pipelines import cleaning



BLOCK_TAGS = {"p", "div", "section", "article", "blockquote", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
              "pre", "table", "tr", "td", "th", "dd", "dt", "figure", "figcaption", "br", "hr"}


@functools.lru_cache(maxsize=256)
def compile_selector(selector: str) -> etree.XPath:
    """CSS (or XPath, when it starts with "/" or "(") → compiled XPath; ValueError when invalid."""
    text = selector.strip()
    if not text:
        raise ValueError("empty selector")
    if text.startswith(("/", "(")):
        try:
            return etree.XPath(text)
        except etree.XPathSyntaxError as exc:
            raise ValueError(f"invalid XPath {selector!r}: {exc}") from None
    try:
        return etree.XPath(GenericTranslator().css_to_xpath(text))
    except (SelectorError, etree.XPathSyntaxError) as exc:
        raise ValueError(f"invalid CSS selector {selector!r}: {exc}") from None


def check_date_format(fmt: str) -> None:
    """A date_format must contain a directive and round-trip through strftime/strptime."""
    if "%" not in fmt:
        raise ValueError(f"date_format {fmt!r} has no strptime directive (like %d/%m/%Y)")
    sample = datetime(2025, 3, 15, 14, 20, 30)
    try:
        datetime.strptime(sample.strftime(fmt), fmt)
    except ValueError as exc:
        raise ValueError(f"invalid date_format {fmt!r}: {exc}") from None


def _space(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def select(tree: HtmlElement, selector: str) -> list[Any]:
    """Matches of ``selector`` in document order: elements, or strings for XPath text()/@attr."""
    result = compile_selector(selector)(tree)
    if isinstance(result, list):
        return result
    return [str(result)] if result not in (None, "") else []


def _value(match: Any) -> str:
    """An element's text, or for an empty one (<meta>, <time>) its content/datetime attribute."""
    if isinstance(match, str):
        return _space(match)
    if not isinstance(match, etree._Element):
        return ""
    text = _space(match.text_content() if isinstance(match, HtmlElement) else "".join(match.itertext()))
    return text or _space(match.get("datetime") or match.get("content") or match.get("title"))


def select_text(tree: HtmlElement, selector: str) -> str | None:
    """Text of the first match that has any."""
    for match in select(tree, selector):
        value = _value(match)
        if value:
            return value
    return None


def block_text(el: HtmlElement) -> str:
    """Text of ``el`` with one line per block element (paragraphs, headings, list items)."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag.lower() in BLOCK_TAGS
        if block:
            parts.append("\n")
        if node.text and tag.lower() not in ("script", "style"):
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and child.tag.lower() in ("script", "style", "noscript", "template"):
                if child.tail:
                    parts.append(child.tail)
                continue
            walk(child)
        if block:
            parts.append("\n")
        if node.tail and node is not el:
            parts.append(node.tail)

    walk(el)
    lines = [re.sub(r"[ \t\u00a0\r\f\v]+", " ", line).strip() for line in "".join(parts).split("\n")]
    return "\n".join(line for line in lines if line)


def body_from(tree: HtmlElement, selector: str) -> str:
    """The article body from the elements ``selector`` matches, pre-cleaned like the generic path.

    The matches are copied into a fresh document so cleaning (ads, read-also boxes, comment
    sections, widget labels) only sees the article, then read one block per line.
    """
    elements = [m for m in select(tree, selector) if isinstance(m, HtmlElement)]
    # a match inside another match would be read twice
    chosen = [el for el in elements if not any(other is not el and other in el.iterancestors() for other in elements)]
    if not chosen:
        return ""
    doc = document_fromstring("<html><body><div></div></body></html>")
    holder = doc.find(".//div")
    for el in chosen:
        clone = copy.deepcopy(el)
        clone.tail = None
        holder.append(clone)
    cleaning.preclean(doc)
    return block_text(holder)


@dataclass(frozen=True)
class Applied:
    title: str | None  # None: no title override, or it matched nothing
    text: str | None  # None: no body override, or it matched no text
    missed: tuple[str, ...] = ()  # kinds configured but not found on this page


def apply_overrides(tree: HtmlElement, overrides: Mapping[str, Any] | None) -> Applied:
    """Title and body per the source's overrides (the date is the dates stage's business).

    Call before any generic cleaning touches ``tree``: the body is read from copies, the tree
    itself is left as it was.
    """
    if not overrides:
        return Applied(None, None)
    missed: list[str] = []
    title = text = None
    if overrides.get("title"):
        title = select_text(tree, overrides["title"])
        if not title:
            missed.append("title")
    if overrides.get("body"):
        text = body_from(tree, overrides["body"]) or None
        if not text:
            missed.append("body")
    return Applied(title, text, tuple(missed))


# -- dates ----------------------------------------------------------------------------------------
