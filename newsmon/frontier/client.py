"""The shared frontier on Redis: keys, one Lua script per operation, and the client the crawl uses.

A request is a hash entry (id → JSON of Scrapy's ``Request.to_dict``); the queue is a sorted set
of ids (higher priority first, then first in, first out); a lease is the id in a second sorted
set scored by its expiry, in Redis's own clock (``TIME``), so the workers' clocks do not matter.
Every script runs atomically and checks the frontier's *epoch* (a random id written when the
crawl starts): a Redis restarted without its data answers ``EPOCH``, which becomes
:class:`crawler.frontier_protocol.FrontierLost`.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import redis

from crawler.frontier_protocol import FrontierFinished, FrontierLost, FrontierUnreachable

REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError, ConnectionError, OSError)


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=10)


def shown(url: str) -> str:
    """The URL without its password (never printed)."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return parts._replace(netloc=netloc).geturl()
    return url


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
        self.stats = f"{prefix}:stats"  # hash: pushed, duplicates, leased, acked, expired, released
        self.hosts = f"{prefix}:hosts"  # hash host → requests queued so far (interleaves hosts)

    def host_next(self, host: str) -> str:
        return f"{self.prefix}:next:{host}"

    def host_turn(self, host: str) -> str:
        """the token of the request that took the host's last turn, until it is known to have left"""
        return f"{self.prefix}:turn:{host}"

    def host_slots(self, host: str) -> str:
        """zset token → expiry: the requests to ``host`` in flight, cluster-wide (its semaphore)."""
        return f"{self.prefix}:slots:{host}"

    @property
    def stored(self) -> str:
        """hash URL key → fetched_at of every article any worker stored; kept across batches."""
        return f"{self.prefix}:stored"

    def robots(self, netloc: str) -> str:
        return f"{self.prefix}:robots:{netloc}"

    def all_patterns(self) -> list[str]:
        return [f"{self.prefix}:*"]


# -- scripts (one round trip each; every one checks the epoch) -----------------------------------
_NOW = "local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000 "
# A worker whose batch finished while it idled, and which a new batch's first worker then
# replaced, is told FINISHED (its batch was whole), not EPOCH (lost): finished epochs are kept a day.
_EPOCH = ("if redis.call('GET', KEYS[1]) ~= ARGV[1] then "
          "if redis.call('SISMEMBER', KEYS[1] .. ':finished', ARGV[1]) == 1 then "
          "return redis.error_reply('FINISHED batch over') end "
          "return redis.error_reply('EPOCH frontier lost') end ")

# KEYS: epoch state seed seq queue leases owner requests seen workers stats hosts; ARGV: new epoch, worker, ttl
OPEN = """
local t = redis.call('TIME') local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local epoch = redis.call('GET', KEYS[1])
local state = redis.call('GET', KEYS[2])
if epoch and state ~= 'finished' then
  redis.call('ZADD', KEYS[10], now + tonumber(ARGV[3]), ARGV[2])
  return {epoch, 0}
end
redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[11], KEYS[12])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], 'running')
redis.call('ZADD', KEYS[10], now + tonumber(ARGV[3]), ARGV[2])
return {ARGV[1], 1}
"""

# KEYS: epoch seen seq requests queue stats hosts; ARGV: epoch, then (fingerprint|'', order, host,
# body) quadruples. The queue's order: higher priority first; within a priority, round robin over
# hosts (a host's n-th request before any host's n+1-th), so that the requests a worker leases
# at once belong to different hosts and do not all wait on one host's delay.
PUSH = _EPOCH + """
local added = 0
for i = 2, #ARGV, 4 do
  local fp = ARGV[i]
  if fp == '' or redis.call('SADD', KEYS[2], fp) == 1 then
    local id = redis.call('INCR', KEYS[3])
    local n = redis.call('HINCRBY', KEYS[7], ARGV[i + 2], 1)
    redis.call('HSET', KEYS[4], id, ARGV[i + 3])
    redis.call('ZADD', KEYS[5], tonumber(ARGV[i + 1]) * 1e12 + n * 1e6 + id % 1000000, id)
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

# KEYS: epoch queue leases owner stats; ARGV: epoch, ids... → back to the head of the queue (a worker stopping)
RELEASE = _EPOCH + """
local n = 0
for i = 2, #ARGV do
  if redis.call('ZREM', KEYS[3], ARGV[i]) == 1 then
    redis.call('HDEL', KEYS[4], ARGV[i])
    redis.call('ZADD', KEYS[2], -1e15 + tonumber(ARGV[i]), ARGV[i])
    n = n + 1
  end
end
redis.call('HINCRBY', KEYS[5], 'released', n)
return n
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
if queued == 0 and leased == 0 and seed == 'done' then
  redis.call('SET', KEYS[5], 'finished')
  redis.call('SADD', KEYS[1] .. ':finished', ARGV[1])
  redis.call('EXPIRE', KEYS[1] .. ':finished', 86400)
end
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

# KEYS: the host's slots, its next-allowed time; ARGV: token, concurrency, slot ttl, delay → {verdict,
# seconds}: 'go' (a slot is taken under ``token`` and the next turn moved ``delay`` ahead), 'turn'
# (a slot is free but the host's turn is in ``seconds``), 'busy' (``concurrency`` requests to the
# host are in flight in the cluster; ``seconds`` until the oldest slot expires at the latest).
# Both limits in one atomic step: a request never holds a slot while it waits for its turn.
ACQUIRE = _NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {'busy', tostring(tonumber(first[2]) - now)}
end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < nxt then return {'turn', tostring(nxt - now)} end
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl * 1000) + 60000)
local delay = tonumber(ARGV[4])
if delay > 0 then
  -- the turn is counted from when this request has surely left (SENT), at the latest `hold` from now
  local hold = tonumber(ARGV[5])
  redis.call('SET', KEYS[2], tostring(now + hold + delay), 'PX', math.ceil((hold + delay) * 1000) + 60000)
  redis.call('SET', KEYS[3], ARGV[1], 'PX', math.ceil((hold + delay) * 1000) + 60000)
end
return {'go', '0'}
"""

# KEYS: host's next-allowed time, the token that took its last turn; ARGV: token, delay →
# the next turn `delay` after now, if that token's turn is still the last one taken
SENT = _NOW + """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local delay = tonumber(ARGV[2])
redis.call('SET', KEYS[1], tostring(now + delay), 'PX', math.ceil(delay * 1000) + 60000)
redis.call('DEL', KEYS[2])
return 1
"""

# KEYS: slot keys…; ARGV: ttl, then one token per key → renewed (only those still held)
RENEW_SLOTS = _NOW + """
local ttl = tonumber(ARGV[1])
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], 'XX', now + ttl, ARGV[i + 1])
end
return #KEYS
"""

# KEYS: epoch stored stats; ARGV: epoch, then (URL key, fetched_at) pairs
MARK_STORED = _EPOCH + """
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('HINCRBY', KEYS[3], 'stored', (#ARGV - 1) / 2)
return (#ARGV - 1) / 2
"""


class RedisFrontierClient:
    """:class:`crawler.frontier_protocol.Frontier` on one Redis database, keys under ``prefix``."""

    def __init__(self, url: str, prefix: str = "newsmon:frontier"):
        self.url = shown(url)
        self.redis = connect(url)
        self.keys = Keys(prefix)
        self.epoch = ""
        self._scripts = {name: self.redis.register_script(text) for name, text in
                         (("open", OPEN), ("push", PUSH), ("pop", POP), ("ack", ACK), ("heartbeat", HEARTBEAT),
                          ("progress", PROGRESS), ("seed", SEED), ("acquire", ACQUIRE), ("sent", SENT), ("release", RELEASE),
                          ("renew_slots", RENEW_SLOTS), ("mark_stored", MARK_STORED))}

    def _run(self, name: str, keys: list[str], args: list[Any]) -> Any:
        try:
            return self._scripts[name](keys=keys, args=args)
        except redis.ResponseError as exc:
            if "FINISHED" in str(exc):
                raise FrontierFinished(str(exc)) from None
            if "EPOCH" in str(exc):
                raise FrontierLost(str(exc)) from None
            raise
        except REDIS_ERRORS as exc:
            raise FrontierUnreachable(f"{type(exc).__name__}: {exc}") from None

    def open(self, worker: str, lease: float) -> bool:
        k = self.keys
        epoch, created = self._run("open", [k.epoch, k.state, k.seed, k.seq, k.queue, k.leases, k.owner, k.requests,
                                            k.seen, k.workers, k.stats, k.hosts], [uuid.uuid4().hex, worker, lease])
        self.epoch = epoch.decode()
        return bool(created)

    def push(self, requests: list[tuple[str, int, str, str]]) -> int:
        k = self.keys
        return int(self._run("push", [k.epoch, k.seen, k.seq, k.requests, k.queue, k.stats, k.hosts],
                             [self.epoch, *[x for quad in requests for x in quad]]))

    def pop(self, worker: str, lease: float, count: int) -> list[tuple[str, bytes]]:
        k = self.keys
        out = self._run("pop", [k.epoch, k.queue, k.leases, k.owner, k.requests, k.stats],
                        [self.epoch, worker, lease, count])
        return [(out[i].decode(), out[i + 1]) for i in range(0, len(out), 2)]

    def ack(self, ids: list[str]) -> None:
        k = self.keys
        self._run("ack", [k.epoch, k.leases, k.owner, k.requests, k.stats], [self.epoch, *ids])

    def release(self, ids: list[str]) -> None:
        k = self.keys
        self._run("release", [k.epoch, k.queue, k.leases, k.owner, k.stats], [self.epoch, *ids])

    def heartbeat(self, worker: str, lease: float, seeding: bool, ids: list[str]) -> None:
        k = self.keys
        self._run("heartbeat", [k.epoch, k.leases, k.workers, k.seed],
                  [self.epoch, worker, lease, "1" if seeding else "0", *ids])

    def progress(self) -> tuple[int, int, bool]:
        k = self.keys
        queued, leased, seed = self._run("progress", [k.epoch, k.queue, k.leases, k.seed, k.state], [self.epoch])
        return int(queued), int(leased), seed == b"done"

    def claim_seed(self, worker: str, lease: float) -> str:
        return self._run("seed", [self.keys.epoch, self.keys.seed], [self.epoch, worker, lease]).decode()

    def seed_done(self) -> None:
        try:
            self.redis.set(self.keys.seed, "done")
        except REDIS_ERRORS as exc:
            raise FrontierUnreachable(str(exc)) from None

    def sign_off(self, worker: str) -> None:
        try:
            self.redis.zrem(self.keys.workers, worker)
        except REDIS_ERRORS as exc:
            raise FrontierUnreachable(str(exc)) from None

    def acquire(self, host: str, token: str, concurrency: int, ttl: float, delay: float,
                hold: float = 0.0) -> tuple[str, float]:
        k = self.keys
        verdict, seconds = self._run("acquire", [k.host_slots(host), k.host_next(host), k.host_turn(host)],
                                     [token, concurrency, ttl, delay, hold])
        return verdict.decode(), float(seconds)

    def sent(self, host: str, token: str, delay: float) -> None:
        self._run("sent", [self.keys.host_next(host), self.keys.host_turn(host)], [token, delay])

    def release_slots(self, slots: list[tuple[str, str]]) -> None:
        if not slots:
            return
        try:
            pipe = self.redis.pipeline(transaction=False)
            for host, token in slots:
                pipe.zrem(self.keys.host_slots(host), token)
            pipe.execute()
        except REDIS_ERRORS as exc:
            raise FrontierUnreachable(str(exc)) from None

    def renew_slots(self, slots: list[tuple[str, str]], ttl: float) -> None:
        if slots:
            self._run("renew_slots", [self.keys.host_slots(host) for host, _ in slots],
                      [ttl, *(token for _, token in slots)])

    def mark_stored(self, pairs: list[tuple[str, str]]) -> None:
        if pairs:
            k = self.keys
            self._run("mark_stored", [k.epoch, k.stored, k.stats], [self.epoch, *(x for pair in pairs for x in pair)])

    def stored_at(self, key: str) -> str | None:
        try:
            value = self.redis.hget(self.keys.stored, key)
        except REDIS_ERRORS as exc:
            raise FrontierUnreachable(str(exc)) from None
        return value.decode() if value is not None else None

    def robots_get(self, netloc: str) -> bytes | None:
        try:
            return self.redis.get(self.keys.robots(netloc))
        except REDIS_ERRORS as exc:
            raise FrontierUnreachable(str(exc)) from None

    def robots_set(self, netloc: str, body: bytes, ttl: int) -> None:
        try:
            self.redis.set(self.keys.robots(netloc), body, ex=ttl)
        except REDIS_ERRORS as exc:
            raise FrontierUnreachable(str(exc)) from None

    def close(self) -> None:
        self.redis.close()
