"""Each source's configured ``delay`` kept as the minimum gap between requests to its hosts.

Scrapy's AutoThrottle lowers a slot's delay towards the server's latency, but never below the
*global* DOWNLOAD_DELAY: a site the registry says to visit every 5 seconds would be visited every
0.5 s after a few quick answers. This downloader middleware holds each request of a host whose
source sets ``delay`` until that long after the host's previous request, whatever AutoThrottle
decided; AutoThrottle keeps its own policy on top (and may only make the gap longer).

Hosts map to delays through ``DOWNLOAD_SLOTS`` (filled from sources.yaml by the crawl entry), so
the configuration Scrapy itself reads is the one obeyed here. Only public Scrapy API is used: an
``async`` ``process_request`` that waits.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached


class SourceDelay:
    def __init__(self, delays: dict[str, float]):
        self.delays = delays
        self.next_slot: dict[str, float] = {}  # host → earliest monotonic time of its next request

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SourceDelay":
        slots: dict[str, Any] = crawler.settings.getdict("DOWNLOAD_SLOTS") or {}
        delays = {key: float(conf["delay"]) for key, conf in slots.items() if conf.get("delay")}
        if not delays:
            raise NotConfigured("no source sets a delay")
        return cls(delays)

    async def process_request(self, request: Request) -> None:
        host = request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
        delay = self.delays.get(host)
        if delay is None:
            return
        now = time.monotonic()
        start = max(now, self.next_slot.get(host, 0.0))
        self.next_slot[host] = start + delay  # reserved before waiting: concurrent requests queue up
        if start > now:
            await asyncio.sleep(start - now)
