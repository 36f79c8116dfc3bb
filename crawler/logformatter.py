"""Quiet, one-line crawl logs: a dropped page is "source: url: reason", never the page itself.

Scrapy's default formatter logs every dropped item with its full repr at WARNING, which for us
means whole HTML pages in the terminal. Drops are expected outcomes (not an article, duplicate,
off topic), counted in the run's stats; they are logged at DEBUG in one line.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from scrapy.logformatter import LogFormatter


class NewsmonLogFormatter(LogFormatter):
    """Below the crawl's ``LOG_LEVEL``, the per-page lines ("Crawled (200)", "stored", "dropped")
    are not built at all: Scrapy's loggers stay at DEBUG whatever ``LOG_LEVEL`` says (only its
    handler filters), so each would be made into a record and thrown away, two or three a page."""

    def __init__(self, debug: bool = True):
        super().__init__()
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Any) -> "NewsmonLogFormatter":
        level = crawler.settings.get("LOG_LEVEL") or "DEBUG"
        number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
        return cls(debug=not isinstance(number, int) or number <= logging.DEBUG)

    def crawled(self, request: Any, response: Any, spider: Any) -> dict[str, Any] | None:  # type: ignore[override]
        return super().crawled(request, response, spider) if self.debug else None

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> dict[str, Any] | None:  # type: ignore[override]
        if not self.debug:
            return None
        return {
            "level": logging.DEBUG,
            "msg": "%(source)s: dropped: %(reason)s",
            "args": {"source": item.get("source", "?") if hasattr(item, "get") else "?", "reason": str(exception)},
        }

    def scraped(self, item: Any, response: Any, spider: Any) -> dict[str, Any] | None:  # type: ignore[override]
        if not self.debug:
            return None
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


# C0/C1 controls (ANSI escapes, OSC sequences, BEL) and bidi overrides, as in newsmon's printable():
# log lines quote crawled URLs, headers and errors, and must not drive the terminal.
UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def scrub(message: str) -> str:
    """Every control character of a log line shown as its ``\\xNN`` escape."""
    if not UNPRINTABLE.search(message):
        return message
    return UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), message)


class ScrubbedRecord(logging.LogRecord):
    """Log records whose message is scrubbed, whichever handler shows them: install with
    ``logging.setLogRecordFactory(ScrubbedRecord)`` (the crawl entry does)."""

    def getMessage(self) -> str:  # noqa: N802 - logging's API
        return scrub(super().getMessage())
