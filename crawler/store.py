"""What the crawl needs of a store, as a protocol: the crawler layer never opens a database.

The application opens one writer for the whole crawl (``newsmon.sink.CrawlSink``, SQLite plus
the search index) and hands it to the spider; the entry filter, the runs extension and the
dedupe/store/index pipelines all use that one object, so a crawl holds one writable connection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class StoreUnavailable(Exception):
    """A write failed in a way every later write will too (disk full, read-only file system, I/O
    error): the crawl stops at once instead of fetching pages it cannot keep."""


class SaveResult(Protocol):
    created: bool  # False when an existing row was updated
    unchanged: bool  # same content as stored: nothing queued for the index


class CrawlStore(Protocol):
    # -- the entry filter (before any request) ---------------------------------------------
    def known_url(self, url: str) -> str | None: ...
    def known_fetched_at(self, url: str) -> str | None: ...
    def seen_outcome(self, url: str, *, since: str | None = None, topics: str | None = None) -> str | None: ...

    # -- verdicts and articles ---------------------------------------------------------------
    def touch_fetched(self, url: str) -> None: ...
    def mark_seen(self, urls: list[str], source: str, outcome: str) -> None: ...
    def find_by_hash(self, content_hash: str) -> str | None: ...
    def quarantine(self, url: str, source: str, reason: str, title: str | None = None) -> None: ...
    def quarantined(self, source: str | None = None, max_attempts: int | None = None,
                    limit: int = 1000) -> list[dict[str, Any]]: ...
    def save_article(self, item: dict[str, Any], urls: list[str | None],
                     done: Callable[[SaveResult | None, str | None], None] | None = None) -> SaveResult | None:
        """Queue the article (its row, URLs and outbox event: one unit) for the next batch.
        ``done(result, None)`` is called once it is committed, ``done(None, why)`` if it was not
        (refused alone, or lost with its batch: then ``failure`` is set); possibly during a later
        call. Raises :class:`StoreUnavailable` once the store has failed."""
        ...
    def batching(self, items: int, seconds: float) -> None:
        """Commit every ``items`` articles or ``seconds``, whichever comes first."""
        ...
    def flush(self) -> None:
        """Commit the open batch now."""
        ...
    def sync_index(self) -> int | None:
        """Index what the outbox holds; how many were indexed, None when the index is unavailable."""
        ...

    # -- runs ----------------------------------------------------------------------------------
    def close_stale_runs(self) -> int: ...
    def start_run(self, crawl_id: str, source: str) -> int: ...
    def progress_run(self, run_id: int, *, pages_fetched: int, articles_stored: int, skipped: int, errors: int,
                     stats: dict[str, Any]) -> None: ...
    def finish_run(self, run_id: int, *, status: str, pages_fetched: int, articles_stored: int,
                   skipped: int, errors: int, stats: dict[str, Any]) -> None: ...
