"""The outbox drained into Elasticsearch: idempotent, per-document, nothing lost.

Every stored article has an ``outbox`` row written in the article's own transaction. ``sync``
reads rows not yet acknowledged by Elasticsearch (``es_synced_at IS NULL``), sends the current
version of each article through ``helpers.streaming_bulk`` with ``_id`` = article id (a resend
overwrites, never duplicates), and marks a row done only when *its* document came back ``ok``.
A rejected document stays pending with its reason in ``es_error``; 429 (and 502/503/504) items
are resent by the helper with exponential backoff; a connection error or 5xx for the whole
request stops the pass after a few backed-off attempts, leaving the rest pending for the next
``newsmon es sync`` (or the next crawl).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import elastic_transport
from elasticsearch import ApiError, helpers

from newsmon.config import DEFAULT_SOURCES_FILE, load_sources
from newsmon.es.client import Connection, explain
from newsmon.es.errors import EsError
from newsmon.es.mapping import article_document
from newsmon.store import Store, iso_utc, utcnow
from newsmon.yamlconf import ConfigError

log = logging.getLogger("newsmon.es")

BATCH = 500
ITEM_RETRY_STATUS = (429, 502, 503, 504)


@dataclass
class SyncReport:
    sent: int = 0            # documents sent (one per article, however many rows it had)
    indexed: int = 0         # acknowledged by Elasticsearch
    failed: int = 0          # rejected this pass (still pending, reason kept)
    rows_done: int = 0       # outbox rows marked synced
    pending: int = 0         # rows still waiting after this pass
    errors: Counter = field(default_factory=Counter)  # reason → documents
    stopped: str | None = None  # why the pass stopped early (cluster unreachable…)

    def to_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "indexed": self.indexed, "failed": self.failed, "rows_done": self.rows_done,
                "pending": self.pending, "errors": dict(self.errors), "stopped": self.stopped}

    def summary(self) -> str:
        line = f"es sync: {self.indexed} indexed, {self.failed} rejected, {self.pending} pending"
        if self.errors:
            line += " (" + "; ".join(f"{n}× {why}" for why, n in self.errors.most_common(3)) + ")"
        if self.stopped:
            line += f"; stopped: {self.stopped}"
        return line


def pending_count(store: Store) -> int:
    return store.db.execute("SELECT COUNT(*) FROM outbox WHERE es_synced_at IS NULL").fetchone()[0]


def pending_rows(store: Store, limit: int, after_id: int = 0) -> list[tuple[int, str]]:
    return [(r[0], r[1]) for r in store.db.execute(
        "SELECT id, article_id FROM outbox WHERE es_synced_at IS NULL AND id > ? ORDER BY id LIMIT ?",
        (after_id, limit))]


def mark_synced(store: Store, done: dict[str, int], failed: dict[str, tuple[int, str]]) -> int:
    """``done``: article id → highest outbox id read for it (rows up to that id are acknowledged;
    a row written after we read the article stays pending)."""
    now = iso_utc(utcnow())
    count = 0
    with store.transaction() as db:
        for article_id, max_id in done.items():
            cur = db.execute("UPDATE outbox SET es_synced_at = ?, es_error = NULL "
                             "WHERE article_id = ? AND id <= ? AND es_synced_at IS NULL", (now, article_id, max_id))
            count += cur.rowcount
        for article_id, (max_id, reason) in failed.items():
            db.execute("UPDATE outbox SET es_error = ? WHERE article_id = ? AND id <= ? AND es_synced_at IS NULL",
                       (reason[:500], article_id, max_id))
    return count


def requeue_after(store: Store, outbox_id: int) -> int:
    """Make rows written after ``outbox_id`` pending again (a migration replays them)."""
    with store.transaction() as db:
        return db.execute("UPDATE outbox SET es_synced_at = NULL WHERE id > ?", (outbox_id,)).rowcount


def max_outbox_id(store: Store) -> int:
    return store.db.execute("SELECT COALESCE(MAX(id), 0) FROM outbox").fetchone()[0]


def requeue_all(store: Store) -> int:
    with store.transaction() as db:
        return db.execute("UPDATE outbox SET es_synced_at = NULL WHERE id IN "
                          "(SELECT MAX(id) FROM outbox GROUP BY article_id)").rowcount


def actions(articles: list[dict[str, Any]], index: str, timezones: dict[str, str]) -> Iterator[dict[str, Any]]:
    for article in articles:
        yield {"_op_type": "index", "_index": index, "_id": article["id"],
               "_source": article_document(article, timezones.get(article.get("source") or ""))}


def _item_reason(item: dict[str, Any]) -> str:
    info = next(iter(item.values())) if item else {}
    err = info.get("error")
    if isinstance(err, dict):
        return f"{err.get('type', 'error')}: {err.get('reason', '')}".strip()[:300]
    if err:
        return str(err)[:300]
    return f"HTTP {info.get('status', '?')}"


def _item_id(item: dict[str, Any]) -> str | None:
    info = next(iter(item.values())) if item else {}
    return info.get("_id")


def sync(store: Store, conn: Connection, *, timezones: dict[str, str] | None = None, batch: int = BATCH,
         max_retries: int = 3, initial_backoff: float = 1.0, max_backoff: float = 30.0,
         sleep: Callable[[float], None] = time.sleep, limit: int | None = None) -> SyncReport:
    """Send every pending article; returns counts. Never raises for a cluster outage: the rows
    stay pending and ``report.stopped`` says why."""
    timezones = timezones or {}
    alias = conn.settings.block.alias
    _require_alias(conn, alias)
    report = SyncReport()
    after = 0
    while limit is None or report.sent < limit:
        rows = pending_rows(store, batch if limit is None else min(batch, limit - report.sent), after)
        if not rows:
            break
        after = rows[-1][0]
        max_row: dict[str, int] = {}
        for row_id, article_id in rows:
            max_row[article_id] = max(row_id, max_row.get(article_id, 0))
        articles = store.get_articles(list(max_row))
        gone = [a for a in max_row if a not in articles]
        if gone:  # the row's article was deleted: nothing to send, the row is done
            mark_synced(store, {a: max_row[a] for a in gone}, {})
        docs = [articles[a] for a in max_row if a in articles]
        done: dict[str, int] = {}
        failed: dict[str, tuple[int, str]] = {}
        remaining = docs
        attempt = 0
        while remaining:
            acked: set[str] = set()
            try:
                for ok, item in helpers.streaming_bulk(
                        conn.client, actions(remaining, alias, timezones), chunk_size=batch,
                        raise_on_error=False, raise_on_exception=True, max_retries=max_retries,
                        initial_backoff=initial_backoff, max_backoff=max_backoff,
                        retry_on_status=ITEM_RETRY_STATUS, require_alias=True):
                    doc_id = _item_id(item)
                    if doc_id is None:
                        continue
                    acked.add(doc_id)
                    if ok:
                        done[doc_id] = max_row[doc_id]
                    else:
                        reason = _item_reason(item)
                        failed[doc_id] = (max_row[doc_id], reason)
                        report.errors[reason] += 1
                remaining = []
            except (elastic_transport.ConnectionError, elastic_transport.ConnectionTimeout, ApiError) as exc:
                status = getattr(getattr(exc, "meta", None), "status", None)
                if isinstance(exc, ApiError) and status is not None and status < 500 and status != 429:
                    report.stopped = conn.redact(f"HTTP {status}: {exc.message}")
                    break
                remaining = [d for d in remaining if d["id"] not in acked]
                attempt += 1
                if attempt > max_retries:
                    report.stopped = conn.redact(f"cluster unavailable after {attempt} attempts "
                                                 f"({type(exc).__name__}{f' {status}' if status else ''})")
                    break
                delay = min(max_backoff, initial_backoff * 2 ** (attempt - 1))
                log.warning("es sync: %s; retrying %d documents in %.1f s", type(exc).__name__, len(remaining), delay)
                sleep(delay)
        report.sent += len(docs)
        report.indexed += len(done)
        report.failed += len(failed)
        report.rows_done += mark_synced(store, done, failed)
        if report.stopped:
            break
    report.pending = pending_count(store)
    store.db.execute("INSERT INTO es_state (key, value) VALUES ('last_sync', ?) "
                     "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (iso_utc(utcnow()),))
    return report


def _require_alias(conn: Connection, alias: str) -> None:
    """Writing to a missing alias would make Elasticsearch auto-create a plain index of that
    name with guessed mappings; refuse instead (bulk also sends require_alias=true)."""
    try:
        exists = bool(conn.client.indices.exists_alias(name=alias))
    except Exception as exc:
        raise EsError(explain(exc, conn.settings, f"check alias {alias}")) from None
    if not exists:
        raise EsError(f"{conn.settings.url}: alias {alias} does not exist: run `newsmon es setup` first "
                      "(the articles wait in the outbox)")


def source_timezones(sources_file: str | Path | None) -> dict[str, str]:
    """Source name → IANA zone from sources.yaml (for ``published_local``); {} when unreadable."""
    path = Path(sources_file) if sources_file else DEFAULT_SOURCES_FILE
    if not path.exists():
        return {}
    try:
        return {s.name: s.timezone for s in load_sources(path)}
    except ConfigError:
        return {}

