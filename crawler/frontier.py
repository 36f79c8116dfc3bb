"""A crawl frontier shared by N workers on Redis: leases, a seen-set, shared politeness and robots.txt.

Enabled by the crawl entry when ``NEWSMON_FRONTIER`` holds a ``redis://`` URL; without it a crawl
uses Scrapy's own in-memory scheduler and nothing here runs.

* :class:`SharedScheduler` (``SCHEDULER``) keeps every request of the crawl in Redis. A worker takes
  a request under a *lease* (a sorted set scored by the lease's expiry, in Redis's clock) and
  acknowledges it once Scrapy has finished with it: response downloaded, callback run, its items
  through the pipelines (stored) and its new requests pushed. A worker that dies stops renewing
  its leases; when one expires, the next worker that asks for work puts the request back at the
  head of the queue. A seen-set of request fingerprints makes each URL enter the frontier once.
* :class:`FrontierAck` (spider middleware, outermost) and :class:`FrontierFailureAck` (downloader
  middleware, outermost) tell the scheduler when a leased request is completely handled, through
  Scrapy's public extension points only (see "When is a request done" below).
* :class:`FrontierSeeding` (spider middleware) lets one worker, the first, turn the sources into
  start requests; the others wait until it is done and then only take work.
* :class:`SharedPoliteness` (download handler, around the project's own) keeps each host's delay
  *and* concurrency for the whole cluster: a per-host semaphore in Redis (slots that expire unless
  their worker renews them) and a per-host next-allowed time, both taken in one atomic step as
  the downloader sends each request; the next turn is counted from when the request has surely
  left, not from when it took its turn.
* :class:`SharedRobots` (downloader middleware, in place of :class:`crawler.robots.RobotsVerdict`)
  shares each host's robots.txt through Redis for ``NEWSMON_FRONTIER_ROBOTS_TTL`` seconds.

The frontier itself is an object the application opens and hands to the spider (``frontier=``,
see :mod:`crawler.frontier_protocol`; on Redis: :mod:`newsmon.frontier.client`). Each crawl in it
has an *epoch*, a random id written when the crawl starts: a Redis restarted without its data has
none, and the workers stop with an error (``frontier lost``) instead of finishing a partial crawl
as if it were whole. A Redis that is unreachable is retried for
``NEWSMON_FRONTIER_RETRY_SECONDS`` (requests to push and acknowledgements wait in memory), then
the crawl stops with an error too.

When is a request done? Scrapy has no signal for "this request is completely handled", so the
point is assembled from public pieces, each of which the frontier tests exercise:

* a response: every output of its callback (or errback) passes through :class:`FrontierAck`'s
  ``process_spider_output``, the outermost, which counts the items it lets out; each item ends in
  ``item_scraped``, ``item_dropped`` or ``item_error`` (signals that carry the response). The lease
  is acknowledged when the output is exhausted and its last item has left the pipelines (stored).
  A callback that raises ends in ``spider_error``, which acknowledges too.
* a download that failed: :class:`FrontierFailureAck`'s ``process_exception``, the last to see
  the exception (no middleware turned it into a retry), wraps the request's errback so that the
  lease is acknowledged once the errback and its output are done (at once without an errback).
* a request that a downloader middleware replaced (a redirect, a retry): the replacement reaches
  :meth:`SharedScheduler.enqueue_request` still carrying the lease's id; it goes into the frontier
  as a new request, and the old lease is acknowledged after it.
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
from weakref import WeakKeyDictionary

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.request import request_from_dict
from twisted.internet import task

from crawler.backoff import TRIES_KEY
from crawler.itempipelines import close_crawl
from crawler.frontier_protocol import Frontier, FrontierFinished, FrontierLost, FrontierUnreachable
from crawler.robots import RobotsVerdict

logger = logging.getLogger(__name__)

ID_KEY = "frontier_id"  # request.meta: the frontier's id of a leased request
TURN_KEY = "_frontier_turn"  # request.meta: (host, token, delay) of a turn not yet known to have left (never serialized: "_")
LOCAL_META = {ID_KEY, "is_start_request", "download_latency"}  # meaningful in one worker only
AGAIN_META = ("retry_times", "redirect_times", TRIES_KEY)  # set on a request made again by a middleware


# -- request (de)serialization: JSON, never pickle (nothing read from Redis can run code) --------
def _encode(value: Any) -> Any:
    """``json.dumps``'s ``default``: what JSON has no type for (the C encoder does the rest)."""
    if isinstance(value, bytes):
        return {"__b": base64.b64encode(value).decode()}
    if isinstance(value, datetime):
        return {"__dt": value.isoformat()}
    if isinstance(value, date):
        return {"__d": value.isoformat()}
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"frontier: cannot store a {type(value).__name__} in a request's meta")


_DECODERS = {"__b": base64.b64decode, "__dt": datetime.fromisoformat, "__d": date.fromisoformat}


def _decode(value: dict) -> Any:
    """``json.loads``'s ``object_hook``: a one-key marker object back to its type."""
    if len(value) == 1:
        (key, inner), = value.items()
        decoder = _DECODERS.get(key)
        if decoder is not None:
            return decoder(inner)
    return value


def _method_name(func: Any, spider: Spider) -> str | None:
    if func is None:
        return None
    func = getattr(func, "wrapped", func)  # FrontierFailureAck's errback wrapper
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
            # bytes names and values (a retry or a redirect hop carries the middlewares' headers)
            # names as text (JSON keys; header names are ASCII), values as bytes (base64 below)
            data["headers"] = {name.decode("latin-1"): list(values) for name, values in request.headers.items()}
        if request.body:
            data["body"] = request.body
        if request.cookies:
            data["cookies"] = request.cookies
        if request.cb_kwargs:
            data["cb_kwargs"] = request.cb_kwargs
        if request.flags:
            data["flags"] = request.flags
    data["meta"] = {k: v for k, v in (request.meta or {}).items() if k not in LOCAL_META and not k.startswith("_")}
    return json.dumps(data, default=_encode, separators=(",", ":"), ensure_ascii=False)


def loads_request(body: bytes | str, spider: Spider) -> Request:
    return request_from_dict(json.loads(body, object_hook=_decode), spider=spider)


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
        self.handling: dict[str, list[int]] = {}  # id → [outputs being read, items in the pipelines]
        self.seeding = False
        self.idle_since: float | None = None
        self.last_progress = 0.0
        self.cluster_pending = True
        self.failing_since: float | None = None
        self.next_retry = 0.0
        self.failed: str | None = None
        self.over = False  # our batch finished and a new one started: nothing more to do here
        self.loop: task.LoopingCall | None = None
        self.last_beat = 0.0
        self.stats = crawler.stats
        self.woke = False
        _SCHEDULERS[crawler] = self

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
        replaced = request.meta.pop(ID_KEY, None)  # a redirect or retry of a leased request
        # Into the seen-set: every request the spider discovered, even with dont_filter (the spider
        # filters its own links per process with it; across workers only the seen-set can). Not
        # a request a downloader middleware made again: a retry, a paced retry, a redirect hop.
        again = any(key in request.meta for key in AGAIN_META)
        fingerprint = "" if again else self.crawler.request_fingerprinter.fingerprint(request).hex()
        host = urlparse_cached(request).hostname or ""
        self.to_push.append((fingerprint, -int(request.priority), host, dumps_request(request, self.spider)))
        if replaced is not None:
            self.stats.inc_value("newsmon/frontier/replaced")
            self.done(replaced)  # acknowledged after the replacement is pushed (_flush's order)
        elif len(self.to_push) >= 16:  # a page's links go in few round trips (and every tick flushes)
            self._flush()
        return True

    def next_request(self) -> Request | None:
        if self.failed or self.over or self.frontier is None:
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
        if self.failed or self.over or self.frontier is None:
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
                return not (self.failed or self.over)
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
    # -- when a leased request is done (FrontierAck and FrontierFailureAck report) ------------------
    def output_started(self, rid: str) -> None:
        self.handling.setdefault(rid, [0, 0])[0] += 1

    def output_ended(self, rid: str) -> None:
        if rid in self.handling:
            self.handling[rid][0] -= 1
        # checked on the next turn of the event loop: a spider middleware that recovered from an
        # exception chains its own output after this one, read in the same turn
        asyncio.get_event_loop().call_soon(self.check, rid)

    def item_started(self, rid: str) -> None:
        self.handling.setdefault(rid, [0, 0])[1] += 1

    def item_ended(self, rid: str) -> None:
        if rid in self.handling:
            self.handling[rid][1] -= 1
            self.check(rid)

    def check(self, rid: str) -> None:
        """Acknowledged when no output of the request is being read and none of its items is in
        the pipelines."""
        if self.handling.get(rid, [0, 0]) == [0, 0]:
            self.handling.pop(rid, None)
            self.done(rid)

    def done(self, rid: str) -> None:
        if self.leased.pop(rid, None) is not None:
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
        if self.failed or self.over or self.frontier is None:
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
            self._wake()

    def _wake(self) -> None:
        """Ask the engine for its next requests now (work other workers pushed), not at its 5 s
        heartbeat. Scrapy has no public call for it: a scheduler cannot tell the engine it has work
        (``engine.crawl(request)`` wakes it, but hands the request back to ``enqueue_request``,
        which would push a leased request into the frontier again). Read defensively: without it
        the crawl is slower, not wrong."""
        nextcall = getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()
        elif not self.woke:
            self.woke = True
            logger.warning("frontier: this Scrapy has no engine slot to wake; work is taken at its heartbeat")

    def _ok(self) -> None:
        if self.failing_since is not None:
            logger.warning("frontier %s: reachable again after %.1f s", self.frontier.url,
                           time.monotonic() - self.failing_since)
        self.failing_since = None

    def _trouble(self, exc: Exception) -> None:
        assert self.frontier is not None
        if isinstance(exc, FrontierFinished) and not (self.leased or self.to_push or self.to_ack or self.buffer):
            if not self.over:
                logger.info("frontier %s: batch %s finished; a new batch has started since", self.frontier.url,
                            self.frontier.epoch)
            self.over = True
            return
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
        close_crawl(self.crawler, "frontier_failed")  # the engine's public close, as the pipelines stop a crawl


_SCHEDULERS: "WeakKeyDictionary[Crawler, SharedScheduler]" = WeakKeyDictionary()


def scheduler_of(crawler: Crawler) -> SharedScheduler:
    scheduler = _SCHEDULERS.get(crawler)
    if scheduler is None:
        raise NotConfigured("the frontier components need SCHEDULER = crawler.frontier.SharedScheduler")
    return scheduler


def _frontier_id(response: Any) -> str | None:
    """The lease id of the request a response (or a download's failure) answers."""
    request = getattr(response, "request", None)
    return request.meta.get(ID_KEY) if request is not None else None


class FrontierAck:
    """Spider middleware, outermost: reports when a response's output is read and its items are
    through the pipelines (item_scraped / item_dropped / item_error), or its callback failed
    (spider_error), so that the scheduler acknowledges the lease then, and not before."""

    def __init__(self, crawler: Crawler):
        frontier_object(crawler)
        self.crawler = crawler
        crawler.signals.connect(self.item_ended, signal=signals.item_scraped)
        crawler.signals.connect(self.item_ended, signal=signals.item_dropped)
        crawler.signals.connect(self.item_ended, signal=signals.item_error)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "FrontierAck":
        return cls(crawler)

    async def process_spider_output(self, response: Any, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        rid = _frontier_id(response)
        if rid is None:
            async for out in result:
                if isinstance(out, Request):
                    out.meta.pop(ID_KEY, None)
                yield out
            return
        scheduler = scheduler_of(self.crawler)
        scheduler.output_started(rid)
        try:
            async for out in _counted(result, scheduler, rid):
                yield out
        finally:
            scheduler.output_ended(rid)

    def item_ended(self, item: Any, response: Any = None, **_: Any) -> None:
        rid = _frontier_id(response)
        if rid is not None:
            scheduler_of(self.crawler).item_ended(rid)

    def spider_error(self, failure: Any, response: Any = None, **_: Any) -> None:
        rid = _frontier_id(response)
        if rid is not None:
            asyncio.get_event_loop().call_soon(scheduler_of(self.crawler).check, rid)


async def _counted(result: AsyncIterator[Any], scheduler: SharedScheduler, rid: str) -> AsyncIterator[Any]:
    async for out in result:
        if isinstance(out, Request):
            out.meta.pop(ID_KEY, None)  # a new request (a copied meta must not look like a retry)
        elif out is not None:
            scheduler.item_started(rid)
        yield out


class _Errback:
    """A request's errback, reporting to the scheduler when it and its output are done."""

    def __init__(self, wrapped: Any, scheduler: SharedScheduler, rid: str):
        self.wrapped = wrapped
        self.scheduler = scheduler
        self.rid = rid

    def __call__(self, failure: Any) -> Any:
        self.scheduler.output_started(self.rid)
        try:
            output = self.wrapped(failure)
        except BaseException:
            self.scheduler.output_ended(self.rid)
            raise
        if isinstance(output, AsyncIterator):
            return self._async(output)
        if output is None or isinstance(output, (Request, dict)) or not hasattr(output, "__iter__"):
            self.scheduler.output_ended(self.rid)
            return output
        return self._sync(output)

    def _sync(self, output: Any) -> Any:
        try:
            for out in output:
                if isinstance(out, Request):
                    out.meta.pop(ID_KEY, None)
                elif out is not None:
                    self.scheduler.item_started(self.rid)
                yield out
        finally:
            self.scheduler.output_ended(self.rid)

    async def _async(self, output: AsyncIterator[Any]) -> AsyncIterator[Any]:
        try:
            async for out in _counted(output, self.scheduler, self.rid):
                yield out
        finally:
            self.scheduler.output_ended(self.rid)


class FrontierFailureAck:
    """Downloader middleware, outermost: a download that failed for good (no middleware turned it
    into a retry) is done once its errback has run, or at once when it has none."""

    def __init__(self, crawler: Crawler):
        frontier_object(crawler)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "FrontierFailureAck":
        return cls(crawler)

    def process_exception(self, request: Request, exception: BaseException) -> None:
        rid = request.meta.get(ID_KEY)
        if rid is None:
            return
        scheduler = scheduler_of(self.crawler)
        if request.errback is None:
            scheduler.done(rid)
        elif not isinstance(request.errback, _Errback):
            request.errback = _Errback(request.errback, scheduler, rid)


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


class SharedPoliteness:
    """Download handler for http and https: each host's delay between two requests and its
    number of requests in flight, both for the whole cluster, taken when the downloader hands the
    request to the network and not before.

    The delay is the source's ``delay``, else ``DOWNLOAD_DELAY``: ``NEWSMON_FRONTIER_DELAYS``
    (host → seconds, ``*`` for the rest); the concurrency is the slot's ``concurrency``, else
    ``CONCURRENT_REQUESTS_PER_DOMAIN``: ``NEWSMON_FRONTIER_CONCURRENCY``. The crawl entry fills
    both, sets the local slots' delays to 0 and puts this handler in front of the project's own
    (``NEWSMON_FRONTIER_HANDLERS``, scheme → handler). For each request Scrapy's downloader sends,
    one atomic step in Redis checks the host's semaphore (a sorted set of slot tokens scored by
    their expiry) and its next-allowed time: with a slot free and the turn come, the request takes
    the slot and the turn and goes to the wrapped handler in the same step of the event loop;
    otherwise it sleeps (until the turn, or a short poll while the host is busy) and asks again.

    When does the next turn come? Taking the turn is not sending: the bytes leave one or more
    turns of the event loop later, and a busy callback (CPU-bound extraction) in between delays
    them by its length. Counting the delay from the turn would let the next request follow
    closer than ``delay`` (measured by the server). So the turn taken blocks the host until this
    request has surely left, which the first byte of its answer (Scrapy's ``headers_received``
    signal) or its end (a failure) proves, and the next turn is ``delay`` after that; at the latest
    ``NEWSMON_FRONTIER_SEND_HOLD`` + ``delay`` after the turn was taken (a slow server does not
    hold its host longer than that). The slot is given back when the download ends. The slots a
    worker holds are renewed every ``NEWSMON_FRONTIER_LEASE`` / 3 seconds: a worker that dies
    mid-download blocks its slots for one lease at most. A cached answer (the HTTP cache
    middleware) never reaches a download handler, so it takes no turn. In place of the
    one-process :class:`crawler.throttle.SourceDelay`.
    """

    lazy = True  # built at the first request of its scheme: the spider (and its frontier) exists

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.frontier = frontier_object(crawler)
        settings = crawler.settings
        delays = {host: float(d) for host, d in (settings.getdict("NEWSMON_FRONTIER_DELAYS") or {}).items()}
        self.default = delays.pop("*", 0.0)
        self.delays = delays
        limits = {host: int(n) for host, n in (settings.getdict("NEWSMON_FRONTIER_CONCURRENCY") or {}).items()}
        self.default_limit = max(1, limits.pop("*", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")))
        self.limits = limits
        self.ttl = max(1.0, settings.getfloat("NEWSMON_FRONTIER_LEASE"))
        self.hold = max(0.0, settings.getfloat("NEWSMON_FRONTIER_SEND_HOLD", 0.5))
        self.wrapped_paths = settings.getdict("NEWSMON_FRONTIER_HANDLERS")
        self.wrapped: dict[str, Any] = {}  # scheme → the project's own handler, built on first use
        self.worker = worker_name()
        self.count = 0
        self.held: dict[str, str] = {}  # token → host
        self.stats = crawler.stats
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self._left, signal=signals.headers_received)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SharedPoliteness":
        return cls(crawler)

    def _handler(self, scheme: str) -> Any:
        if scheme not in self.wrapped:
            path = self.wrapped_paths.get(scheme) or self.crawler.settings.getdict("DOWNLOAD_HANDLERS_BASE")[scheme]
            self.wrapped[scheme] = build_from_crawler(load_object(path), self.crawler)
        return self.wrapped[scheme]

    async def download_request(self, request: Request) -> Any:
        handler = self._handler(urlparse_cached(request).scheme)
        if self.loop is None:
            self.loop = task.LoopingCall(self._renew)
            self.loop.start(self.ttl / 3, now=False)
        host = request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
        token = await self._take_turn(request, host)
        try:
            return await handler.download_request(request)  # no await between the turn and this call
        finally:
            self._left(request)
            if token is not None and self.held.pop(token, None) is not None:
                try:
                    self.frontier.release_slots([(host, token)])
                except (FrontierUnreachable, FrontierLost):
                    pass  # it expires

    async def _take_turn(self, request: Request, host: str) -> str | None:
        delay = self.delays.get(host, self.default)
        limit = self.limits.get(host, self.default_limit)
        self.count += 1
        token = f"{self.worker}:{self.count}"
        poll = 0.02
        while True:
            try:
                verdict, wait = self.frontier.acquire(host, token, limit, self.ttl, delay, self.hold)
            except (FrontierUnreachable, FrontierLost):
                await asyncio.sleep(delay)  # frontier away: this worker's own pace; the scheduler decides on failing
                return None
            if verdict == "go":
                self.held[token] = host
                if delay > 0:
                    request.meta[TURN_KEY] = (host, token, delay)
                return token
            if verdict == "busy":
                # freed when a response comes back: poll, more slowly the longer the host is busy
                self.stats.inc_value("newsmon/frontier/host_busy")
                wait, poll = min(wait, poll), min(poll * 2, 0.25)
            await asyncio.sleep(wait + random.uniform(0, 0.01))  # spread the waiters' next attempts

    def _left(self, request: Request, **_: Any) -> None:
        """The request has surely left (its answer began, or its download ended): the host's next
        turn is its delay from now."""
        turn = request.meta.pop(TURN_KEY, None)
        if turn is not None:
            try:
                self.frontier.sent(*turn)
            except (FrontierUnreachable, FrontierLost):
                pass  # the next turn comes at the hold's end

    def _renew(self) -> None:
        try:
            self.frontier.renew_slots([(host, token) for token, host in self.held.items()], self.ttl)
        except (FrontierUnreachable, FrontierLost):
            pass  # the scheduler decides on failing; slots not renewed expire

    async def close(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        try:
            self.frontier.release_slots([(host, token) for token, host in self.held.items()])
        except (FrontierUnreachable, FrontierLost):
            pass  # they expire
        self.held.clear()
        for handler in self.wrapped.values():
            if hasattr(handler, "close"):
                await handler.close()


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
