"""Per-page log lines: one line each at DEBUG, not built at all when the crawl logs less."""

from __future__ import annotations

from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from crawler.logformatter import NewsmonLogFormatter

ITEM = {"source": "s", "url": "https://a.ma/x", "html": "<html>" + "x" * 10_000}


def test_debug_lines_are_one_line_and_skipped_above_debug() -> None:
    for level in ("DEBUG", 10):
        debug = NewsmonLogFormatter.from_crawler(get_crawler(settings_dict={"LOG_LEVEL": level}))
        line = debug.scraped(ITEM, None, None)
        assert line["msg"] % line["args"] == "s: stored: https://a.ma/x"
        dropped = debug.dropped(ITEM, DropItem("not_relevant"), None, None)
        assert "<html>" not in dropped["msg"] % dropped["args"]  # never the page itself
    for level in ("WARNING", "info", 30):
        quiet = NewsmonLogFormatter.from_crawler(get_crawler(settings_dict={"LOG_LEVEL": level}))
        assert quiet.scraped(ITEM, None, None) is None
        assert quiet.dropped(ITEM, DropItem("not_relevant"), None, None) is None
        assert quiet.crawled(None, None, None) is None
    # errors are logged whatever the level
    assert quiet.item_error(ITEM, ValueError("boom"), None, None)["level"] > 30
