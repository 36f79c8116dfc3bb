"""One spider for all configured sources: discovery requests fan out to article requests.

A single spider (rather than one per source) keeps one SQLite writer and one tantivy writer per
crawl; per-source politeness comes from Scrapy's per-slot settings (DOWNLOAD_SLOTS), per-source
accounting from ``newsmon/source/<name>/…`` stats. A failing source only produces errbacks and
counters: nothing a source does can stop the others.

Incremental by construction: a feed, sitemap or search entry that is older than the source's age
window, or whose URL already led to a stored article, is skipped before any article request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import discovery
from crawler.config import Source, sources_from_dicts
from crawler.items import Article
from crawler.store import Store


def source_stat(source: str, key: str) -> str:
    return f"newsmon/source/{source}/{key}"


class NewsSpider(scrapy.Spider):
    name = "news"

    def __init__(self, sources: list[Source] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._sources_arg = sources

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> "NewsSpider":  # type: ignore[no-untyped-def]
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.sources = spider._sources_arg or sources_from_dicts(settings.getlist("NEWSMON_SOURCES"))
        spider.by_name = {s.name: s for s in spider.sources}
        spider.default_max_age = settings.getint("NEWSMON_MAX_AGE_DAYS", 30)
        override = settings.get("NEWSMON_MAX_AGE_OVERRIDE")
        spider.max_age_override = None if override in (None, "") else int(override)
        spider.search_terms = {k: list(v) for k, v in (settings.getdict("NEWSMON_SEARCH_TERMS") or {}).items()}
        spider.allowed_domains = sorted({h for s in spider.sources for h in s.allowed_hosts})
        spider.max_listing_pages = settings.getint("NEWSMON_MAX_LISTING_PAGES", 50)
        spider.store = Store(settings.get("NEWSMON_DATA_DIR"), readonly=False)
        spider.now = datetime.now(timezone.utc)
        spider.requested: set[str] = set()
        return spider

    def closed(self, reason: str) -> None:
        self.store.close()

    # -- helpers -----------------------------------------------------------------------------

    def inc(self, source: str, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(source_stat(source, key), count)

    def max_age(self, source: Source) -> int:
        if self.max_age_override is not None:
            return self.max_age_override
        return self.default_max_age if source.max_age_days is None else source.max_age_days

    def _request(self, url: str, source: Source, callback: Any, dont_filter: bool = False, **meta: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_error, dont_filter=dont_filter,
                              meta={"source": source.name, **meta})

    # -- discovery ---------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.start_requests_sync():
            yield request

    def start_requests_sync(self) -> Iterator[scrapy.Request]:
        for source in self.sources:
            self.inc(source.name, "started")
            for url in source.feeds:
                yield self._request(url, source, self.parse_feed, via="feed")
            for url in source.sitemaps:
                yield self._request(url, source, self.parse_sitemap, via="sitemap")
            for template in source.search:
                for term in self.search_terms.get(source.language) or self.search_terms.get("any") or []:
                    url = template.replace("{query}", quote_plus(term))
                    callback = self.parse_wp_json if "/wp-json/" in template else self.parse_listing
                    yield self._request(url, source, callback, via="search", depth_left=0)
            for url in source.sections:
                yield self._request(url, source, self.parse_listing, via="section", depth_left=source.section_depth)
            if source.homepage and not (source.feeds or source.sitemaps):
                yield self._request(source.homepage, source, self.parse_homepage, via="homepage")

    def parse_homepage(self, response: Response) -> Iterator[scrapy.Request]:
        source = self.by_name[response.meta["source"]]
        self.inc(source.name, "pages")
        if not isinstance(response, TextResponse):
            return
        feeds = discovery.autodiscover_feeds(response.text, response.url)
        for url in feeds:
            yield self._request(url, source, self.parse_feed, via="feed")
        if not feeds:  # no feed advertised: walk the home page as a section
            yield from self.parse_listing(response, count=False)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        source = self.by_name[response.meta["source"]]
        self.inc(source.name, "pages")
        entries = discovery.feed_entries(response.body, response.url)
        if not entries and not discovery.looks_like_feed(response.body):
            self.inc(source.name, "errors")
            self.inc(source.name, "error/not_a_feed")
            self.logger.warning("%s: %s: not a feed", source.name, response.url)
            return
        yield from self._follow_entries(source, entries, "feed")

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        source = self.by_name[response.meta["source"]]
        self.inc(source.name, "pages")
        body = response.body
        if body[:2] == b"\x1f\x8b":
            from scrapy.utils.gz import gunzip

            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE") or 50_000_000)
            except Exception:  # noqa: BLE001 - a corrupt or oversized archive is one source's problem
                self.inc(source.name, "errors")
                self.logger.warning("%s: %s: cannot gunzip sitemap", source.name, response.url)
                return
        entries = discovery.sitemap_entries(body, response.url)
        nested = [e for e in entries if e.kind == "sitemap"]
        for entry in nested:
            if discovery.is_too_old(entry.date, self.max_age(source), self.now):
                self.inc(source.name, "skipped/too_old")
                continue
            yield self._request(entry.url, source, self.parse_sitemap, via="sitemap")
        via = "news-sitemap" if b"google.com/schemas/sitemap-news" in body[:4000] else "sitemap"
        yield from self._follow_entries(source, [e for e in entries if e.kind == "article"], via)

    def parse_wp_json(self, response: Response) -> Iterator[scrapy.Request]:
        source = self.by_name[response.meta["source"]]
        self.inc(source.name, "pages")
        yield from self._follow_entries(source, discovery.wp_json_entries(response.body, response.url), "search")

    def parse_listing(self, response: Response, count: bool = True) -> Iterator[scrapy.Request]:
        source = self.by_name[response.meta["source"]]
        if count:
            self.inc(source.name, "pages")
        if not isinstance(response, TextResponse):
            return
        articles, listings = discovery.listing_links(response.text, response.url, set(source.allowed_hosts))
        yield from self._follow_entries(source, articles, response.meta.get("via", "section"))
        depth_left = int(response.meta.get("depth_left", 0))
        if depth_left > 0:
            for url in listings[: self.max_listing_pages]:
                yield self._request(url, source, self.parse_listing, via=response.meta.get("via", "section"),
                                    depth_left=depth_left - 1)

    def _follow_entries(self, source: Source, entries: list[discovery.Entry], via: str) -> Iterator[scrapy.Request]:
        max_age = self.max_age(source)
        for entry in entries:
            self.inc(source.name, "discovered")
            if discovery.is_too_old(entry.date, max_age, self.now):
                self.inc(source.name, "skipped/too_old")
                continue
            if (urlsplit(entry.url).hostname or "") not in source.allowed_hosts:
                self.inc(source.name, "skipped/offsite")
                continue
            if entry.url in self.requested:
                self.inc(source.name, "skipped/duplicate_link")
                continue
            if self.store.known_url(entry.url):
                self.inc(source.name, "skipped/known")
                continue
            if self.store.seen_outcome(entry.url):
                self.inc(source.name, "skipped/seen")
                continue
            self.requested.add(entry.url)
            # dont_filter: duplicates are caught above; with Scrapy's filter on, a redirect loop
            # would end silently in the dupefilter instead of being counted as an error.
            yield self._request(
                entry.url, source, self.parse_article, via=via, dont_filter=True,
                feed_date=entry.date.isoformat() if entry.date else None, feed_title=entry.title,
            )

    # -- articles ----------------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Article]:
        source = self.by_name[response.meta["source"]]
        self.inc(source.name, "pages")
        self.inc(source.name, "articles_fetched")
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        if not isinstance(response, TextResponse) or not _is_html(content_type, response.body):
            self.inc(source.name, "skipped/non_html")
            self.logger.info("%s: %s: not HTML (%s)", source.name, response.url, content_type)
            return
        from pipelines.extract import decode_html

        yield Article(
            url=response.url,
            request_url=response.meta.get("redirect_urls", [response.url])[0],
            source=source.name,
            source_language=source.language,
            source_locale=source.effective_locale,
            source_timezone=source.timezone,
            fetched_at=datetime.now(timezone.utc),
            html=decode_html(response.body, content_type),
            http_status=response.status,
            content_type=content_type,
            discovered_via=response.meta.get("via"),
            feed_date=response.meta.get("feed_date"),
            feed_title=response.meta.get("feed_title"),
            max_age_days=self.max_age(source),
        )

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        name = request.meta.get("source", "?")
        reason = _failure_reason(failure)
        if reason == "robots":
            self.inc(name, "skipped/robots")
            return
        if reason == "offsite":
            self.inc(name, "skipped/offsite")
            return
        self.inc(name, "errors")
        self.inc(name, f"error/{reason}")
        self.logger.warning("%s: %s: %s", name, request.url, _failure_message(failure))


def _is_html(content_type: str | None, body: bytes) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    if kind in ("", "text/plain", "application/octet-stream"):
        head = body[:1024].lstrip().lower()
        return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head
    return False


def _failure_reason(failure: Failure) -> str:
    from scrapy.exceptions import IgnoreRequest

    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, IgnoreRequest):
        if "robots.txt" in text.lower() or "Forbidden by robots.txt" in text:
            return "robots"
        if "offsite" in text.lower():
            return "offsite"
        if "private" in text.lower():
            return "private_address"
        if "redirect" in text.lower():
            return "redirect_loop"
        return "ignored"
    if "Timeout" in name or "timed out" in text.lower():
        return "timeout"
    if "ConnectionRefused" in name:
        return "connection_refused"
    if "DNSLookup" in name:
        return "dns"
    if "Cancelled" in name or "maxsize" in text.lower() or "larger than download max size" in text.lower():
        return "too_large"
    return name.lower()


def _failure_message(failure: Failure) -> str:
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
