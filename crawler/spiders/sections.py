"""Discovery by section pages: category, tag or home pages walked to a depth limit.

Article links are those in headings or ``<article>`` elements, or with an article-like path
(:func:`crawler.discovery.listing_links`); pagination and section links on the source's hosts
are followed ``section_depth`` levels deep, at most ``NEWSMON_MAX_LISTING_PAGES`` per page and
``NEWSMON_MAX_LISTING_PAGES_PER_SOURCE`` per source and crawl (a walk would otherwise grow as
50^depth); at most ``NEWSMON_MAX_URLS_PER_DOCUMENT`` article links are taken from one page.
What a cap keeps out is counted (``capped/...``). Listings carry no dates: the age window applies
once the article page has told its date.
"""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.http import Response, TextResponse

from crawler import discovery
from crawler.sources import Source
from crawler.spiders.core import SpiderCore


class SectionDiscovery(SpiderCore):
    def section_requests(self, source: Source) -> Iterator[scrapy.Request]:
        for url in source.sections:
            if self.take(source, "listing_pages"):
                yield self._request(url, source, self.parse_listing, via="section", depth_left=source.section_depth)

    def parse_listing(self, response: Response, count: bool = True) -> Iterator[scrapy.Request]:
        source = self.source_of(response)
        if count:
            self.inc(source.name, "pages")
        if not isinstance(response, TextResponse):
            return
        via = response.meta.get("via", "section")
        articles, listings = discovery.listing_links(response.text, response.url, set(source.allowed_hosts))
        yield from self.follow_entries(source, self.newest_entries(source, articles), via)
        depth_left = int(response.meta.get("depth_left", 0))
        if depth_left > 0:
            if len(listings) > self.max_listing_pages:
                self.inc(source.name, "capped/listing_links", len(listings) - self.max_listing_pages)
            for url in listings[: self.max_listing_pages]:
                if self.take(source, "listing_pages"):
                    yield self._request(url, source, self.parse_listing, via=via, depth_left=depth_left - 1)
