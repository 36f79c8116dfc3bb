"""The dates stage with per-source date overrides (see :mod:`crawler.overrides`).

Kept apart from :mod:`crawler.overrides` so validating sources.yaml does not import Scrapy.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from crawler.items import Dropped
from crawler.overrides import override_date
from pipelines.dates import DatesPipeline, _older_than


class OverrideDatesPipeline(DatesPipeline):
    """The dates stage, preferring a source's ``overrides.date`` over the generic evidence.

    It replaces ``pipelines.dates.DatesPipeline`` in ITEM_PIPELINES (same order number) so the
    override decides *before* the age window is applied; without an override, or when the
    override finds no parsable date on a page, it is exactly the generic stage.
    Stats: ``newsmon/dates/override`` when used, ``newsmon/dates/override_missed`` otherwise.
    """

    def process_item(self, item: Any) -> Any:
        spec = item.get("overrides") or {}
        if not spec.get("date"):
            return super().process_item(item)
        parsed = override_date(item, spec)
        if parsed is None:
            self._inc("override_missed")
            return super().process_item(item)
        window = item.get("max_age_days")
        item["max_age_days"] = None  # the generic pass only fills modified_at; the window is ours
        try:
            super().process_item(item)
        finally:
            item["max_age_days"] = window
        item["published_at"] = parsed.iso()
        item["date_source"] = "override"
        self._inc("override")
        fetched_at = item.get("fetched_at") or datetime.now(timezone.utc)
        if window and _older_than(parsed.value, window, fetched_at):
            self._inc("too_old")
            raise Dropped("too_old", item.get("url"), f"{item['published_at']}, window {window} days")
        return item
