"""AutoThrottle that keeps each source's configured delay as the floor for its hosts.

Scrapy's AutoThrottle lowers a slot's delay towards the server's latency but never below the
*global* DOWNLOAD_DELAY, so a site the registry says to visit every 5 seconds would be visited
every 0.5 s after a few quick answers — and a local test site configured with delay 0 could not
go faster than the global floor. Here the floor of a host is the ``delay`` its source sets
(DOWNLOAD_SLOTS, filled from sources.yaml by :func:`newsmon.crawl.crawl_settings`), else the
global one; the policy is otherwise AutoThrottle's, including its ceiling.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response


class SourceThrottle(AutoThrottle):
    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        slots: dict[str, Any] = crawler.settings.getdict("DOWNLOAD_SLOTS") or {}
        self.floors = {key: float(conf["delay"]) for key, conf in slots.items() if conf.get("delay") is not None}

    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        key, slot = self._get_slot(request, spider)
        latency = request.meta.get("download_latency")
        if latency is None or slot is None or request.meta.get("autothrottle_dont_adjust_delay", False) is True:
            return
        floor = self.floors.get(key or "", self.mindelay)
        target = latency / self.target_concurrency
        new_delay = max(target, (slot.delay + target) / 2.0)
        new_delay = min(max(floor, new_delay), max(self.maxdelay, floor))
        # as AutoThrottle: small error pages must not pull the delay down
        if response.status != 200 and new_delay <= slot.delay:
            return
        slot.delay = new_delay
