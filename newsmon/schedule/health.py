"""What ``newsmon status`` reports: next runs, running crawls, and each source's health.

Health is read from what crawls already record, in the manner of spidermon's monitors reading a
finished crawl's stats: the per-source counters in ``runs.stats`` (``pages``, ``errors``,
``blocked/403``, ``error/http_403``, ``articles_fetched``, ``dropped/too_short`` …) and the ``articles`` table
(new articles per day, articles without a date, the newest one). Everything is read through a
read-only connection, so ``status`` can run while the scheduler and crawls write.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlite3

from newsmon.store import DB_NAME, StoreError, iso_utc

# Pages fetched as articles whose extraction found no body to speak of.
NO_BODY_COUNTERS = ("dropped/too_short", "dropped/not_an_article_empty")
FAILED_RUN_STATUSES = ("failed",)


@dataclass
class HealthOptions:
    window_days: int = 7
    silent_hours: float = 72.0


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _parse(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None


def _rows(db: sqlite3.Connection, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    try:
        return db.execute(sql, args).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc) or "no such column" in str(exc):
            return []  # a store from before the scheduler existed
        raise


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def status_report(data_dir: Path, options: HealthOptions | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The whole report as plain data (``newsmon status --json`` prints exactly this)."""
    options = options or HealthOptions()
    now = now or datetime.now(timezone.utc)
    since = iso_utc(now - timedelta(days=options.window_days))
    path = Path(data_dir) / DB_NAME
    if not path.exists():
        raise StoreError(f"{path}: no database yet (run `newsmon crawl` or `newsmon schedule` first)")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: {exc}") from None
    with closing(db):
        db.row_factory = sqlite3.Row
        return _report(db, options, now, since)


def _report(db: sqlite3.Connection, options: HealthOptions, now: datetime, since: str) -> dict[str, Any]:
    state = _rows(db, "SELECT * FROM scheduler_state WHERE id = 1")
    scheduler: dict[str, Any] = {"running": False}
    if state:
        s = dict(state[0])
        running = s["stopped_at"] is None and _alive(s["pid"])
        scheduler = {"running": running, "pid": s["pid"] if running else None, "started_at": s["started_at"],
                     "heartbeat_at": s["heartbeat_at"], "stopped_at": s["stopped_at"], "sources_file": s["sources_file"]}

    scheduled = {r["source"]: dict(r) for r in _rows(db, "SELECT * FROM schedule_sources")}
    next_runs = {}
    for r in _rows(db, "SELECT id, next_run_time FROM apscheduler_jobs"):
        if r["id"].startswith("crawl:"):
            ts = r["next_run_time"]
            next_runs[r["id"][6:]] = iso_utc(datetime.fromtimestamp(ts, timezone.utc)) if ts is not None else None

    running: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if scheduler["running"]:
        for r in _rows(db, "SELECT source, started_at, child_pid, scheduled_for FROM schedule_runs "
                           "WHERE outcome = 'running' AND scheduler_pid = ?", (scheduler["pid"],)):
            running[r["source"]].append({"by": "schedule", "pid": r["child_pid"], "started_at": r["started_at"]})
    scheduled_pids = {c["pid"] for crawls in running.values() for c in crawls}
    for r in _rows(db, "SELECT source, started_at, pid FROM runs WHERE status = 'running'"):
        if _alive(r["pid"]) and r["pid"] not in scheduled_pids:
            running[r["source"]].append({"by": "crawl", "pid": r["pid"], "started_at": r["started_at"]})

    last_run = {}
    for r in _rows(db, "SELECT r.source, r.started_at, r.finished_at, r.status FROM runs r JOIN "
                       "(SELECT source, MAX(id) AS id FROM runs GROUP BY source) m ON r.id = m.id"):
        last_run[r["source"]] = {"started_at": r["started_at"], "finished_at": r["finished_at"], "status": r["status"]}

    window: dict[str, Counter[str]] = defaultdict(Counter)
    for r in _rows(db, "SELECT source, status, stats FROM runs WHERE started_at >= ? AND status != 'running'",
                   (since,)):
        c = window[r["source"]]
        c["runs"] += 1
        c["failed_runs"] += r["status"] in FAILED_RUN_STATUSES
        try:
            stats = json.loads(r["stats"] or "{}")
        except ValueError:
            stats = {}
        for key, value in stats.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                c[key] += value

    scheduled_outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    for r in _rows(db, "SELECT source, outcome, COUNT(*) AS n FROM schedule_runs WHERE started_at >= ? "
                       "GROUP BY source, outcome", (since,)):
        scheduled_outcomes[r["source"]][r["outcome"]] = r["n"]

    articles = {r["source"]: dict(r) for r in _rows(
        db, "SELECT source, COUNT(*) AS n, SUM(published_at IS NULL) AS undated FROM articles "
            "WHERE first_seen_at >= ? GROUP BY source", (since,))}
    newest = {r["source"]: r["last"] for r in _rows(db, "SELECT source, MAX(first_seen_at) AS last FROM articles "
                                                        "GROUP BY source")}

    names = sorted(set(scheduled) | set(last_run) | set(newest) | set(running))
    sources = []
    for name in names:
        c = window.get(name, Counter())
        attempts = c["pages"] + c["errors"]
        # every 403 answer: counted as blocked/403 by the backoff middleware (retried ones too),
        # else only as the final error/http_403
        answers_403 = c["blocked/403"] or c["error/http_403"]
        answered = attempts + max(0, c["blocked/403"] - c["error/http_403"])
        fetched = c["articles_fetched"]
        no_body = sum(c[k] for k in NO_BODY_COUNTERS)
        art = articles.get(name, {"n": 0, "undated": 0})
        last_new = newest.get(name)
        last_new_dt = _parse(last_new)
        hours_since_new = round((now - last_new_dt).total_seconds() / 3600, 2) if last_new_dt else None
        silent = bool(c["runs"]) and (hours_since_new is None or hours_since_new > options.silent_hours)
        last = last_run.get(name)
        sources.append({
            "source": name,
            "scheduled": name in scheduled,
            "schedule": scheduled[name]["schedule"] if name in scheduled else None,
            "timeout_seconds": scheduled[name]["timeout_seconds"] if name in scheduled else None,
            "next_run": next_runs.get(name),
            "running": running.get(name, []),
            "last_run": last,
            "runs": c["runs"],
            "failed_runs": c["failed_runs"],
            "scheduled_outcomes": dict(scheduled_outcomes.get(name, {})),
            "pages": c["pages"],
            "errors": c["errors"],
            "http_403": answers_403,
            "error_rate": _ratio(c["errors"], attempts),
            "rate_403": _ratio(answers_403, answered),
            "article_pages": fetched,
            "no_body_share": _ratio(no_body, fetched),
            "new_articles": art["n"],
            "articles_per_day": round(art["n"] / options.window_days, 2),
            "no_date_share": _ratio(art["undated"] or 0, art["n"]),
            "last_new_article_at": last_new,
            "hours_since_new_article": hours_since_new,
            "silent": silent,
            "failing": bool(last and last["status"] in FAILED_RUN_STATUSES),
        })
    return {"generated_at": iso_utc(now), "window_days": options.window_days, "silent_hours": options.silent_hours,
            "scheduler": scheduler, "sources": sources}
