"""A Scrapy extension for tests: a busy callback on the reactor after every response.

``newsmon crawl -s 'EXTENSIONS={"tests.busy_reactor.BusyReactor": 900}'`` makes the crawl's one
thread spend ``$BUSY_REACTOR_SECONDS`` (0.2) of CPU in a callback each time a response arrives, as
a heavy page's extraction does on a loaded machine. Nothing else changes.
"""

from __future__ import annotations

import os
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler


class BusyReactor:
    def __init__(self, seconds: float):
        self.seconds = seconds

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "BusyReactor":
        ext = cls(float(os.environ.get("BUSY_REACTOR_SECONDS", "0.2")))
        crawler.signals.connect(ext.busy, signal=signals.response_received)
        return ext

    def busy(self, **_: Any) -> None:
        end = time.perf_counter() + self.seconds
        while time.perf_counter() < end:  # CPU, as extraction is: the reactor runs nothing else meanwhile
            pass
