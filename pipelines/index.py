"""Index stage: feed the search index from the store's outbox, in batches.

The index is never written from the item itself: the stage drains the outbox that the store
stage fills in the same transaction as each article. So an index lost or corrupted, or a crawl
killed between the two, is repaired by the next crawl or by ``newsmon reindex``, and the index
can never hold an article the store does not.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from pipelines.items import Article
from newsmon.search_index import IndexError_, SearchIndex
from newsmon.store import Store

logger = logging.getLogger(__name__)


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


class IndexPipeline:
    def __init__(self, data_dir: str | Path, stats: StatsCollector | None = None,
                 every_items: int = 50, every_seconds: float = 10.0):
        self.store = Store(data_dir, readonly=False)
        self.stats = stats
        self.index: SearchIndex | None = None
        try:
            self.index = SearchIndex(Path(data_dir) / "index", writable=True)
        except IndexError_ as exc:
            # Locked by another writer (a concurrent crawl or reindex) or unreadable: the store
            # still takes every article and the outbox keeps them for the next crawl or reindex.
            logger.warning("index unavailable, articles are stored and will be indexed later: %s", exc)
            if stats:
                stats.set_value("newsmon/index/unavailable", 1)
        self.every_items = every_items
        self.every_seconds = every_seconds
        self.pending = 0
        self.last_sync = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "IndexPipeline":
        s = crawler.settings
        return cls(s.get("NEWSMON_DATA_DIR"), crawler.stats,
                   s.getint("NEWSMON_INDEX_EVERY_ITEMS", 50), s.getfloat("NEWSMON_INDEX_EVERY_SECONDS", 10.0))

    def open_spider(self) -> None:
        self._sync()  # leftovers from a crawl that died before indexing

    def process_item(self, item: Article) -> Article:
        self.pending += 1
        if self.pending >= self.every_items or time.monotonic() - self.last_sync >= self.every_seconds:
            self._sync()
        return item

    def _sync(self) -> None:
        if self.index is None:
            return
        indexed = sync_outbox(self.store, self.index)
        if self.stats and indexed:
            self.stats.inc_value("newsmon/index/indexed", indexed)
        self.pending = 0
        self.last_sync = time.monotonic()

    def close_spider(self) -> None:
        try:
            self._sync()
        finally:
            if self.index is not None:
                self.index.close()
            self.store.close()
