"""The scheduler's bookkeeping in the store: what it started, how each child ended, what it skipped.

The scheduler writes from several threads (one per running crawl, plus the main loop), and the
crawls themselves write to the same SQLite file from their own processes. So every write here
opens a short connection, takes the write lock with ``BEGIN IMMEDIATE`` (waiting up to 30 s
behind a crawl's transaction, as the store does) and closes again; nothing is held between runs.
The tables come from migration ``020_schedule``; ``Store(data_dir)`` applies it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from newsmon.store import DB_NAME, iso_utc, utcnow

# outcome of a scheduled crawl → status its `runs` rows get when the crawl could not say itself
FAILED_OUTCOMES = ("timeout", "crashed", "error")


@contextmanager
def _write(data_dir: Path) -> Iterator[sqlite3.Connection]:
    with closing(sqlite3.connect(Path(data_dir) / DB_NAME, timeout=30, isolation_level=None)) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


class Journal:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.pid = os.getpid()

    # -- the scheduler itself ----------------------------------------------------------------

    def scheduler_started(self, sources_file: Path) -> int:
        """Record this scheduler; rows a dead scheduler left 'running' become 'interrupted'."""
        now = iso_utc(utcnow())
        with _write(self.data_dir) as db:
            db.execute(
                "INSERT INTO scheduler_state (id, pid, started_at, heartbeat_at, stopped_at, sources_file) "
                "VALUES (1, ?, ?, ?, NULL, ?) ON CONFLICT(id) DO UPDATE SET pid = excluded.pid, "
                "started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, stopped_at = NULL, "
                "sources_file = excluded.sources_file",
                (self.pid, now, now, str(sources_file)),
            )
            cur = db.execute(
                "UPDATE schedule_runs SET outcome = 'interrupted', finished_at = COALESCE(finished_at, ?), "
                "message = 'the scheduler stopped before this crawl ended' "
                "WHERE outcome = 'running' AND scheduler_pid != ?",
                (now, self.pid),
            )
            return cur.rowcount

    def heartbeat(self) -> None:
        with _write(self.data_dir) as db:
            db.execute("UPDATE scheduler_state SET heartbeat_at = ? WHERE id = 1 AND pid = ?",
                       (iso_utc(utcnow()), self.pid))

    def scheduler_stopped(self) -> None:
        with _write(self.data_dir) as db:
            db.execute("UPDATE scheduler_state SET stopped_at = ? WHERE id = 1 AND pid = ?",
                       (iso_utc(utcnow()), self.pid))

    def set_sources(self, rows: list[tuple[str, str, str, float]]) -> None:
        """(source, schedule text, job id, timeout seconds) for every scheduled source; others go."""
        now = iso_utc(utcnow())
        with _write(self.data_dir) as db:
            db.execute("DELETE FROM schedule_sources")
            db.executemany("INSERT INTO schedule_sources VALUES (?, ?, ?, ?, ?)",
                           [(*row, now) for row in rows])

    # -- one scheduled crawl ------------------------------------------------------------------

    def start(self, source: str, scheduled_for: datetime | None) -> int:
        with _write(self.data_dir) as db:
            cur = db.execute(
                "INSERT INTO schedule_runs (source, scheduled_for, started_at, scheduler_pid) VALUES (?, ?, ?, ?)",
                (source, _iso_ms(scheduled_for), _iso_ms(utcnow()), self.pid),
            )
            return int(cur.lastrowid or 0)

    def child_started(self, row_id: int, child_pid: int) -> None:
        with _write(self.data_dir) as db:
            db.execute("UPDATE schedule_runs SET child_pid = ? WHERE id = ?", (child_pid, row_id))

    def finish(self, row_id: int, *, outcome: str, exit_code: int | None, counts: dict[str, int],
               message: str | None) -> None:
        with _write(self.data_dir) as db:
            db.execute(
                "UPDATE schedule_runs SET finished_at = ?, outcome = ?, exit_code = ?, pages = ?, new = ?, "
                "errors = ?, message = ? WHERE id = ?",
                (_iso_ms(utcnow()), outcome, exit_code, counts.get("pages"), counts.get("new"),
                 counts.get("errors"), message, row_id),
            )

    def not_run(self, source: str, scheduled_for: datetime | None, outcome: str, message: str) -> None:
        """A fire time that did not become a crawl (missed, or the previous crawl still ran)."""
        now = _iso_ms(utcnow())
        with _write(self.data_dir) as db:
            db.execute(
                "INSERT INTO schedule_runs (source, scheduled_for, started_at, finished_at, outcome, scheduler_pid, "
                "message) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (source, _iso_ms(scheduled_for), now, now, outcome, self.pid, message),
            )

    def settle_runs(self, *, source: str, child_pid: int, since: datetime, outcome: str,
                    exit_code: int | None, message: str | None) -> int:
        """Tag the crawl's own ``runs`` rows with its exit status; when the crawl was killed or
        crashed, mark them failed with the reason (and write one if it died before writing any).
        Returns the number of ``runs`` rows for this crawl."""
        now = iso_utc(utcnow())
        with _write(self.data_dir) as db:
            rows = db.execute(
                "SELECT id, status, stats FROM runs WHERE pid = ? AND started_at >= ?",
                (child_pid, _iso_s_floor(since)),
            ).fetchall()
            failed = outcome in FAILED_OUTCOMES
            for run_id, status, stats_text in rows:
                stats = json.loads(stats_text or "{}")
                if failed:
                    stats[f"error/{outcome}"] = stats.get(f"error/{outcome}", 0) + 1
                    stats.setdefault("first_error", message or outcome)
                    status = "failed"
                elif outcome == "stopped" and status == "running":
                    status = "interrupted"
                db.execute(
                    "UPDATE runs SET exit_code = ?, started_by = 'schedule', status = ?, stats = ?, "
                    "errors = errors + ?, finished_at = COALESCE(finished_at, ?) WHERE id = ?",
                    (exit_code, status, json.dumps(stats, sort_keys=True), 1 if failed else 0, now, run_id),
                )
            if not rows and (failed or outcome == "stopped"):
                status = "failed" if failed else "interrupted"
                stats = {f"error/{outcome}": 1, "first_error": message or outcome} if failed else {}
                db.execute(
                    "INSERT INTO runs (crawl_id, source, started_at, finished_at, status, errors, stats, pid, "
                    "exit_code, started_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'schedule')",
                    (f"schedule-{child_pid}", source, iso_utc(since), now, status, 1 if failed else 0,
                     json.dumps(stats, sort_keys=True), child_pid, exit_code),
                )
            return len(rows)


def _iso_ms(moment: datetime | None) -> str | None:
    """UTC with milliseconds: the scheduler's own rows are compared at sub-second precision."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _iso_s_floor(moment: datetime) -> str:
    return iso_utc(moment.replace(microsecond=0))


def read_rows(data_dir: Path, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Read-only query (``mode=ro``), rows as dicts; [] when the table does not exist yet."""
    path = Path(data_dir) / DB_NAME
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute(sql, args)]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
