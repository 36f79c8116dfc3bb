"""Conditional GET for the feeds and sitemaps that `newsmon schedule` polls every few minutes.

Scrapy's own ``HttpCacheMiddleware`` does the work (its ``RFC2616Policy`` sends ``If-None-Match`` /
``If-Modified-Since`` and serves the stored copy on ``304 Not Modified``); this module only says
*what* is cached and *when* a stored copy may stand in for the server's answer:

* only the URLs a source lists under ``feeds`` and ``sitemaps`` (never articles, listings or
  search pages), and only 200 answers that carry a validator (``ETag`` or ``Last-Modified``):
  a server that gives none is simply fetched in full every time;
* a stored copy is never "fresh": every poll asks the server. Expiry headers and Firefox's
  Last-Modified heuristic (Scrapy's default) would let a feed go unpolled for hours;
* trust is bounded: a server whose validators never change while its feed does (a
  misconfigured CDN) would hide news forever, so a copy older than
  ``NEWSMON_CONDITIONAL_MAX_AGE_SECONDS`` is fetched again without validators.

A 304 gives the spider the stored feed; its entries are already stored, so nothing is fetched
again. Scrapy counts ``httpcache/revalidate`` (304s), ``httpcache/store``, ``httpcache/firsthand``.
The copies live in ``<data dir>/httpcache`` (gzip).
"""

from __future__ import annotations

import time

from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import Request, Response
from scrapy.settings import BaseSettings


FETCHED_HEADER = b"X-Newsmon-Fetched"  # when the stored copy was last fetched in full (epoch seconds)


class FeedRevalidationPolicy(RFC2616Policy):
    def __init__(self, settings: BaseSettings):
        super().__init__(settings)
        self.urls: set[str] = set()
        for source in settings.getlist("NEWSMON_SOURCES"):
            self.urls.update(source.feeds)
            self.urls.update(source.sitemaps)
        self.max_age = settings.getfloat("NEWSMON_CONDITIONAL_MAX_AGE_SECONDS", 3600.0)

    def should_cache_request(self, request: Request) -> bool:
        return request.url in self.urls and super().should_cache_request(request)

    def should_cache_response(self, response: Response, request: Request) -> bool:
        if response.status != 200 or not (b"ETag" in response.headers or b"Last-Modified" in response.headers):
            return False
        if b"no-store" in self._parse_cachecontrol(response):
            return False
        if "cached" not in response.flags:  # a full answer from the server, not a copy freshened by a 304
            response.headers[FETCHED_HEADER] = str(int(time.time()))
        return True

    def is_cached_response_fresh(self, cachedresponse: Response, request: Request) -> bool:
        try:
            fetched = float(cachedresponse.headers.get(FETCHED_HEADER) or 0)
        except ValueError:
            fetched = 0.0
        if time.time() - fetched < self.max_age:
            self._set_conditional_validators(request, cachedresponse)
        return False  # always ask the server

