"""A crawl frontier shared by N workers on Redis: leases, a seen-set, shared politeness and robots.txt.

Enabled by the crawl entry when ``NEWSMON_FRONTIER`` holds a ``redis://`` URL; without it a crawl
uses Scrapy's own in-memory scheduler and nothing here runs.

* :class:`SharedScheduler` (``SCHEDULER``) keeps every request of the crawl in Redis. A worker takes
  a request under a *lease* (a sorted set scored by the lease's expiry, in Redis's clock) and
  acknowledges it once Scrapy has finished with it: response downloaded, callback run, its items
  through the pipelines (stored) and its new requests pushed. A worker that dies stops renewing
  its leases; when one expires, the next worker that asks for work puts the request back at the
  head of the queue. A seen-set of request fingerprints makes each URL enter the frontier once.
* :class:`FrontierSeeding` (spider middleware) lets one worker, the first, turn the sources into
  start requests; the others wait until it is done and then only take work.
* :class:`SharedDelay` (downloader middleware) keeps each host's delay for the whole cluster: a
  per-host next-allowed time in Redis, reserved atomically before each request.
* :class:`SharedRobots` (downloader middleware, in place of :class:`crawler.robots.RobotsVerdict`)
  shares each host's robots.txt through Redis for ``NEWSMON_FRONTIER_ROBOTS_TTL`` seconds.

The frontier itself is an object the application opens and hands to the spider (``frontier=``,
see :mod:`crawler.frontier_protocol`; on Redis: :mod:`newsmon.frontier.client`). Each crawl in it
has an *epoch*, a random id written when the crawl starts: a Redis restarted without its data has
none, and the workers stop with an error (``frontier lost``) instead of finishing a partial crawl
as if it were whole. A Redis that is unreachable is retried for
``NEWSMON_FRONTIER_RETRY_SECONDS`` (requests to push and acknowledgements wait in memory), then
the crawl stops with an error too.

Scrapy's engine offers no signal for "this request is completely handled"; the engine's slot
method ``remove_request`` is exactly that point (after the scrape, or after a redirect's new
request was scheduled), so :meth:`SharedScheduler.open` wraps it. The frontier tests fail if a
Scrapy upgrade moves it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import random
import socket
import time
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.request import request_from_dict
from twisted.internet import task

from crawler.backoff import TRIES_KEY
from crawler.frontier_protocol import Frontier, FrontierLost, FrontierUnreachable
from crawler.robots import RobotsVerdict

logger = logging.getLogger(__name__)

ID_KEY = "frontier_id"  # request.meta: the frontier's id of a leased request
LOCAL_META = {ID_KEY, "is_start_request", "download_latency"}  # meaningful in one worker only
AGAIN_META = ("retry_times", "redirect_times", TRIES_KEY)  # set on a request made again by a middleware


# -- request (de)serialization: JSON, never pickle (nothing read from Redis can run code) --------
def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__b": base64.b64encode(value).decode()}
    if isinstance(value, datetime):
        return {"__dt": value.isoformat()}
    if isinstance(value, date):
        return {"__d": value.isoformat()}
    if isinstance(value, (set, frozenset)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"frontier: cannot store a {type(value).__name__} in a request's meta")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1:
            (key, inner), = value.items()
            if key == "__b":
                return base64.b64decode(inner)
            if key == "__dt":
                return datetime.fromisoformat(inner)
            if key == "__d":
                return date.fromisoformat(inner)
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _method_name(func: Any, spider: Spider) -> str | None:
    if func is None:
        return None
    name = getattr(func, "__name__", None)
    if name is None or getattr(func, "__self__", None) is not spider:
        raise ValueError(f"frontier: a request's callback must be a method of the spider, not {func!r}")
    return name


def dumps_request(request: Request, spider: Spider) -> str:
    """The fields Scrapy's ``Request.to_dict`` gives, for ``request_from_dict``; built here because
    ``to_dict`` looks callbacks up with ``inspect.getmembers`` (0.3 ms a request)."""
    if type(request) is not Request:
        data = request.to_dict(spider=spider)  # a subclass (FormRequest…) knows its own fields
    else:
        data = {"url": request.url, "callback": _method_name(request.callback, spider),
                "errback": _method_name(request.errback, spider), "method": request.method,
                "priority": request.priority, "dont_filter": request.dont_filter}
        if request.headers:
            data["headers"] = dict(request.headers)
        if request.body:
            data["body"] = request.body
        if request.cookies:
            data["cookies"] = request.cookies
        if request.cb_kwargs:
            data["cb_kwargs"] = request.cb_kwargs
        if request.flags:
            data["flags"] = request.flags
    data["meta"] = {k: v for k, v in (request.meta or {}).items() if k not in LOCAL_META and not k.startswith("_")}
    return json.dumps(_encode(data), separators=(",", ":"), ensure_ascii=False)


def loads_request(body: bytes | str, spider: Spider) -> Request:
    return request_from_dict(_decode(json.loads(body)), spider=spider)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def frontier_object(crawler: Crawler) -> Frontier:
    """The frontier the application handed to the spider for this crawl."""
    frontier = getattr(crawler.spider, "frontier", None)
    if frontier is None:
        raise NotConfigured("no shared frontier: crawls join one with `newsmon crawl --frontier URL`")
    return frontier


# -- the scheduler ---------------------------------------------------------------------------------
class SharedScheduler:
    """A Scrapy scheduler whose queue is the shared frontier (see the module's docstring)."""

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        self.crawler = crawler
        self.lease = s.getfloat("NEWSMON_FRONTIER_LEASE")
        self.idle_seconds = s.getfloat("NEWSMON_FRONTIER_IDLE_SECONDS")
        self.retry_seconds = s.getfloat("NEWSMON_FRONTIER_RETRY_SECONDS")
        self.batch = max(1, s.getint("NEWSMON_FRONTIER_BATCH"))
        self.worker = worker_name()
        self.frontier: Frontier | None = None
        self.buffer: list[Request] = []  # leased, not yet handed to the engine
        self.leased: dict[str, Request] = {}  # id → request object, until acknowledged
        self.to_push: list[tuple[str, int, str, str]] = []  # waiting: (fingerprint, order, host, body)
        self.to_ack: list[str] = []
        self.seeding = False
        self.idle_since: float | None = None
        self.last_progress = 0.0
        self.cluster_pending = True
        self.failing_since: float | None = None
        self.next_retry = 0.0
        self.failed: str | None = None
        self.loop: task.LoopingCall | None = None
        self.last_beat = 0.0
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SharedScheduler":
        return cls(crawler)

    # -- Scrapy's scheduler interface ------------------------------------------------------
    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.frontier = frontier = frontier_object(self.crawler)
        try:
            created = frontier.open(self.worker, self.lease)
        except FrontierUnreachable as exc:
            raise FrontierUnreachable(f"frontier {frontier.url}: cannot reach it: {exc}") from None
        logger.info("frontier %s: %s epoch %s as %s", frontier.url, "started" if created else "joined",
                    frontier.epoch, self.worker)
        self.stats.set_value("newsmon/frontier/joined", 0 if created else 1)
        slot = self.crawler.engine._slot  # the one point where Scrapy is done with a request
        remove = slot.remove_request

        def remove_request(request: Request) -> None:
            remove(request)
            self._done(request)

        slot.remove_request = remove_request
        self.loop = task.LoopingCall(self._tick)
        self.loop.start(min(0.2, self.lease / 5), now=False)

    def close(self, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.frontier is None:
            return
        if not self.failed:
            self._flush(force=True)
            if self.leased and not self.failing_since:
                # stopped before handling them (Ctrl-C, SIGTERM): back to the queue now, not at expiry
                try:
                    self.frontier.release(list(self.leased))
                    self.stats.inc_value("newsmon/frontier/released", len(self.leased))
                except (FrontierUnreachable, FrontierLost):
                    pass
            if self.to_push or self.to_ack:
                logger.error("frontier %s: %d new requests and %d acknowledgements could not be sent; their "
                             "leases expire and other workers redo them", self.frontier.url, len(self.to_push),
                             len(self.to_ack))
        try:
            self.frontier.sign_off(self.worker)
        except (FrontierUnreachable, FrontierLost):
            pass

    def enqueue_request(self, request: Request) -> bool:
        # Into the seen-set: every request the spider discovered, even with dont_filter (the spider
        # filters its own links per process with it; across workers only the seen-set can). Not
        # a request a downloader middleware made again: a retry, a paced retry, a redirect hop.
        again = any(key in request.meta for key in AGAIN_META)
        fingerprint = "" if again else self.crawler.request_fingerprinter.fingerprint(request).hex()
        host = urlparse_cached(request).hostname or ""
        self.to_push.append((fingerprint, -int(request.priority), host, dumps_request(request, self.spider)))
        if len(self.to_push) >= 16:  # a page's links go in few round trips (and every tick flushes)
            self._flush()
        return True

    def next_request(self) -> Request | None:
        if self.failed or self.frontier is None:
            return None
        if not self.buffer:
            self._flush()
            if self.failing_since is not None:
                return None  # no new leases while what waits cannot be sent
            try:
                popped = self.frontier.pop(self.worker, self.lease, self.batch)
            except (FrontierUnreachable, FrontierLost) as exc:
                self._trouble(exc)
                return None
            for rid, body in popped:
                request = loads_request(body, self.spider)
                request.meta[ID_KEY] = rid
                self.leased[rid] = request
                self.buffer.append(request)
            if popped:
                self.stats.inc_value("newsmon/frontier/leased", len(popped))
        return self.buffer.pop(0) if self.buffer else None

    def has_pending_requests(self) -> bool:
        if self.failed or self.frontier is None:
            return False
        if self.buffer or self.to_push or self.to_ack or self.leased:
            return True
        now = time.monotonic()
        if now - self.last_progress >= 0.1:
            self.last_progress = now
            try:
                queued, leased, seeded = self.frontier.progress()
            except (FrontierUnreachable, FrontierLost) as exc:
                self._trouble(exc)
                return not self.failed
            self._ok()
            self.cluster_pending = bool(queued or leased or not seeded)
        if self.cluster_pending:
            self.idle_since = None
            return True
        if self.idle_since is None:
            self.idle_since = now
        return now - self.idle_since < self.idle_seconds

    # -- seeding (FrontierSeeding asks) ------------------------------------------------------
    def claim_seed(self) -> str:
        assert self.frontier is not None
        try:
            answer = self.frontier.claim_seed(self.worker, self.lease)
        except (FrontierUnreachable, FrontierLost) as exc:
            self._trouble(exc)
            return "other"
        self._ok()
        self.seeding = answer == "mine"
        return answer

    def seed_done(self) -> bool:
        assert self.frontier is not None
        self._flush(force=True)
        if self.to_push:
            return False  # not all seeds are in: the claim stays ours (renewed) and we try again
        try:
            self.frontier.seed_done()
        except FrontierUnreachable as exc:
            self._trouble(exc)
            return False
        self.seeding = False
        return True

    # -- internals ---------------------------------------------------------------------------------
    def _done(self, request: Request) -> None:
        rid = request.meta.get(ID_KEY)
        if rid is not None and self.leased.get(rid) is request:
            del self.leased[rid]
            self.to_ack.append(rid)
            if len(self.to_ack) >= 8 or not self.leased:
                self._flush()

    def _flush(self, force: bool = False) -> None:
        """Send what waits, new requests first, then acknowledgements: a page's links are in the
        frontier before the page's lease is released."""
        if self.failed or self.frontier is None:
            return
        if not force and self.failing_since is not None and time.monotonic() < self.next_retry:
            return
        try:
            if self.to_push:
                batch = self.to_push[:200]
                self.frontier.push(batch)
                del self.to_push[:len(batch)]
                self.stats.inc_value("newsmon/frontier/pushed", len(batch))
                if self.to_push:
                    return self._flush(force)
            if self.to_ack:
                batch = self.to_ack[:200]
                self.frontier.ack(batch)
                del self.to_ack[:len(batch)]
                self.stats.inc_value("newsmon/frontier/acked", len(batch))
                if self.to_ack:
                    return self._flush(force)
        except (FrontierUnreachable, FrontierLost) as exc:
            self._trouble(exc)
            return
        self._ok()

    def _tick(self) -> None:
        """Every 0.2 s: flush, renew this worker's leases, and wake the engine to ask for work."""
        if self.failed or self.frontier is None:
            return
        self._flush()
        now = time.monotonic()
        if now - self.last_beat >= self.lease / 4:
            try:
                self.frontier.heartbeat(self.worker, self.lease, self.seeding, list(self.leased))
                self.last_beat = now
                self._ok()
            except (FrontierUnreachable, FrontierLost) as exc:
                self._trouble(exc)
        if not self.failed:
            self.crawler.engine._slot.nextcall.schedule()

    def _ok(self) -> None:
        if self.failing_since is not None:
            logger.warning("frontier %s: reachable again after %.1f s", self.frontier.url,
                           time.monotonic() - self.failing_since)
        self.failing_since = None

    def _trouble(self, exc: Exception) -> None:
        assert self.frontier is not None
        if isinstance(exc, FrontierLost):
            self._fail(f"frontier lost: {self.frontier.url} no longer holds this crawl (Redis restarted without "
                       f"its data, or `newsmon frontier reset`); {len(self.leased)} leased and {len(self.to_push)} "
                       "new requests of this worker cannot be handed back: the crawl is incomplete")
            return
        now = time.monotonic()
        self.next_retry = now + 0.5
        if self.failing_since is None:
            self.failing_since = now
            logger.warning("frontier %s: unreachable (%s); retrying for %.0f s", self.frontier.url, exc,
                           self.retry_seconds)
        elif now - self.failing_since > self.retry_seconds:
            self._fail(f"frontier unreachable: {self.frontier.url} did not answer for {self.retry_seconds:.0f} s "
                       f"({exc}); the crawl is incomplete")

    def _fail(self, message: str) -> None:
        if self.failed:
            return
        self.failed = message
        logger.error("%s", message)
        self.stats.set_value("newsmon/frontier/error", message)
        self.buffer.clear()
        asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="frontier_failed"))


def scheduler_of(crawler: Crawler) -> SharedScheduler:
    scheduler = getattr(getattr(crawler.engine, "_slot", None), "scheduler", None)
    if not isinstance(scheduler, SharedScheduler):
        raise NotConfigured("the frontier components need SCHEDULER = crawler.frontier.SharedScheduler")
    return scheduler


class FrontierSeeding:
    """Spider middleware: only the worker that claims the seed turns the sources into requests."""

    def __init__(self, crawler: Crawler):
        frontier_object(crawler)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "FrontierSeeding":
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        scheduler = scheduler_of(self.crawler)
        while True:
            answer = scheduler.claim_seed()
            if answer == "done" or scheduler.failed:
                self.crawler.stats.set_value("newsmon/frontier/seeded", 0)
                return
            if answer == "mine":
                break
            await asyncio.sleep(0.25)  # another worker seeds; if it dies, its claim expires and we take over
        count = 0
        async for request in start:
            count += 1
            yield request
        while not scheduler.seed_done() and not scheduler.failed:
            await asyncio.sleep(0.5)
        self.crawler.stats.set_value("newsmon/frontier/seeded", count)


class SharedDelay:
    """Downloader middleware: each host's delay between two requests, across all workers.

    The delay is the source's ``delay``, else ``DOWNLOAD_DELAY``: ``NEWSMON_FRONTIER_DELAYS``
    (host → seconds, ``*`` for the rest), which the crawl entry fills from those two and sets the
    local slots' delays to 0 (a local delay after the turn was taken would bunch requests). When a
    request is ready to leave, the frontier compares its clock with the host's next-allowed time:
    past it, the request goes and the next-allowed time moves ``delay`` ahead; otherwise the
    request sleeps until then and asks again. Taken when the request leaves, not in advance: a
    worker whose event loop was busy when its turn came cannot send two requests back to back.
    In place of the one-process :class:`crawler.throttle.SourceDelay`.
    """

    def __init__(self, crawler: Crawler):
        self.frontier = frontier_object(crawler)
        delays = {host: float(d) for host, d in (crawler.settings.getdict("NEWSMON_FRONTIER_DELAYS") or {}).items()}
        self.default = delays.pop("*", 0.0)
        self.delays = delays

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SharedDelay":
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        host = request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
        delay = self.delays.get(host, self.default)
        if delay <= 0:
            return
        while True:
            try:
                wait = self.frontier.reserve(host, delay)
            except (FrontierUnreachable, FrontierLost):
                await asyncio.sleep(delay)  # frontier away: this worker's own pace; the scheduler decides on failing
                return
            if wait <= 0:
                return
            await asyncio.sleep(wait + random.uniform(0, 0.01))  # spread the waiters' next attempts


class SharedRobots(RobotsVerdict):
    """robots.txt fetched once per host per ``NEWSMON_FRONTIER_ROBOTS_TTL`` seconds for the cluster."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        self.frontier = frontier_object(crawler)
        self.ttl = max(1, crawler.settings.getint("NEWSMON_FRONTIER_ROBOTS_TTL"))

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            try:
                body = self.frontier.robots_get(netloc)
            except (FrontierUnreachable, FrontierLost):
                body = None
            if body is not None:
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
                self.crawler.stats.inc_value("newsmon/frontier/robots_shared")
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Any, netloc: str, request: Request) -> None:
        # whatever the status: Scrapy parses the body of a 404 too (and then allows everything)
        try:
            self.frontier.robots_set(netloc, response.body, self.ttl)
        except (FrontierUnreachable, FrontierLost):
            pass
        await super()._parse_robots(response, netloc, request)
