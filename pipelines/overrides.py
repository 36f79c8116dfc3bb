"""Per-source overrides: selectors for title, date and body where the generic extractors fail.

Like the per-publisher parsers of news scrapers (fundus, news-please), but as data in
sources.yaml: a CSS selector, or an XPath expression when it starts with "/" or "(", for the
title, the date and the body, plus a ``date_format`` (strptime) hint for the date. They are
compiled when sources.yaml is validated, so a broken selector is a config error naming the
source and line, and they are applied *before* the generic path; when an override finds
nothing on a page, the generic path runs as if there were none (and the miss is counted).

* title and body: :func:`apply_overrides`, called by the extract stage;
* date: :func:`override_date`, used by :class:`pipelines.dates.DatesPipeline`,
  the dates stage with the override's text as the preferred byline (``date_format`` tried first with ``datetime.strptime`` in the source's
  timezone, then the multilingual ``parse_date``).
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Mapping
from zoneinfo import ZoneInfo

from cssselect import GenericTranslator, SelectorError
from lxml import etree
from lxml.html import HtmlElement

if TYPE_CHECKING:  # the dates package imports Scrapy; validating sources.yaml should not
    from pipelines.dates.normalize import ParsedDate


_DAY = timedelta(days=1)
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
    from lxml.html import document_fromstring

    from pipelines import cleaning

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

def parse_override_date(text: str, date_format: str | None, lang: str | None, tz: str, fetched_at: datetime,
                        locale: str | None = None) -> ParsedDate | None:
    """The override's date text: ``date_format`` first (read in the source's zone), then parse_date.

    A format with no time directive gives a calendar date; with ``%z`` the written offset wins.
    """
    from pipelines.dates.normalize import ParsedDate, parse_date

    if date_format:
        try:
            value = datetime.strptime(text.strip(), date_format)
        except ValueError:
            value = None
        if value is not None:
            has_time = any(d in date_format for d in ("%H", "%I", "%M", "%X", "%c", "%T", "%R"))
            if not has_time:
                return ParsedDate(value.date(), False)
            if value.tzinfo is None:
                value = value.replace(tzinfo=ZoneInfo(tz or "UTC"))
            return ParsedDate(value.astimezone(timezone.utc), True)
    return parse_date(text, lang, tz, fetched_at, locale)


def override_date(item: Mapping[str, Any], spec: Mapping[str, Any]) -> ParsedDate | None:
    """The publication date the source's date override finds on the item's page, if plausible."""
    from pipelines.extract import parse

    tree = parse(item.get("html") or "")
    if tree is None:
        return None
    text = select_text(tree, spec["date"])
    if not text:
        return None
    fetched_at = item.get("fetched_at") or datetime.now(timezone.utc)
    try:
        parsed = parse_override_date(text[:400], spec.get("date_format"), item.get("source_language"),
                                     item.get("source_timezone") or "UTC", fetched_at, item.get("source_locale"))
    except ValueError:  # unknown timezone: the generic stage reports it
        return None
    if parsed is None:
        return None
    latest = fetched_at.astimezone(timezone.utc)
    value = parsed.value
    if isinstance(value, datetime):
        ok = datetime(1995, 1, 1, tzinfo=timezone.utc) <= value <= latest + _DAY
    else:
        ok = date(1995, 1, 1) <= value <= (latest + _DAY).date()
    return parsed if ok else None
