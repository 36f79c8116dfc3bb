"""Discovery by sitemaps: sitemap indexes, urlsets (plain or gzip), Google News sitemaps, robots.txt.

Nested sitemaps and entries whose ``lastmod`` (or, in news sitemaps, ``news:publication_date``)
is older than the source's age window are skipped before they are fetched. With
``robots_sitemaps: true`` — or by default for a home page that advertises no feed — the
``Sitemap:`` lines of the site's robots.txt are read; only sitemaps under the home page's path
(or on the source's other domains) are used, so a source for one section of a shared host
does not crawl its neighbours.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response

from crawler import discovery
from crawler.sources import Source
from crawler.spiders.core import SpiderCore

# The sitemap protocol allows 50 MB uncompressed per file; pages keep DOWNLOAD_MAXSIZE (5 MB).
SITEMAP_MAX_BYTES = 50 * 1024 * 1024


def sitemaps_for(source: Source, listed: list[str]) -> list[str]:
    """The robots.txt sitemaps that belong to ``source``: under its home page, or on its domains."""
    home = urlsplit(source.homepage or "")
    prefix = f"{home.scheme}://{home.netloc}{home.path.rsplit('/', 1)[0]}/"
    domains = {d.lower().lstrip(".") for d in source.domains}
    return [u for u in listed if u.startswith(prefix) or (urlsplit(u).hostname or "") in domains]


class SitemapDiscovery(SpiderCore):
    max_sitemap_bytes: int  # NEWSMON_MAX_SITEMAP_BYTES, set by NewsSpider.from_crawler

    def sitemap_request(self, source: Source, url: str, depth: int = 0) -> Iterator[scrapy.Request]:
        """The request for one sitemap document, unless the source's sitemap budget is spent."""
        if self.take(source, "sitemaps"):
            yield self._request(url, source, self.parse_sitemap, via="sitemap", download_maxsize=SITEMAP_MAX_BYTES,
                                sitemap_depth=depth)

    def sitemap_requests(self, source: Source) -> Iterator[scrapy.Request]:
        for url in source.sitemaps:
            yield from self.sitemap_request(source, url)
        if source.robots_sitemaps:
            yield from self.robots_requests(source)

    def robots_requests(self, source: Source) -> Iterator[scrapy.Request]:
        if source.robots_url:
            yield self._request(source.robots_url, source, self.parse_robots, dont_filter=True, via="robots")

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        source = self.source_of(response)
        self.inc(source.name, "pages")
        text = response.body[:500_000].decode("utf-8", "replace")
        listed = discovery.robots_sitemaps(text, response.url)
        mine = sitemaps_for(source, listed)
        self.inc(source.name, "robots_sitemaps", len(mine))
        for url in dict.fromkeys(mine):
            if url not in source.sitemaps:
                yield from self.sitemap_request(source, url)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """Streamed (see :func:`crawler.discovery.read_sitemap`): only the newest entries are kept,
        nested indexes are followed ``sitemap_depth`` levels, and a document that is not a
        sitemap, or breaks off, is counted as an error with its reason."""
        source = self.source_of(response)
        self.inc(source.name, "pages")
        read = discovery.read_sitemap(response.body, response.url, self.limit(source, "urls_per_document"),
                                      self.max_sitemap_bytes)
        if read.total > len(read.entries):
            self.capped(source, "urls_per_document", read.total - len(read.entries))
        if read.error:
            self.inc(source.name, "errors")
            self.inc(source.name, "error/sitemap_unreadable" if read.kind or read.total else "error/not_a_sitemap")
            self.logger.warning("%s: %s: %s%s", source.name, response.url, read.error,
                                f" (kept {read.total} entries read before it)" if read.total else "")
        entries = discovery.without_blanket_lastmod(read.entries)
        children = [e for e in entries if e.kind == "sitemap"]
        depth = int(response.meta.get("sitemap_depth", 0))
        if children and depth >= self.limit(source, "sitemap_depth"):
            self.capped(source, "sitemap_depth", len(children))
            children = []
        for entry in children:
            if discovery.is_too_old(entry.date, self.max_age(source), self.now):
                self.inc(source.name, "skipped/too_old")
                continue
            yield from self.sitemap_request(source, entry.url, depth + 1)
        via = "news-sitemap" if read.news else "sitemap"
        yield from self.follow_entries(source, [e for e in entries if e.kind == "article"], via)
