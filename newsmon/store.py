"""SQLite store of record: articles, the URLs that lead to them, crawl runs, and an outbox.

Why this shape:
* SQLite in WAL mode with one writer (the crawl) and read-only readers (search, export, serve)
  needs no server and survives a crash mid-crawl: what was committed stays. The crawl commits
  its articles in short batches, each article a savepoint of its batch (:mod:`newsmon.sink`).
* An article's id is derived from its canonical URL, so re-crawls upsert instead of duplicating.
  Every URL that led to it (feed link, redirect target, canonical) is kept in ``article_urls`` so
  the spider can skip an already stored article before fetching it again.
* The article row and its ``outbox`` row are written in one transaction: the search index and
  alerts consume the outbox, so either can be rebuilt or replayed from the store alone.
* The schema evolves through recorded migrations (sqlite-utils style), each applied once in the
  same transaction as its record.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipelines.instants import iso_utc  # noqa: F401 (how the store writes instants)

DB_NAME = "newsmon.db"

ARTICLE_COLUMNS = (
    "id", "url", "canonical_url", "source", "title", "text", "lang", "author", "image",
    "published_at", "modified_at", "date_source", "fetched_at", "relevant", "topics",
    "matched_terms", "relevance_score", "content_hash", "discovered_via", "published_utc",
)
JSON_COLUMNS = ("topics", "matched_terms")
# Verdicts (seen_pages.outcome) that stay true until they expire; see crawler/runs.py.
LASTING_VERDICTS = ("not_relevant@", "too_old", "duplicate_content")
# A later fetch that misses one of these (a byline moved, an image gone) keeps the earlier value.
KEEP_IF_MISSING = ("published_at", "published_utc", "author", "image", "date_source")
# What the index and alerts show: a re-fetch that changes none of these queues nothing.
SHOWN_COLUMNS = ("content_hash", "title", "lang", "published_at", "modified_at", "canonical_url", "source",
                 "relevant", "topics")


class StoreError(Exception):
    """The data directory or database cannot be used; the message names the path."""


DAMAGE_SIGNS = ("not a database", "malformed", "corrupt", "disk image")


def damaged_hint(exc: BaseException) -> str:
    return "damaged" if any(sign in str(exc).lower() for sign in DAMAGE_SIGNS) else ""


def damaged_message(path: Path | str, exc: BaseException) -> str:
    """One line for a damaged database file: what is wrong and what to do."""
    why = " ".join(str(exc).split())[:200]
    return (f"{path}: the database is damaged ({why}); nothing was written. Move it aside and restore a backup, "
            f"or salvage it with: sqlite3 {path} .recover | sqlite3 recovered.db")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]


# -- migrations ------------------------------------------------------------------------------

def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Statement by statement: ``executescript`` would commit the migration's transaction."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def migrations() -> list[tuple[str, str]]:
    """Numbered ``.sql`` files in ``newsmon/migrations``, in order: (name, script).

    A new table or column is a new file with the next number; a file is never edited once
    released, because its name is what ``_migrations`` records as applied.
    """
    return [(p.stem, p.read_text(encoding="utf-8")) for p in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql"))]


def _migrate(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    applied = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    for name, script in migrations():
        if name in applied:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if name not in {row[0] for row in db.execute("SELECT name FROM _migrations")}:
                _run_script(db, script)
                db.execute("INSERT INTO _migrations VALUES (?, ?)", (name, iso_utc(utcnow())))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise


# -- the store ---------------------------------------------------------------------------------

@dataclass
class UpsertResult:
    article_id: str
    created: bool  # False when an existing row was updated
    unchanged: bool = False  # same content as stored: no new outbox event


class Store:
    """One connection; open it writable in the crawl, ``readonly=True`` everywhere else."""

    def __init__(self, data_dir: str | Path, readonly: bool = False):
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / DB_NAME
        self.readonly = readonly
        try:
            if readonly:
                if not self.path.exists():
                    raise StoreError(f"{self.path}: no database yet (run `newsmon crawl` or `newsmon demo` first)")
                self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
                self.db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # "not a database" shows here
            else:
                self.data_dir.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
                # before anything is written: a damaged file must not take new articles
                check = self.db.execute("PRAGMA quick_check(1)").fetchone()[0]
                if check != "ok":
                    raise sqlite3.DatabaseError(f"database disk image is malformed: {' '.join(str(check).split())}")
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.execute("PRAGMA foreign_keys=ON")
                _migrate(self.db)
        except sqlite3.DatabaseError as exc:
            if getattr(self, "db", None) is not None:
                self.db.close()
            if not damaged_hint(exc):
                raise StoreError(f"{self.path}: {exc}") from None
            raise StoreError(damaged_message(self.path, exc)) from None
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from None
        except OSError as exc:
            raise StoreError(f"{self.data_dir}: cannot use data directory: {exc.strerror or exc}") from None
        self.db.row_factory = sqlite3.Row

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One unit of writes, all or nothing. Inside a transaction already open (the crawl's
        batch: :class:`newsmon.sink.CrawlSink`), the unit is a savepoint of it: a failed unit is
        undone alone and the batch keeps the others."""
        if self.db.in_transaction:
            self.db.execute("SAVEPOINT unit")
            try:
                yield self.db
                self.db.execute("RELEASE unit")
            except BaseException:
                if self.db.in_transaction:  # else SQLite rolled the whole batch back (disk full)
                    self.db.execute("ROLLBACK TO unit")
                    self.db.execute("RELEASE unit")
                raise
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            # SQLite has already rolled back on some errors (disk full): a second ROLLBACK would
            # replace the real error with "no transaction is active".
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    # -- articles --------------------------------------------------------------------------

    def known_url(self, url: str) -> str | None:
        """The article id a URL already led to, if any."""
        row = self.db.execute("SELECT article_id FROM article_urls WHERE key = ?", (url_key(url),)).fetchone()
        return row[0] if row else None

    def known_fetched_at(self, url: str) -> str | None:
        """When the article a URL already led to was last fetched (None: the URL is new)."""
        row = self.db.execute(
            "SELECT a.fetched_at FROM article_urls u JOIN articles a ON a.id = u.article_id WHERE u.key = ?",
            (url_key(url),),
        ).fetchone()
        return row[0] if row else None

    def seen_outcome(self, url: str, *, since: str | None = None, topics: str | None = None) -> str | None:
        """Why an earlier crawl fetched ``url`` and stored nothing, if that verdict still holds.

        A verdict older than ``since`` has expired; "not relevant" judged under other topics
        (``not_relevant@<fingerprint>``) no longer holds once the topics file has changed.
        """
        row = self.db.execute("SELECT outcome, seen_at FROM seen_pages WHERE key = ?", (url_key(url),)).fetchone()
        if row is None or (since and row[1] < since):
            return None
        outcome = row[0]
        if not outcome.startswith(LASTING_VERDICTS):
            return None  # written by an older newsmon for a reason no longer taken as lasting
        if topics is not None and outcome.startswith("not_relevant") and outcome != f"not_relevant@{topics}":
            return None
        return outcome

    def touch_fetched(self, url: str) -> None:
        """A re-fetch of a stored article that was dropped (say, now too old) still counts as a
        fetch: without this, its feed date would keep looking newer and trigger it every crawl."""
        self.db.execute(
            "UPDATE articles SET fetched_at = ? WHERE id = (SELECT article_id FROM article_urls WHERE key = ?)",
            (iso_utc(utcnow()), url_key(url)),
        )

    def mark_seen(self, urls: list[str], source: str, outcome: str) -> None:
        now = iso_utc(utcnow())
        with self.transaction() as db:
            for url in dict.fromkeys(u for u in urls if u):
                db.execute(
                    "INSERT INTO seen_pages (key, url, source, outcome, seen_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET outcome = excluded.outcome, seen_at = excluded.seen_at",
                    (url_key(url), url, source, outcome, now),
                )

    def find_by_hash(self, content_hash: str) -> str | None:
        row = self.db.execute("SELECT id FROM articles WHERE content_hash = ? LIMIT 1", (content_hash,)).fetchone()
        return row[0] if row else None

    def upsert_article(self, record: dict[str, Any], urls: list[str], run_id: int | None = None) -> UpsertResult:
        """Insert or update by id, remember every URL, and queue an outbox event, atomically."""
        now = iso_utc(utcnow())
        values = {col: record.get(col) for col in ARTICLE_COLUMNS}
        for col in JSON_COLUMNS:
            values[col] = json.dumps(values[col] if values[col] is not None else ([] if col == "topics" else {}), ensure_ascii=False)
        values["relevant"] = 1 if values["relevant"] else 0
        values["relevance_score"] = float(values["relevance_score"] or 0)
        values["now"] = now
        values["run_id"] = run_id
        with self.transaction() as db:
            old = db.execute(_SELECT_SHOWN, (values["id"],)).fetchone()
            exists = old is not None
            unchanged = exists and values["content_hash"] is not None and all(
                old[i] == (values[c] if values[c] is not None or c not in KEEP_IF_MISSING else old[i])
                for i, c in enumerate(SHOWN_COLUMNS)
            )
            db.execute(_UPSERT_ARTICLE, values)
            keys = [(url_key(url), url, values["id"]) for url in dict.fromkeys(u for u in urls if u)]
            db.executemany(_UPSERT_URL, keys)
            db.executemany("DELETE FROM quarantine WHERE key = ?", [(k,) for k, _, _ in keys])  # stored at last
            if not unchanged:
                db.execute(
                    "INSERT INTO outbox (article_id, event, created_at) VALUES (?, ?, ?)",
                    (values["id"], "updated" if exists else "created", now),
                )
        return UpsertResult(values["id"], created=not exists, unchanged=unchanged)

    def get_article(self, article_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _article(row) if row else None

    def get_articles(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT * FROM articles WHERE id IN ({marks})", chunk):
                out[row["id"]] = _article(row)
        return out

    def iter_articles(self, since: str | None = None, batch: int = 500) -> Iterator[dict[str, Any]]:
        """Every article, oldest fetch first; ``since`` filters on the publication instant in UTC
        (else fetched_at)."""
        sql = "SELECT * FROM articles"
        args: list[Any] = []
        if since:
            sql += " WHERE COALESCE(published_utc, published_at, fetched_at) >= ?"
            args.append(since)
        sql += " ORDER BY fetched_at, id"
        cursor = self.db.execute(sql, args)
        while rows := cursor.fetchmany(batch):
            for row in rows:
                yield _article(row)

    def count_articles(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    # -- outbox ----------------------------------------------------------------------------

    def pending_index(self, limit: int = 1000) -> list[tuple[int, str]]:
        rows = self.db.execute(
            "SELECT id, article_id FROM outbox WHERE indexed_at IS NULL ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def mark_indexed(self, outbox_ids: list[int]) -> None:
        if not outbox_ids:
            return
        now = iso_utc(utcnow())
        with self.transaction() as db:
            db.executemany("UPDATE outbox SET indexed_at = ? WHERE id = ?", [(now, i) for i in outbox_ids])

    def save_sketches(self, rows: list[tuple[str, str, bytes | None]]) -> None:
        """(article id, content hash, MinHash signature or None) taken at indexing, for story
        linking (:mod:`newsmon.stories`) to use instead of analysing the text again."""
        if not rows:
            return
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO story_sketches (article_id, content_hash, signature) VALUES (?, ?, ?)",
                           rows)

    # -- quarantine --------------------------------------------------------------------------

    def quarantine(self, url: str, source: str, reason: str, title: str | None = None) -> None:
        """Keep a dropped page that may be a real article, to list it and to fetch it again."""
        now = iso_utc(utcnow())
        self.db.execute(
            "INSERT INTO quarantine (key, url, source, reason, title, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET reason = excluded.reason, "
            "title = COALESCE(excluded.title, title), last_seen = excluded.last_seen, attempts = attempts + 1",
            (url_key(url), url, source, reason, title, now, now),
        )

    def quarantined(self, source: str | None = None, max_attempts: int | None = None,
                    limit: int = 1000) -> list[dict[str, Any]]:
        """Quarantined pages, most recent first; for one source and under ``max_attempts`` if given."""
        sql, args = "SELECT url, source, reason, title, first_seen, last_seen, attempts FROM quarantine", []
        where = []
        if source is not None:
            where.append("source = ?")
            args.append(source)
        if max_attempts is not None:
            where.append("attempts < ?")
            args.append(max_attempts)
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.db.execute(sql + " ORDER BY last_seen DESC LIMIT ?", (*args, limit)).fetchall()
        return [dict(row) for row in rows]

    # -- runs ------------------------------------------------------------------------------

    def start_run(self, crawl_id: str, source: str) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (crawl_id, source, started_at, pid) VALUES (?, ?, ?, ?)",
            (crawl_id, source, iso_utc(utcnow()), os.getpid()),
        )
        return int(cur.lastrowid or 0)

    def finish_run(self, run_id: int, *, status: str, pages_fetched: int, articles_stored: int,
                   skipped: int, errors: int, stats: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at = ?, status = ?, pages_fetched = ?, articles_stored = ?, skipped = ?, "
            "errors = ?, stats = ? WHERE id = ?",
            (iso_utc(utcnow()), status, pages_fetched, articles_stored, skipped, errors,
             json.dumps(stats, default=str, sort_keys=True), run_id),
        )

    def progress_run(self, run_id: int, *, pages_fetched: int, articles_stored: int, skipped: int, errors: int,
                     stats: dict[str, Any]) -> None:
        """The counters so far of a run still going: a crawl killed later keeps them."""
        self.db.execute(
            "UPDATE runs SET pages_fetched = ?, articles_stored = ?, skipped = ?, errors = ?, stats = ? "
            "WHERE id = ? AND status = 'running'",
            (pages_fetched, articles_stored, skipped, errors, json.dumps(stats, default=str, sort_keys=True), run_id),
        )

    def interrupt_runs(self, crawl_id: str) -> int:
        """The runs of ``crawl_id`` still 'running' once its crawl has returned: Scrapy stopped
        without closing the spider (a second Ctrl-C or SIGTERM), so no one else will close them."""
        cursor = self.db.execute("UPDATE runs SET status = 'interrupted', finished_at = ? "
                                 "WHERE crawl_id = ? AND status = 'running'", (iso_utc(utcnow()), crawl_id))
        return cursor.rowcount

    def close_stale_runs(self) -> int:
        """Runs left 'running' by a crawl whose process is gone are marked 'interrupted'."""
        rows = self.db.execute("SELECT id, pid FROM runs WHERE status = 'running'").fetchall()
        dead = [(row[0],) for row in rows if not _alive(row[1])]
        self.db.executemany("UPDATE runs SET status = 'interrupted' WHERE id = ?", dead)
        return len(dead)

    def runs(self, limit: int = 50, crawl_id: str | None = None) -> list[dict[str, Any]]:
        """The latest ``limit`` runs, newest first; with ``crawl_id``, only that crawl's."""
        where, args = ("WHERE crawl_id = ?", (crawl_id,)) if crawl_id is not None else ("", ())
        rows = self.db.execute(f"SELECT * FROM runs {where} ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
        out = []
        for row in rows:
            item = dict(row)
            item["stats"] = json.loads(item["stats"] or "{}")
            out.append(item)
        return out


_SELECT_SHOWN = f"SELECT {', '.join(SHOWN_COLUMNS)} FROM articles WHERE id = ?"
_UPSERT_ARTICLE = (
    f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}, first_seen_at, updated_at, run_id) "
    f"VALUES ({', '.join(f':{c}' for c in ARTICLE_COLUMNS)}, :now, :now, :run_id) ON CONFLICT(id) DO UPDATE SET "
    + ", ".join(f"{c} = COALESCE(excluded.{c}, {c})" if c in KEEP_IF_MISSING else f"{c} = excluded.{c}"
                for c in ARTICLE_COLUMNS if c != "id")
    + ", updated_at = :now, run_id = :run_id"
)
_UPSERT_URL = ("INSERT INTO article_urls (key, url, article_id) VALUES (?, ?, ?) "
               "ON CONFLICT(key) DO UPDATE SET article_id = excluded.article_id")


def _alive(pid: int | None) -> bool:
    if not pid or pid == os.getpid():
        return False  # no pid recorded, or our own: nothing of ours is running yet
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _article(row: sqlite3.Row) -> dict[str, Any]:
    item = dict(row)
    for col in JSON_COLUMNS:
        item[col] = json.loads(item[col]) if item.get(col) else ([] if col == "topics" else {})
    item["relevant"] = bool(item["relevant"])
    return item
