"""Discovery by feeds: RSS/Atom URLs from sources.yaml, or advertised by the home page.

A home page without configured feeds or sitemaps is read for ``<link rel="alternate">`` feeds;
when it advertises none, it is walked as a section page (:mod:`.sections`) and, unless the
source says ``robots_sitemaps: false``, its robots.txt sitemaps are read (:mod:`.sitemaps`).
"""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response, TextResponse

from crawler import discovery
from crawler.sources import Source
from crawler.spiders.sections import SectionDiscovery
from crawler.spiders.sitemaps import SitemapDiscovery


class FeedDiscovery(SitemapDiscovery, SectionDiscovery):
    """Feeds; a homepage that advertises none is read as a listing, or for its robots.txt sitemaps."""

    def feed_request(self, source: Source, url: str) -> Iterator[scrapy.Request]:
        """The request for one feed document, unless the source's feed budget is spent."""
        if self.take(source, "feeds"):
            yield self._request(url, source, self.parse_feed, via="feed")

    def feed_requests(self, source: Source) -> Iterator[scrapy.Request]:
        for url in source.feeds:
            yield from self.feed_request(source, url)
        if source.homepage and not (source.feeds or source.sitemaps):
            yield self._request(source.homepage, source, self.parse_homepage, via="homepage")

    def parse_homepage(self, response: Response) -> Iterator[scrapy.Request]:
        source = self.source_of(response)
        self.inc(source.name, "pages")
        if not isinstance(response, TextResponse):
            return
        feeds = discovery.autodiscover_feeds(response.text, response.url)
        for url in feeds:
            yield from self.feed_request(source, url)
        if feeds:
            return
        # no feed advertised: walk the home page as a section, and try robots.txt's sitemaps
        yield from self.parse_listing(response, count=False)
        if source.robots_sitemaps is None:
            yield from self.robots_requests(source)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        source = self.source_of(response)
        self.inc(source.name, "pages")
        entries = discovery.feed_entries(response.body, response.url)
        if not entries and not discovery.looks_like_feed(response.body):
            self.inc(source.name, "errors")
            self.inc(source.name, "error/not_a_feed")
            self.logger.warning("%s: %s: not a feed", source.name, response.url)
            return
        yield from self.follow_entries(source, self.newest_entries(source, entries), response.meta.get("via") or "feed")
