"""The crawl's one writer: the SQLite store of record, and the search index fed from its outbox.

Opened by the crawl entry (:func:`newsmon.crawl.run_crawl`) for the whole crawl and handed to the
spider; it is what :class:`crawler.store.CrawlStore` describes. One SQLite connection serves the
entry filter, the runs bookkeeping and the dedupe/store/index steps.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from newsmon.search_index import IndexError_, SearchIndex
from newsmon.store import ARTICLE_COLUMNS, Store, UpsertResult, iso_utc

logger = logging.getLogger(__name__)


def article_record(item: dict[str, Any]) -> dict[str, Any]:
    """The stored form of an item: every column, dates as ISO strings, no raw HTML."""
    record = {col: item.get(col) for col in ARTICLE_COLUMNS}
    fetched = item.get("fetched_at")
    record["fetched_at"] = iso_utc(fetched) if hasattr(fetched, "astimezone") else fetched
    record["topics"] = list(item.get("topics") or [])
    record["matched_terms"] = dict(item.get("matched_terms") or {})
    record["canonical_url"] = item.get("canonical_url") or item.get("url")
    return record


def sync_outbox(store: Store, index: SearchIndex, batch: int = 500) -> int:
    """Index every article with a pending outbox event; returns how many were indexed."""
    total = 0
    while pending := store.pending_index(batch):
        ids = list(dict.fromkeys(article_id for _, article_id in pending))
        articles = store.get_articles(ids)
        index.add(articles[i] for i in ids if i in articles)
        index.commit()
        store.mark_indexed([outbox_id for outbox_id, _ in pending])
        total += len(articles)
    return total


class CrawlSink(Store):
    """A writable :class:`Store` that also keeps the search index in step with it."""

    def __init__(self, data_dir: str | Path):
        super().__init__(data_dir, readonly=False)
        self.index: SearchIndex | None = None
        try:
            self.index = SearchIndex(Path(data_dir) / "index", writable=True)
        except IndexError_ as exc:
            # Locked by another writer (a concurrent crawl or reindex) or unreadable: the store
            # still takes every article and the outbox keeps them for the next crawl or reindex.
            logger.warning("index unavailable, articles are stored and will be indexed later: %s", exc)

    def save_article(self, item: dict[str, Any], urls: list[str | None]) -> UpsertResult:
        return self.upsert_article(article_record(item), [u for u in urls if u])

    def sync_index(self) -> int | None:
        if self.index is None:
            return None
        return sync_outbox(self, self.index)

    def close(self) -> None:
        try:
            if self.index is not None:
                self.index.close()
        finally:
            super().close()
