"""The date a source's ``overrides.date`` selector finds on a page: ``date_format`` first
(``datetime.strptime`` in the source's zone), then the multilingual :func:`parse_date`."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from lxml.html import HtmlElement

from pipelines.html import parse
from pipelines.overrides import select_text

from .normalize import ParsedDate, parse_date

_DAY = timedelta(days=1)


def parse_override_date(text: str, date_format: str | None, lang: str | None, tz: str, fetched_at: datetime,
                        locale: str | None = None) -> ParsedDate | None:
    """The override's date text: ``date_format`` first (read in the source's zone), then parse_date.

    A format with no time directive gives a calendar date; with ``%z`` the written offset wins.
    """
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
            return ParsedDate.at(value)
    return parse_date(text, lang, tz, fetched_at, locale)


def override_date(item: Mapping[str, Any], spec: Mapping[str, Any], tree: HtmlElement | None = None) -> ParsedDate | None:
    """The publication date the source's date override finds on the item's page, if plausible.

    ``tree``: the page as parsed once by :func:`pipelines.page.process_page` (read, not changed).
    """
    if tree is None:
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
