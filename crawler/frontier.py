"""A crawl frontier shared by N workers on Redis: leases, a seen-set, shared politeness and robots.txt.

Enabled by the crawl entry when ``NEWSMON_FRONTIER`` holds a ``redis://`` URL; without it a crawl
uses Scrapy's own in-memory scheduler and nothing here runs.

* :class:`RedisFrontier` (``SCHEDULER``) keeps every request of the crawl in Redis. A worker takes
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

Every key lives under ``NEWSMON_FRONTIER_KEY`` (``newsmon:frontier``), and every script checks the
frontier's *epoch*, a random id written when the frontier starts: a Redis restarted without its
data has no epoch, and the workers stop with an error (``frontier lost``) instead of finishing a
partial crawl as if it were whole. A Redis that is unreachable is retried for
``NEWSMON_FRONTIER_RETRY_SECONDS`` (requests to push and acknowledgements wait in memory), then
the crawl stops with an error too.

Scrapy's engine offers no signal for "this request is completely handled"; the engine's slot
method ``remove_request`` is exactly that point (after the scrape, or after a redirect's new
request was scheduled), so :meth:`RedisFrontier.open` wraps it. The frontier tests fail if a
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
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import redis
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.request import request_from_dict
from twisted.internet import task

from crawler.backoff import TRIES_KEY
from crawler.robots import RobotsVerdict

logger = logging.getLogger(__name__)

ID_KEY = "frontier_id"  # request.meta: the frontier's id of a leased request
LOCAL_META = {ID_KEY, "is_start_request", "download_latency"}  # meaningful in one worker only
AGAIN_META = ("retry_times", "redirect_times", TRIES_KEY)  # set on a request made again by a middleware
REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, ConnectionError, OSError)


class FrontierLost(Exception):
    """Redis no longer holds this crawl's frontier (restarted without persistence, or reset)."""


class Keys:
    """Every key of one frontier, under ``prefix``."""

    def __init__(self, prefix: str = "newsmon:frontier"):
        self.prefix = prefix
        self.epoch = f"{prefix}:epoch"  # random id of this crawl; absent: nothing running or lost
        self.state = f"{prefix}:state"  # "running" or "finished"
        self.seed = f"{prefix}:seed"  # worker seeding now (expires), or "done"
        self.seq = f"{prefix}:seq"  # request id counter
        self.queue = f"{prefix}:queue"  # zset id → order (negative priority first, then FIFO)
        self.leases = f"{prefix}:leases"  # zset id → lease expiry (Redis time, seconds)
        self.owner = f"{prefix}:owner"  # hash id → worker holding the lease
        self.requests = f"{prefix}:requests"  # hash id → serialized request
        self.seen = f"{prefix}:seen"  # set of request fingerprints
        self.workers = f"{prefix}:workers"  # zset worker → heartbeat expiry
        self.stats = f"{prefix}:stats"  # hash: pushed, duplicates, leased, acked, expired

    def host_next(self, host: str) -> str:
        return f"{self.prefix}:next:{host}"

    def robots(self, netloc: str) -> str:
        return f"{self.prefix}:robots:{netloc}"

    def all_patterns(self) -> list[str]:
        return [f"{self.prefix}:*"]


# -- scripts (one round trip each; every one checks the epoch) -----------------------------------
_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "
_EPOCH = ("if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('EPOCH frontier lost') end ")

# KEYS: epoch state seed seq queue leases owner requests seen workers stats; ARGV: new epoch, worker, ttl
OPEN = """
local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local epoch = redis.call('GET', KEYS[1])
local state = redis.call('GET', KEYS[2])
if epoch and state ~= 'finished' then
  redis.call('ZADD', KEYS[10], now + tonumber(ARGV[3]), ARGV[2])
  return {epoch, 0}
end
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[11])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], 'running')
redis.call('ZADD', KEYS[10], now + tonumber(ARGV[3]), ARGV[2])
return {ARGV[1], 1}
"""

# KEYS: epoch seen seq requests queue stats; ARGV: epoch, then (fingerprint|'' , score, body) triples
PUSH = _EPOCH + """
local added = 0
for i = 2, #ARGV, 3 do
  local fp = ARGV[i]
  if fp == '' or redis.call('SADD', KEYS[2], fp) == 1 then
    local id = redis.call('INCR', KEYS[3])
    redis.call('HSET', KEYS[4], id, ARGV[i + 2])
    redis.call('ZADD', KEYS[5], tonumber(ARGV[i + 1]) * 1e12 + id, id)
    added = added + 1
  else
    redis.call('HINCRBY', KEYS[6], 'duplicates', 1)
  end
end
redis.call('HINCRBY', KEYS[6], 'pushed', added)
return added
"""

# KEYS: epoch queue leases owner requests stats; ARGV: epoch, worker, lease seconds, count
POP = _EPOCH + _NOW + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 100)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('ZADD', KEYS[2], -1e15 + tonumber(id), id)
  redis.call('HINCRBY', KEYS[6], 'expired', 1)
end
local out = {}
local popped = redis.call('ZPOPMIN', KEYS[2], tonumber(ARGV[4]))
for i = 1, #popped, 2 do
  local id = popped[i]
  local body = redis.call('HGET', KEYS[5], id)
  if body then
    redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), id)
    redis.call('HSET', KEYS[4], id, ARGV[2])
    out[#out + 1] = id
    out[#out + 1] = body
  end
end
redis.call('HINCRBY', KEYS[6], 'leased', #out / 2)
return out
"""

# KEYS: epoch leases owner requests stats; ARGV: epoch, ids...
ACK = _EPOCH + """
for i = 2, #ARGV do
  redis.call('ZREM', KEYS[2], ARGV[i])
  redis.call('HDEL', KEYS[3], ARGV[i])
  redis.call('HDEL', KEYS[4], ARGV[i])
end
redis.call('HINCRBY', KEYS[5], 'acked', #ARGV - 1)
return #ARGV - 1
"""

# KEYS: epoch leases workers seed; ARGV: epoch, worker, lease seconds, seeding (1/0), ids...
HEARTBEAT = _EPOCH + _NOW + """
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[3]), ARGV[2])
for i = 5, #ARGV do
  redis.call('ZADD', KEYS[2], 'XX', now + tonumber(ARGV[3]), ARGV[i])
end
if ARGV[4] == '1' and redis.call('GET', KEYS[4]) == ARGV[2] then
  redis.call('EXPIRE', KEYS[4], math.ceil(tonumber(ARGV[3])))
end
return 1
"""

# KEYS: epoch queue leases seed state; ARGV: epoch → {queued, leased, seed}; marks finished when done
PROGRESS = _EPOCH + """
local queued = redis.call('ZCARD', KEYS[2])
local leased = redis.call('ZCARD', KEYS[3])
local seed = redis.call('GET', KEYS[4]) or ''
if queued == 0 and leased == 0 and seed == 'done' then redis.call('SET', KEYS[5], 'finished') end
return {queued, leased, seed}
"""

# KEYS: epoch seed; ARGV: epoch, worker, ttl → 'mine' | 'done' | 'other' | 'free'
SEED = _EPOCH + """
local seed = redis.call('GET', KEYS[2])
if seed == 'done' then return 'done' end
if seed == ARGV[2] then return 'mine' end
if seed then return 'other' end
redis.call('SET', KEYS[2], ARGV[2], 'EX', math.ceil(tonumber(ARGV[3])))
return 'mine'
"""

# KEYS: next-allowed key; ARGV: delay seconds → 0: send now (the next one is reserved), else
# seconds to wait before asking again. Taken when the request is ready to leave, not in advance:
# a worker whose event loop was busy when its turn came cannot send two requests back to back.
RESERVE = _NOW + """
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if now >= nxt then
  redis.call('SET', KEYS[1], tostring(now + tonumber(ARGV[1])), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 60000)
  return '0'
end
return tostring(nxt - now)
"""


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


def dumps_request(request: Request, spider: Spider) -> str:
    data = request.to_dict(spider=spider)
    data["meta"] = {k: v for k, v in (data.get("meta") or {}).items() if k not in LOCAL_META and not k.startswith("_")}
    return json.dumps(_encode(data), separators=(",", ":"), ensure_ascii=False)


def loads_request(body: bytes | str, spider: Spider) -> Request:
    return request_from_dict(_decode(json.loads(body)), spider=spider)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=10)


# -- the scheduler ---------------------------------------------------------------------------------
class RedisFrontier:
    """A Scrapy scheduler whose queue is the shared frontier (see the module's docstring)."""

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        url = s.get("NEWSMON_FRONTIER")
        if not url:
            raise NotConfigured("NEWSMON_FRONTIER is not set")
        self.crawler = crawler
        self.url = url
        self.redis = connect(url)
        self.keys = Keys(s.get("NEWSMON_FRONTIER_KEY"))
        self.lease = s.getfloat("NEWSMON_FRONTIER_LEASE")
        self.idle_seconds = s.getfloat("NEWSMON_FRONTIER_IDLE_SECONDS")
        self.retry_seconds = s.getfloat("NEWSMON_FRONTIER_RETRY_SECONDS")
        self.batch = max(1, s.getint("NEWSMON_FRONTIER_BATCH"))
        self.worker = worker_name()
        self.epoch = ""
        self.buffer: list[Request] = []  # leased, not yet handed to the engine
        self.leased: dict[str, Request] = {}  # id → request object, until acknowledged
        self.to_push: list[tuple[str, int, str]] = []  # waiting for Redis (fingerprint, score, body)
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
        self._scripts = {name: self.redis.register_script(src) for name, src in
                         (("push", PUSH), ("pop", POP), ("ack", ACK), ("heartbeat", HEARTBEAT),
                          ("progress", PROGRESS), ("seed", SEED))}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "RedisFrontier":
        return cls(crawler)

    # -- Scrapy's scheduler interface ------------------------------------------------------
    def open(self, spider: Spider) -> None:
        self.spider = spider
        k = self.keys
        try:
            epoch, created = self.redis.eval(OPEN, 11, k.epoch, k.state, k.seed, k.seq, k.queue, k.leases, k.owner,
                                             k.requests, k.seen, k.workers, k.stats,
                                             uuid.uuid4().hex, self.worker, self.lease)
        except REDIS_ERRORS as exc:
            raise FrontierLost(f"frontier {self.url}: cannot reach Redis: {exc}") from None
        self.epoch = epoch.decode() if isinstance(epoch, bytes) else epoch
        logger.info("frontier %s: %s epoch %s as %s", self.url, "started" if created else "joined", self.epoch,
                    self.worker)
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
        if not self.failed:
            self._flush()
        try:
            self.redis.zrem(self.keys.workers, self.worker)
        except REDIS_ERRORS:
            pass
        self.redis.close()

    def enqueue_request(self, request: Request) -> bool:
        # Into the seen-set: every request the spider discovered, even with dont_filter (the spider
        # filters its own links per process with it; across workers only the seen-set can). Not
        # a request a downloader middleware made again: a retry, a paced retry, a redirect hop.
        again = any(key in request.meta for key in AGAIN_META)
        fingerprint = "" if again else self.crawler.request_fingerprinter.fingerprint(request).hex()
        self.to_push.append((fingerprint, -int(request.priority), dumps_request(request, self.spider)))
        if len(self.to_push) >= 16:  # a page's links go in one round trip (flushed on every tick too)
            self._flush()
        return True

    def next_request(self) -> Request | None:
        if self.failed:
            return None
        if not self.buffer:
            self._flush()
            if self.to_push and self.failing_since is not None:
                return None
            try:
                k = self.keys
                out = self._scripts["pop"](keys=[k.epoch, k.queue, k.leases, k.owner, k.requests, k.stats],
                                           args=[self.epoch, self.worker, self.lease, self.batch])
            except Exception as exc:  # noqa: BLE001 - classified in _trouble
                self._trouble(exc)
                return None
            self._ok()
            for i in range(0, len(out), 2):
                rid = out[i].decode()
                request = loads_request(out[i + 1], self.spider)
                request.meta[ID_KEY] = rid
                self.leased[rid] = request
                self.buffer.append(request)
            self.stats.inc_value("newsmon/frontier/leased", len(out) // 2)
        return self.buffer.pop(0) if self.buffer else None

    def has_pending_requests(self) -> bool:
        if self.failed:
            return False
        if self.buffer or self.to_push or self.to_ack:
            return True
        now = time.monotonic()
        if now - self.last_progress >= 0.1:
            self.last_progress = now
            k = self.keys
            try:
                queued, leased, seed = self._scripts["progress"](keys=[k.epoch, k.queue, k.leases, k.seed, k.state],
                                                                 args=[self.epoch])
            except Exception as exc:  # noqa: BLE001
                self._trouble(exc)
                return not self.failed
            self._ok()
            self.cluster_pending = bool(queued or leased or seed != b"done" or self.leased)
        if self.cluster_pending:
            self.idle_since = None
            return True
        if self.idle_since is None:
            self.idle_since = now
        return now - self.idle_since < self.idle_seconds

    # -- seeding (FrontierSeeding asks) ------------------------------------------------------
    def claim_seed(self) -> str:
        k = self.keys
        try:
            answer = self._scripts["seed"](keys=[k.epoch, k.seed], args=[self.epoch, self.worker, self.lease])
        except Exception as exc:  # noqa: BLE001
            self._trouble(exc)
            return "other"
        self._ok()
        answer = answer.decode()
        self.seeding = answer == "mine"
        return answer

    def seed_done(self) -> None:
        self._flush()
        if self.to_push:
            return  # Redis unreachable: the tick retries, and the seed stays ours until it succeeds
        self.redis.set(self.keys.seed, "done")
        self.seeding = False

    # -- internals ---------------------------------------------------------------------------------
    def _done(self, request: Request) -> None:
        rid = request.meta.get(ID_KEY)
        if rid is not None and self.leased.get(rid) is request:
            del self.leased[rid]
            self.to_ack.append(rid)
            if len(self.to_ack) >= 8 or not self.leased:
                self._flush()

    def _flush(self) -> None:
        """Send what waits (new requests first, then acknowledgements): a page's links are in
        the frontier before the page's lease is released."""
        if self.failed or (self.failing_since is not None and time.monotonic() < self.next_retry):
            return
        k = self.keys
        try:
            if self.to_push:
                batch, self.to_push = self.to_push, []
                try:
                    self._scripts["push"](keys=[k.epoch, k.seen, k.seq, k.requests, k.queue, k.stats],
                                          args=[self.epoch, *[x for triple in batch for x in triple]])
                except Exception:
                    self.to_push[:0] = batch
                    raise
                self.stats.inc_value("newsmon/frontier/pushed", len(batch))
            if self.to_ack:
                batch, self.to_ack = self.to_ack, []
                try:
                    self._scripts["ack"](keys=[k.epoch, k.leases, k.owner, k.requests, k.stats],
                                         args=[self.epoch, *batch])
                except Exception:
                    self.to_ack[:0] = batch
                    raise
                self.stats.inc_value("newsmon/frontier/acked", len(batch))
        except Exception as exc:  # noqa: BLE001
            self._trouble(exc)
            return
        self._ok()

    def _tick(self) -> None:
        """Every 0.2 s: flush, renew this worker's leases, and wake the engine to ask for work."""
        if self.failed:
            return
        self._flush()
        now = time.monotonic()
        if now - self.last_beat >= self.lease / 4:
            k = self.keys
            try:
                self._scripts["heartbeat"](keys=[k.epoch, k.leases, k.workers, k.seed],
                                           args=[self.epoch, self.worker, self.lease, "1" if self.seeding else "0",
                                                 *self.leased])
                self.last_beat = now
                self._ok()
            except Exception as exc:  # noqa: BLE001
                self._trouble(exc)
        if not self.failed:
            self.crawler.engine._slot.nextcall.schedule()

    def _ok(self) -> None:
        if self.failing_since is not None:
            logger.warning("frontier %s: reachable again after %.1f s", self.url, time.monotonic() - self.failing_since)
        self.failing_since = None

    def _trouble(self, exc: Exception) -> None:
        if isinstance(exc, redis.ResponseError) and "EPOCH" in str(exc):
            self._fail(f"frontier lost: {self.url} no longer holds this crawl (Redis restarted without its data, or "
                       f"`newsmon frontier reset`); {len(self.leased)} leased and {len(self.to_push)} new requests "
                       "of this worker cannot be handed back: the crawl is incomplete")
            return
        if not isinstance(exc, REDIS_ERRORS):
            raise exc
        now = time.monotonic()
        self.next_retry = now + 0.5
        if self.failing_since is None:
            self.failing_since = now
            logger.warning("frontier %s: unreachable (%s); retrying for %.0f s", self.url, exc, self.retry_seconds)
        elif now - self.failing_since > self.retry_seconds:
            self._fail(f"frontier unreachable: {self.url} did not answer for {self.retry_seconds:.0f} s ({exc}); "
                       "the crawl is incomplete")

    def _fail(self, message: str) -> None:
        if self.failed:
            return
        self.failed = message
        logger.error("%s", message)
        self.stats.set_value("newsmon/frontier/error", message)
        self.buffer.clear()
        engine = self.crawler.engine
        asyncio.ensure_future(engine.close_spider_async(reason="frontier_failed"))


def frontier_of(crawler: Crawler) -> RedisFrontier:
    scheduler = getattr(getattr(crawler.engine, "_slot", None), "scheduler", None)
    if not isinstance(scheduler, RedisFrontier):
        raise NotConfigured("the frontier components need SCHEDULER = crawler.frontier.RedisFrontier")
    return scheduler


class FrontierSeeding:
    """Spider middleware: only the worker that claims the seed turns the sources into requests."""

    def __init__(self, crawler: Crawler):
        if not crawler.settings.get("NEWSMON_FRONTIER"):
            raise NotConfigured
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "FrontierSeeding":
        return cls(crawler)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        frontier = frontier_of(self.crawler)
        while True:
            answer = frontier.claim_seed()
            if answer == "done" or frontier.failed:
                self.crawler.stats.set_value("newsmon/frontier/seeded", 0)
                return
            if answer == "mine":
                break
            await asyncio.sleep(0.25)  # another worker seeds; if it dies, its claim expires and we take over
        count = 0
        async for request in start:
            count += 1
            yield request
        frontier.seed_done()
        self.crawler.stats.set_value("newsmon/frontier/seeded", count)


class SharedDelay:
    """Downloader middleware: each host's delay between two requests, across all workers.

    The delay is the source's ``delay`` (``DOWNLOAD_SLOTS``) or else ``DOWNLOAD_DELAY``. When a
    request is ready to leave, one script compares Redis's clock with the host's next-allowed
    time: past it, the request goes and the next-allowed time moves ``delay`` ahead; otherwise the
    request sleeps until then and asks again. In place of the one-process
    :class:`crawler.throttle.SourceDelay`.
    """

    def __init__(self, crawler: Crawler):
        s = crawler.settings
        url = s.get("NEWSMON_FRONTIER")
        if not url:
            raise NotConfigured
        slots: dict[str, Any] = s.getdict("DOWNLOAD_SLOTS") or {}
        self.delays = {key: float(conf["delay"]) for key, conf in slots.items() if conf.get("delay")}
        self.default = s.getfloat("DOWNLOAD_DELAY")
        self.redis = connect(url)
        self.keys = Keys(s.get("NEWSMON_FRONTIER_KEY"))
        self.reserve = self.redis.register_script(RESERVE)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SharedDelay":
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        host = request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
        delay = self.delays.get(host, self.default)
        if delay <= 0:
            return
        key = self.keys.host_next(host)
        while True:
            try:
                wait = float(self.reserve(keys=[key], args=[delay]))
            except REDIS_ERRORS:
                await asyncio.sleep(delay)  # Redis away: this worker's own pace; the scheduler decides on failing
                return
            if wait <= 0:
                return
            await asyncio.sleep(wait + random.uniform(0, 0.01))  # spread the waiters' next attempts


class SharedRobots(RobotsVerdict):
    """robots.txt fetched once per host per ``NEWSMON_FRONTIER_ROBOTS_TTL`` seconds for the cluster."""

    def __init__(self, crawler: Crawler):
        super().__init__(crawler)
        s = crawler.settings
        url = s.get("NEWSMON_FRONTIER")
        if not url:
            raise NotConfigured
        self.redis = connect(url)
        self.keys = Keys(s.get("NEWSMON_FRONTIER_KEY"))
        self.ttl = max(1, s.getint("NEWSMON_FRONTIER_ROBOTS_TTL"))

    async def robot_parser(self, request: Request) -> Any:
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            try:
                body = self.redis.get(self.keys.robots(netloc))
            except REDIS_ERRORS:
                body = None
            if body is not None:
                self._parsers[netloc] = build_from_crawler(self._parserimpl, self.crawler, body)
                self.crawler.stats.inc_value("newsmon/frontier/robots_shared")
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Any, netloc: str, request: Request) -> None:
        if response.status == 200:
            try:
                self.redis.set(self.keys.robots(netloc), response.body, ex=self.ttl)
            except REDIS_ERRORS:
                pass
        await super()._parse_robots(response, netloc, request)
