"""The crawl's item pipelines: thin Scrapy adapters over :mod:`pipelines` and the crawl's store.

* :class:`PagePipeline` runs :func:`pipelines.page.process_page`, the one path for a page, and
  turns its decision into Scrapy's: counters into the crawl's stats, a drop into ``DropItem``.
* :class:`DedupePipeline`, :class:`StorePipeline` and :class:`IndexPipeline` need the store. They
  take the crawl's one writer from the spider (``spider.store``, opened by the application for
  the whole crawl: see :class:`crawler.spiders.news.NewsSpider`); this layer never opens a
  database, and knows the store only by the methods it calls (:class:`crawler.store.CrawlStore`).

Order numbers live in ``ITEM_PIPELINES`` in ``settings/scrapy_settings.py``.
"""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.task import LoopingCall

from crawler.store import CrawlStore, SaveResult, StoreUnavailable
from pipelines.dedupe import article_id, content_hash
from pipelines.items import Article, Dropped


class PageDropped(DropItem):
    """A stage's :class:`pipelines.items.Dropped`, as Scrapy's drop; ``reason`` is its slug."""

    def __init__(self, dropped: Dropped):
        self.reason = dropped.reason
        super().__init__(str(dropped))


def hints_of(item: Article) -> Any:
    """What the spider put on the item besides the page, as the page processor's hints."""
    from pipelines.page import Hints  # with the page path, at the first page (see PagePipeline)

    return Hints(
        content_type=item.get("content_type"), request_url=item.get("request_url"), origin_url=item.get("origin_url"),
        source=item.get("source"), language=item.get("source_language"), locale=item.get("source_locale"),
        timezone=item.get("source_timezone") or "UTC", fetched_at=item.get("fetched_at"),
        http_status=item.get("http_status") or 200, discovered_via=item.get("discovered_via"),
        feed_date=item.get("feed_date"), feed_title=item.get("feed_title"), max_age_days=item.get("max_age_days"),
        overrides=item.get("overrides"),
    )


# Set when the page path cannot be built at the first page: the crawl stops, and the crawl entry
# reports it as it reported the same failure when the stages were built at the start.
PAGE_PATH_ERROR = "newsmon/page_path/error"
logger = logging.getLogger(__name__)


def close_crawl(crawler: Crawler | None, reason: str) -> None:
    """Stop the crawl (a step that cannot go on: no page after this one can be kept)."""
    if crawler is not None and crawler.engine is not None:
        deferred_from_coro(crawler.engine.close_spider_async(reason=reason))


class PagePipeline:
    """extract → language → dates → relevance, as one step (see :mod:`pipelines.page`).

    The stages are imported and built at the first page, not when the crawl starts: trafilatura,
    htmldate, py3langid, numpy and the compiled topics cost ~0.25 s of CPU, which a scheduled poll
    that finds nothing new would pay for nothing. A crawl that does find pages builds them once;
    if they cannot be built (a broken installation), the crawl stops there, and the command fails
    with the error, as it did when they were built at the start.
    """

    def __init__(self, options: dict[str, Any], stats: Any, crawler: Crawler | None = None):
        self.options = options  # PageProcessor's arguments, read from the settings at the start
        self.stats = stats
        self.crawler = crawler
        self._process: Any = None
        self.failure: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "PagePipeline":
        s = crawler.settings
        topics = s.getlist("NEWSMON_TOPICS")
        if not topics:
            raise NotConfigured("NEWSMON_TOPICS is empty: the crawl entry passes the validated topics")
        options = dict(
            topics=topics, keep_all=s.getbool("NEWSMON_KEEP_ALL"), min_text_chars=s.getint("NEWSMON_MIN_TEXT_CHARS"),
            max_page_bytes=s.getint("NEWSMON_MAX_PAGE_BYTES"), extract_timeout=s.getfloat("NEWSMON_EXTRACT_TIMEOUT"),
            lang_min_confidence=s.getfloat("NEWSMON_LANG_MIN_CONFIDENCE"),
        )
        return cls(options, crawler.stats, crawler)

    @property
    def process(self) -> Any:
        """The page processor, built on first use (the first page)."""
        if self._process is None:
            if self.failure is not None:
                raise DropItem(f"page path unavailable: {self.failure}")
            try:
                from pipelines.page import PageProcessor  # deferred: see the class's docstring

                options = dict(self.options)
                self._process = PageProcessor(options.pop("topics"), **options)
            except Exception as exc:  # noqa: BLE001 (any failure to build stops the crawl, reported whole)
                self.failure = f"{type(exc).__name__}: {exc}"
                logger.error("the page path cannot be built: %s", self.failure)
                self.stats.set_value(PAGE_PATH_ERROR, self.failure)
                close_crawl(self.crawler, "page_path_failed")
                raise DropItem(f"page path unavailable: {self.failure}") from None
        return self._process

    def process_item(self, item: Article) -> Article:
        result = self.process(item.get("html") or "", item["url"], hints_of(item))
        for key, count in result.counts.items():
            self.stats.inc_value(key, count)
        if result.dropped is not None:
            raise PageDropped(result.dropped)
        return result.article


def crawl_store(crawler: Crawler) -> CrawlStore:
    """The store the application handed to the spider for this crawl."""
    store = getattr(crawler.spider, "store", None)
    if store is None:
        raise NotConfigured("the spider has no store: crawls run through `newsmon crawl`")
    return store


class _StoreStep:
    def __init__(self, store: CrawlStore, stats: Any):
        self.store = store
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(crawl_store(crawler), crawler.stats)

    def inc(self, key: str, count: int = 1) -> None:
        self.stats.inc_value(key, count)


class DedupePipeline(_StoreStep):
    """Sets ``id`` and ``content_hash``; drops a second copy within the crawl or of a stored text."""

    def __init__(self, store: CrawlStore, stats: Any):
        super().__init__(store, stats)
        self.seen_ids: set[str] = set()
        self.seen_hashes: dict[str, str] = {}

    def _drop(self, item: Article, reason: str) -> None:
        self.inc(f"newsmon/dedupe/{reason}")
        raise PageDropped(Dropped(reason, item.get("url")))

    def process_item(self, item: Article) -> Article:
        item["canonical_url"] = item.get("canonical_url") or item["url"]
        item["id"] = article_id(item["canonical_url"])
        item["content_hash"] = content_hash(item.get("title"), item.get("text") or "")
        if item["id"] in self.seen_ids:
            self._drop(item, "duplicate_in_run")
        twin = self.seen_hashes.get(item["content_hash"])
        if twin is None:
            twin = self.store.find_by_hash(item["content_hash"])
        if twin is not None and twin != item["id"]:
            self._drop(item, "duplicate_content")
        self.seen_ids.add(item["id"])
        self.seen_hashes[item["content_hash"]] = item["id"]
        self.inc("newsmon/dedupe/unique")
        return item


class StorePipeline(_StoreStep):
    """Upserts the article and its outbox event, in one unit, through the crawl's writer.

    The writer commits in batches (``NEWSMON_STORE_BATCH_ITEMS`` articles or
    ``NEWSMON_STORE_BATCH_SECONDS``, whichever comes first; a timer writes a batch left waiting
    when pages stop coming; a crawl on a shared frontier commits each article on its own). An
    article is counted stored when its batch is committed, not before; one the database refuses
    is counted ``dropped/store_failed`` (and ``errors``) when its batch is written.

    A write the disk refuses (full, read-only, I/O error) stops the crawl at once: every later
    page would be fetched for nothing. The article refused, the articles of a batch that could
    not be committed and the pages in flight are counted ``dropped/store_failed`` and, never
    marked seen, are fetched again by the next crawl.
    """

    def __init__(self, store: CrawlStore, stats: Any, crawler: Crawler | None = None,
                 batch_items: int = 1, batch_seconds: float = 1.0):
        super().__init__(store, stats)
        self.crawler = crawler
        self.stopping = False
        self.batch_items = batch_items
        self.batch_seconds = batch_seconds
        self._timer: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "StorePipeline":
        s = crawler.settings
        # A shared frontier acknowledges a page once its item is through the pipelines: the
        # article must be committed by then (a worker killed after the acknowledgement loses
        # nothing), so such a crawl commits each article on its own.
        items = 1 if s.get("NEWSMON_FRONTIER") else s.getint("NEWSMON_STORE_BATCH_ITEMS")
        return cls(crawl_store(crawler), crawler.stats, crawler, items, s.getfloat("NEWSMON_STORE_BATCH_SECONDS"))

    def open_spider(self) -> None:
        self.store.batching(self.batch_items, self.batch_seconds)
        if self.batch_items > 1 and self.batch_seconds > 0:
            self._timer = LoopingCall(self._flush)
            self._timer.start(self.batch_seconds, now=False)

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self._flush()

    def _flush(self) -> None:
        self.store.flush()  # never raises: each article's fate reaches _settled

    def _stop(self, why: str) -> None:
        if self.stopping:
            return
        self.stopping = True
        self.stats.set_value("newsmon/store/failure", why)
        close_crawl(self.crawler, "store_failed")

    def _settled(self, source: Any, result: SaveResult | None, why: str | None) -> None:
        if why is not None or result is None:  # refused, or lost with its batch: not stored
            self.inc("newsmon/store/error")
            self.inc(f"newsmon/source/{source}/errors")
            self.inc(f"newsmon/source/{source}/dropped/store_failed")
            failure = getattr(self.store, "failure", None)
            if failure:  # the disk refused: stop fetching pages that cannot be kept
                self._stop(failure)
            return
        outcome = "created" if result.created else ("unchanged" if result.unchanged else "updated")
        self.inc(f"newsmon/store/{outcome}")
        self.inc(f"newsmon/source/{source}/stored")
        if result.created:
            self.inc(f"newsmon/source/{source}/new")

    def process_item(self, item: Article) -> Article:
        source = item.get("source")
        urls = [item.get("url"), item.get("request_url"), item.get("origin_url"), item.get("canonical_url")]
        try:
            self.store.save_article(item, urls, partial(self._settled, source))
        except StoreUnavailable as exc:
            self.inc("newsmon/store/error")
            self.inc(f"newsmon/source/{source}/errors")  # and dropped/store_failed, by the runs extension
            self._stop(str(exc))
            raise DropItem(f"store failed: {item.get('url')}: {exc}") from None
        except Exception as exc:  # locked for too long: this article is lost to this crawl, counted
            self.inc("newsmon/store/error")
            self.inc(f"newsmon/source/{source}/errors")
            raise DropItem(f"store failed: {item.get('url')}: {exc}") from None
        return item


class IndexPipeline(_StoreStep):
    """Commits the search index every N stored articles or S seconds, whichever comes first.

    The index is fed from the store's outbox, never from the item: an index lost or locked, or a
    crawl killed between the two, is repaired by the next crawl or by ``newsmon reindex``.
    """

    def __init__(self, store: CrawlStore, stats: Any, every_items: int = 500, every_seconds: float = 10.0):
        super().__init__(store, stats)
        self.every_items = every_items
        self.every_seconds = every_seconds
        self.pending = 0
        self.last_sync = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "IndexPipeline":
        s = crawler.settings
        return cls(crawl_store(crawler), crawler.stats,
                   s.getint("NEWSMON_INDEX_EVERY_ITEMS"), s.getfloat("NEWSMON_INDEX_EVERY_SECONDS"))

    def open_spider(self) -> None:
        self._sync()  # leftovers from a crawl that died before indexing

    def process_item(self, item: Article) -> Article:
        self.pending += 1
        if self.pending >= self.every_items or time.monotonic() - self.last_sync >= self.every_seconds:
            self._sync()
        return item

    def _sync(self) -> None:
        try:
            indexed = self.store.sync_index()
        except StoreUnavailable:
            indexed = None  # the store pipeline stops the crawl; the outbox keeps what is unindexed
        if indexed is None:
            self.stats.set_value("newsmon/index/unavailable", 1)
        elif indexed:
            self.inc("newsmon/index/indexed", indexed)
        self.pending = 0
        self.last_sync = time.monotonic()

    def close_spider(self) -> None:
        self._sync()
