"""Quiet, one-line crawl logs: a dropped page is "source: url: reason", never the page itself.

Scrapy's default formatter logs every dropped item with its full repr at WARNING, which for us
means whole HTML pages in the terminal. Drops are expected outcomes (not an article, duplicate,
off topic), counted in the run's stats; they are logged at DEBUG in one line.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter


class NewsmonLogFormatter(LogFormatter):
    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> dict[str, Any]:
        return {
            "level": logging.DEBUG,
            "msg": "%(source)s: dropped: %(reason)s",
            "args": {"source": item.get("source", "?") if hasattr(item, "get") else "?", "reason": str(exception)},
        }

    def scraped(self, item: Any, response: Any, spider: Any) -> dict[str, Any]:
        return {
            "level": logging.DEBUG,
            "msg": "%(source)s: stored: %(url)s",
            "args": {"source": item.get("source", "?"), "url": item.get("url", "?")},
        }

    def item_error(self, item: Any, exception: BaseException, response: Any, spider: Any) -> dict[str, Any]:
        return {
            "level": logging.ERROR,
            "msg": "%(source)s: %(url)s: pipeline error: %(error)s",
            "args": {"source": item.get("source", "?"), "url": item.get("url", "?"), "error": exception},
        }
