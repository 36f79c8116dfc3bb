"""Dates stage: the article's publication/modification dates, normalized to UTC.

``normalize.parse_date`` reads one written date in any of newsmon's languages; ``page.page_dates``
chooses the article's dates on a page; ``override.override_date`` reads a source's own date
selector. :class:`DatesStage` puts them together for one article.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone
from typing import Any

from lxml.html import HtmlElement

from pipelines.items import Dropped
from pipelines.languages import ANALYSED

from . import lexicon
from .normalize import ParsedDate, parse_date
from .override import override_date
from .page import PageDates, page_dates

__all__ = ["DatesStage", "PageDates", "ParsedDate", "page_dates", "parse_date"]

logger = logging.getLogger(__name__)

# Languages whose words the normalizer knows; for any other detected page language (say uk or
# bg, taken for a Russian page) the source's declared language reads the byline better.
DATE_LANGUAGES = frozenset(ANALYSED) | frozenset(lexicon.MONTHS) | frozenset(lexicon.MONTH_LANGUAGE_ALIASES)


class DatesStage:
    """Fill ``published_at``/``modified_at``/``date_source``; never substitutes the fetch time.

    Stats: ``newsmon/dates/source/<src>`` per dated item, ``newsmon/dates/missing`` when no
    plausible date was found, ``newsmon/dates/bad_timezone`` when a source's zone is unknown
    (its dates are then read as UTC). ``stats``: anything with ``inc_value(key)``.
    """

    def __init__(self, stats: Any = None) -> None:
        self.stats = stats

    def process_item(self, item: Any, tree: HtmlElement | None = None) -> Any:
        """``tree``: the page as parsed once, before extraction cleaned its copy (read only)."""
        url = item.get("url") or ""
        fetched_at = item.get("fetched_at") or datetime.now(timezone.utc)
        tz = item.get("source_timezone") or "UTC"
        # The page's detected language (the language stage runs first) beats the source's
        # declaration: a Russian-language source may publish an Arabic page. The source's locale
        # (ar-MA month names…) only applies when it is a locale of that language.
        lang = item.get("lang") if item.get("lang") in DATE_LANGUAGES else item.get("source_language")
        locale = item.get("source_locale")
        if locale and lang and not locale.lower().startswith(lang.lower()):
            locale = None
        args = (tree if tree is not None else item.get("html") or "", url, lang)
        kwargs = {"hint": item.get("feed_date"), "locale": locale}
        try:
            dates = page_dates(*args, tz, fetched_at, **kwargs)
        except ValueError as exc:  # unknown zone in sources.yaml: say which page, read as UTC
            logger.warning("dates: %s for %s; reading its dates as UTC", exc, url)
            self._inc("bad_timezone")
            dates = page_dates(*args, "UTC", fetched_at, **kwargs)
        # published_at keeps the offset the page wrote; published_utc is the same instant in UTC
        # (what ordering and date filters use).
        item["published_at"] = dates.published.iso_local() if dates.published else None
        item["published_utc"] = dates.published.iso() if dates.published else None
        item["modified_at"] = dates.modified.iso() if dates.modified else None
        item["date_source"] = dates.source
        published = dates.published
        override = self._override(item, tree)
        if override is not None:  # a source's overrides.date wins over the generic evidence
            published = override
            item["published_at"], item["date_source"] = override.iso_local(), "override"
            item["published_utc"] = override.iso()
        self._inc(f"source/{item['date_source']}" if item["date_source"] else "missing")
        window = item.get("max_age_days")
        if window and published and _older_than(published.value, window, fetched_at):
            # Search results and section pages carry no date before the fetch; the age window
            # the feeds obey applies to what they find too, once the page has told its date.
            self._inc("too_old")
            raise Dropped("too_old", url, f"{item['published_at']}, window {window} days")
        return item

    def _override(self, item: Any, tree: HtmlElement | None) -> ParsedDate | None:
        """The date a source's ``overrides.date`` selector finds on the page, if it finds one."""
        spec = item.get("overrides") or {}
        if not spec.get("date"):
            return None
        parsed = override_date(item, spec, tree)
        self._inc("override" if parsed is not None else "override_missed")
        return parsed

    def _inc(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"newsmon/dates/{key}")


def _older_than(value: datetime | date, days: int, now: datetime) -> bool:
    limit = now - timedelta(days=days)
    if isinstance(value, datetime):
        return value < limit
    return value < limit.date()
