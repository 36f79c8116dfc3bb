"""The shared frontier, seen from the application: its URL, status, reset, alert claims, and merge.

The frontier itself (scheduler, seeding, shared delay and robots.txt) is Scrapy code and lives in
:mod:`crawler.frontier`; this package reads and clears the same Redis keys for ``newsmon frontier
status|reset``, gives the alerts engine its cluster-wide claims, and merges workers' SQLite stores
(``newsmon merge``) when no Elasticsearch collects them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from crawler.frontier_protocol import FrontierLost, FrontierUnreachable
from newsmon.errors import CrawlFailed
from newsmon.sink import article_record
from newsmon.store import DB_NAME, Store, url_key
from newsmon.yamlconf import ConfigError

if TYPE_CHECKING:  # annotations only: redis-py is imported where a frontier is opened
    import redis

    from newsmon.frontier.client import RedisFrontierClient

ENV = "NEWSMON_FRONTIER"
LEASE_ENV = "NEWSMON_FRONTIER_LEASE"
DEFAULT_KEY = "newsmon:frontier"


class FrontierFailed(CrawlFailed):
    """The shared frontier was lost or stayed unreachable: this worker's crawl is not whole."""


class FrontierUnavailable(ConfigError):
    """Redis could not be reached for a frontier command."""


def check_url(url: str) -> str:
    """A ``redis://``, ``rediss://`` or ``unix://`` URL, refused in one line otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix") or (parts.scheme != "unix" and not parts.hostname):
        raise ConfigError(f"frontier {url!r}: expected redis://HOST:PORT/DB")
    try:
        parts.port  # noqa: B018 - raises on a non-numeric port
    except ValueError:
        raise ConfigError(f"frontier {url!r}: the port is not a number") from None
    return url


def _client(url: str) -> redis.Redis:
    # redis-py (~6 MiB, ~80 ms) is imported only when a frontier is used, not by every crawl
    import redis

    from newsmon.frontier.client import connect, shown

    client = connect(check_url(url))
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        client.close()
        raise FrontierUnavailable(f"frontier {shown(url)}: cannot reach Redis: {exc}") from None
    return client


def check_reachable(url: str) -> None:
    """Before a crawl starts: the frontier answers, or one line says why (exit 2)."""
    _client(url).close()


def status(url: str, prefix: str = DEFAULT_KEY) -> dict[str, Any]:
    """Queue length, leases (and how many have expired), seen-set size, workers alive."""
    from newsmon.frontier.client import Keys, shown

    k = Keys(prefix)
    client = _client(url)
    try:
        now = float(client.time()[0])
        epoch = client.get(k.epoch)
        pipe = client.pipeline()
        pipe.get(k.state).zcard(k.queue).zcard(k.leases).zcount(k.leases, "-inf", now).scard(k.seen)
        pipe.zrangebyscore(k.workers, now, "+inf").get(k.seed).hgetall(k.stats).hlen(k.stored)
        state, queued, leased, expired, seen, workers, seed, stats, stored = pipe.execute()
    finally:
        client.close()
    dec = lambda v: v.decode() if isinstance(v, bytes) else v  # noqa: E731
    return {
        "frontier": shown(url), "epoch": dec(epoch), "state": dec(state) or "empty",
        "queued": queued, "leased": leased, "leases_expired": expired, "seen": seen, "stored_urls": stored,
        "seeded": dec(seed) == "done", "workers": sorted(dec(w) for w in workers),
        "counts": {dec(a): int(b) for a, b in stats.items()},
    }


def reset(url: str, prefix: str = DEFAULT_KEY) -> int:
    """Delete every key of the frontier (queue, leases, seen-set, delays, robots.txt); how many."""
    client = _client(url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 500):
            client.delete(*keys[start:start + 500])
        return len(keys)
    finally:
        client.close()


class SharedStored:
    """A worker's store as the crawl sees it, with what *every* worker of the frontier stored.

    Each worker keeps its own SQLite store; the entry filter asks it whether an article URL is
    already stored (``known_fetched_at``). Here that answer also comes from the frontier's
    ``stored`` hash (URL key → fetched_at), which every worker fills as it stores an article and
    which outlives a batch: an article that any worker stored is not fetched again by another in a
    later batch, unless its feed or sitemap says it changed since (the same rule as one store).
    Everything else goes to the worker's own store. Redis away: stored URLs wait in memory and are
    sent with the next article; a URL missing there costs a refetch, never a duplicate (ids are
    idempotent).
    """

    def __init__(self, store: Any, frontier: RedisFrontierClient):
        self._store = store
        self._frontier = frontier
        self._pending: list[tuple[str, str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def known_fetched_at(self, url: str) -> str | None:
        local = self._store.known_fetched_at(url)
        if local is not None:
            return local
        try:
            return self._frontier.stored_at(url_key(url))
        except FrontierUnreachable:
            return None

    def save_article(self, item: dict[str, Any], urls: list[str | None], done: Any = None) -> Any:
        fetched = article_record(item)["fetched_at"] or ""
        keys = [(url_key(u), fetched) for u in dict.fromkeys(u for u in urls if u)]

        def settled(result: Any, why: str | None) -> None:
            if why is None:  # committed: only now may the other workers skip it
                self._pending.extend(keys)
                try:
                    self._frontier.mark_stored(self._pending)
                    self._pending = []
                except (FrontierUnreachable, FrontierLost):
                    pass  # sent with the next one
            if done is not None:
                done(result, why)

        return self._store.save_article(item, urls, settled)


class Claims:
    """Cluster-wide claims on alert deliveries: one atomic ``SET NX`` per (rule, articles, channel).

    ``claim`` before sending (the claim says *sending*, and expires after ``sending_ttl`` so a
    worker that died mid-send does not block the delivery for ever); ``confirm`` after the channel
    accepted (*sent*, kept ``sent_ttl``); ``release`` after a failure, so the retry may claim again.
    """

    def __init__(self, url: str, prefix: str = DEFAULT_KEY, sending_ttl: int = 3600, sent_ttl: int = 90 * 86400):
        self.client = _client(url)
        self.prefix = f"{prefix}:claims"
        self.sending_ttl = sending_ttl
        self.sent_ttl = sent_ttl
        self.me = f"{os.uname().nodename}:{os.getpid()}:{time.time():.0f}"

    def key(self, idempotency_key: str, channel: str) -> str:
        return f"{self.prefix}:{idempotency_key}:{channel}"

    def claim(self, idempotency_key: str, channel: str) -> bool:
        return bool(self.client.set(self.key(idempotency_key, channel), f"sending {self.me}", nx=True,
                                    ex=self.sending_ttl))

    def confirm(self, idempotency_key: str, channel: str) -> None:
        self.client.set(self.key(idempotency_key, channel), f"sent {self.me}", ex=self.sent_ttl)

    def release(self, idempotency_key: str, channel: str) -> None:
        self.client.delete(self.key(idempotency_key, channel))

    def close(self) -> None:
        self.client.close()


def merge(target: Path, sources: Iterable[Path]) -> dict[str, int]:
    """Copy every article of the worker stores into ``target``, one row per article id.

    The same article stored by two workers (a replayed lease) has the same id, so it is upserted,
    not duplicated; the target's outbox queues each new or changed article for indexing.
    """
    counts = {"read": 0, "created": 0, "updated": 0, "unchanged": 0}
    with Store(target) as out:
        for source in sources:
            if Path(source).resolve() == Path(target).resolve():
                raise ConfigError(f"{source}: the target store cannot also be a source")
            if not (Path(source) / DB_NAME).exists():
                raise ConfigError(f"{source}: no newsmon store there")
            with Store(source, readonly=True) as store:
                for article in store.iter_articles():
                    counts["read"] += 1
                    urls = store.db.execute("SELECT url FROM article_urls WHERE article_id = ?",
                                            (article["id"],)).fetchall()
                    result = out.upsert_article(article, [u[0] for u in urls] or [article.get("url")])
                    key = "created" if result.created else ("unchanged" if result.unchanged else "updated")
                    counts[key] += 1
        counts["articles"] = out.count_articles()
    return counts
