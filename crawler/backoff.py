"""Downloader middleware: a host that answers 429 or 403 (or 503 with Retry-After) is left alone.

Being blocked is a signal to slow down, not to retry at once. On such an answer the host's
download slot is paused until ``Retry-After`` (seconds or an HTTP date) has passed — or, without
the header, for an exponential backoff (``NEWSMON_BACKOFF_BASE_DELAY`` × 2ⁿ) — and its delay
between requests is raised to that pause, so every request to the host waits, not just the
retried one (AutoThrottle brings the delay back down as normal answers return). The URL is
retried at most ``NEWSMON_BACKOFF_MAX_RETRIES`` times; a host asking for a longer wait than
``NEWSMON_BACKOFF_MAX_DELAY`` is not retried in this crawl. After
``NEWSMON_BACKOFF_HOST_GIVE_UP`` URLs in a row given up on, the host's remaining requests are
dropped unfetched (``skipped/blocked_host``).

Counted per source: ``blocked/403``, ``blocked/429``, ``blocked/503`` for each such answer;
giving up returns the answer, so the spider counts it once in ``errors`` (``error/http_429``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)

BLOCKING_STATUSES = (403, 429)
TRIES_KEY = "newsmon_backoff_tries"


class HostBlocked(IgnoreRequest):
    """Raised for a request to a host that kept refusing us in this crawl."""


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date; None when absent or bad."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max((when - (now or datetime.now(timezone.utc))).total_seconds(), 0.0)


def backoff_delay(tries: int, base: float, cap: float) -> float:
    """Exponential backoff without a Retry-After: base, 2·base, 4·base … capped."""
    return min(base * (2 ** tries), cap)


class BackoffMiddleware:
    def __init__(self, crawler: Crawler, base_delay: float = 10.0, max_delay: float = 300.0, max_retries: int = 3,
                 host_give_up: int = 3):
        self.crawler = crawler
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retries = max_retries
        self.host_give_up = host_give_up
        self._paused_until: dict[str, float] = {}  # slot key → monotonic time
        self._given_up: dict[str, int] = {}  # slot key → URLs given up on in a row

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "BackoffMiddleware":
        s = crawler.settings
        if not s.getbool("NEWSMON_BACKOFF_ENABLED", True):
            raise NotConfigured
        return cls(crawler, s.getfloat("NEWSMON_BACKOFF_BASE_DELAY", 10.0), s.getfloat("NEWSMON_BACKOFF_MAX_DELAY", 300.0),
                   s.getint("NEWSMON_BACKOFF_MAX_RETRIES", 3), s.getint("NEWSMON_BACKOFF_HOST_GIVE_UP", 3))

    def _inc(self, request: Request, key: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"newsmon/source/{request.meta.get('source', '?')}/{key}")

    def _slot_key(self, request: Request) -> str:
        """The host, or the slot a request names: what Scrapy's downloader itself keys slots by."""
        return request.meta.get("download_slot") or urlparse_cached(request).hostname or ""

    async def process_request(self, request: Request) -> None:
        key = self._slot_key(request)
        if self.host_give_up and self._given_up.get(key, 0) >= self.host_give_up:
            raise HostBlocked(f"blocked host, not fetched: {request.url}")
        wait = self._paused_until.get(key, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        key = self._slot_key(request)
        status = response.status
        retry_after = retry_after_seconds(response.headers.get(b"Retry-After"))
        if not (status in BLOCKING_STATUSES or (status == 503 and retry_after is not None)):
            if status < 400:
                self._given_up.pop(key, None)
            return response
        self._inc(request, f"blocked/{status}")
        tries = int(request.meta.get(TRIES_KEY, 0))
        if retry_after is not None and retry_after > self.max_delay:
            return self._give_up(request, response, key, f"asks to wait {retry_after:.0f}s (cap {self.max_delay:.0f}s)")
        if tries >= self.max_retries:
            return self._give_up(request, response, key, f"still {status} after {tries} retries")
        delay = retry_after if retry_after is not None else backoff_delay(tries, self.base_delay, self.max_delay)
        self._pause(key, delay)
        logger.info("%s: %s: HTTP %d, retry %d in %.1fs", request.meta.get("source", "?"), request.url, status,
                    tries + 1, delay)
        retry = request.replace(dont_filter=True)
        retry.meta[TRIES_KEY] = tries + 1
        return retry

    def _pause(self, key: str, delay: float) -> None:
        self._paused_until[key] = max(self._paused_until.get(key, 0.0), time.monotonic() + delay)

    def _give_up(self, request: Request, response: Response, key: str, why: str) -> Response:
        self._given_up[key] = self._given_up.get(key, 0) + 1
        request.meta["dont_retry"] = True  # Scrapy's RetryMiddleware must not hammer on after us
        logger.info("%s: %s: giving up: %s", request.meta.get("source", "?"), request.url, why)
        return response
