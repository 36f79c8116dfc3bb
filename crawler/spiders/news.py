"""One spider for all configured sources, composed of one discovery unit per method.

"One spider per discovery method" is, for newsmon, one *module* per method — :mod:`.feeds`
(RSS/Atom and autodiscovery), :mod:`.sitemaps` (indexes, news sitemaps, robots.txt),
:mod:`.search` (WordPress search, news-search feeds), :mod:`.sections` (depth-limited listing
walks) and :mod:`.aggregators` (redirect links of Google/Bing News) — each a small mixin that
reads its own pages and is tested on its own, composed here into a single Scrapy spider. The
spider receives the crawl's one store writer (``store=``, see :mod:`crawler.store`) and the
validated sources (``NEWSMON_SOURCES``) from the application; per-source politeness
comes from Scrapy's per-slot settings (DOWNLOAD_SLOTS) and :mod:`crawler.backoff`, per-source
accounting from ``newsmon/source/<name>/…`` stats. A failing source only produces errbacks and
counters: nothing a source does can stop the others.

Incremental by construction: a feed, sitemap or search entry that is older than the source's age
window, or whose URL already led to a stored article, is skipped before any article request
(:meth:`crawler.spiders.core.SpiderCore.follow_entries`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import scrapy
from scrapy.crawler import Crawler

from crawler.sources import Source
from crawler.frontier_protocol import Frontier
from crawler.store import CrawlStore
from crawler.spiders.aggregators import AggregatorLinks
from crawler.spiders.core import LIMIT_SETTINGS
from crawler.spiders.feeds import FeedDiscovery
from crawler.spiders.search import SearchDiscovery
from crawler.spiders.sections import SectionDiscovery
from crawler.spiders.sitemaps import SITEMAP_MAX_BYTES, SitemapDiscovery
from pipelines.instants import iso_utc


class NewsSpider(FeedDiscovery, SitemapDiscovery, SearchDiscovery, SectionDiscovery, AggregatorLinks):
    name = "news"

    def __init__(self, store: CrawlStore | None = None, sources: list[Source] | None = None,
                 frontier: Frontier | None = None, **kwargs: Any):
        if store is None:
            raise ValueError("NewsSpider needs the crawl's store (store=...): run it with `newsmon crawl`")
        super().__init__(**kwargs)
        self.store = store
        self.frontier = frontier  # a frontier shared with other workers (crawler/frontier.py), or None
        self._sources_arg = sources

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> "NewsSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.sources = spider._sources_arg or list(settings.getlist("NEWSMON_SOURCES"))
        spider.by_name = {s.name: s for s in spider.sources}
        spider.default_max_age = settings.getint("NEWSMON_MAX_AGE_DAYS", 30)
        override = settings.get("NEWSMON_MAX_AGE_OVERRIDE")
        spider.max_age_override = None if override in (None, "") else int(override)
        spider.search_terms = {k: list(v) for k, v in (settings.getdict("NEWSMON_SEARCH_TERMS") or {}).items()}
        spider.allowed_domains = sorted({h for s in spider.sources for h in s.allowed_hosts})
        spider.max_listing_pages = settings.getint("NEWSMON_MAX_LISTING_PAGES", 50)
        spider.now = datetime.now(timezone.utc)
        spider.requested = set()
        spider.reported_unreachable = set()
        ttl = settings.getint("NEWSMON_SEEN_TTL_DAYS", 30)
        spider.seen_since = iso_utc(spider.now - timedelta(days=ttl))
        spider.topics_fingerprint = settings.get("NEWSMON_TOPICS_FINGERPRINT") or None
        spider.default_limits = {name: settings.getint(setting) for name, setting in LIMIT_SETTINGS.items()}
        spider.max_sitemap_bytes = settings.getint("NEWSMON_MAX_SITEMAP_BYTES", SITEMAP_MAX_BYTES)
        spider.spent = {}
        spider.quarantine_retries = settings.getint("NEWSMON_QUARANTINE_RETRIES", 3)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.start_requests_sync():
            yield request

    def start_requests_sync(self) -> Iterator[scrapy.Request]:
        for source in self.sources:
            self.inc(source.name, "started")
            yield from self.feed_requests(source)
            yield from self.sitemap_requests(source)
            yield from self.search_requests(source)
            yield from self.section_requests(source)
            yield from self.quarantine_requests(source)
