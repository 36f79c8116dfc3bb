"""The crawl's one writer: the SQLite store of record, and the search index fed from its outbox.

Opened by the crawl entry (:func:`newsmon.crawl.run_crawl`) for the whole crawl and handed to the
spider; it is what :class:`crawler.store.CrawlStore` describes. One SQLite connection serves the
entry filter, the runs bookkeeping and the dedupe/store/index steps.

Articles are committed in batches (at most ``batch_items`` articles or ``batch_seconds``, set by
the crawl's store step): queued in memory as they come, then written in one short transaction,
each article a savepoint of it, so one refused article is undone alone and the others are kept.
The write lock is held only while a batch is written, never while the crawl waits for pages. An
article's row, its URLs (what makes it "known" to the next crawl) and its outbox event are in
the same transaction, so a crawl killed before a batch is written leaves nothing of it marked
stored; its pages are fetched again next time. A caller learns that an article is committed,
or why not, from the ``done`` callback it gave :meth:`CrawlSink.save_article`; the counters of
stored articles are taken from there.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from crawler.store import StoreUnavailable

from newsmon import stories
from newsmon.search_index import IndexError_, SearchIndex, rebuild
from newsmon.store import ARTICLE_COLUMNS, Store, UpsertResult, iso_utc

logger = logging.getLogger(__name__)
T = TypeVar("T")
# told once an article is committed (why None), or why not (refused alone, or lost with its batch)
Settled = Callable[["UpsertResult | None", "str | None"], None]
SYNC_CHUNK = 50  # articles read and analysed at once while indexing (memory, not commits)


def article_record(item: dict[str, Any]) -> dict[str, Any]:
    """The stored form of an item: every column, dates as ISO strings, no raw HTML."""
    record = {col: item.get(col) for col in ARTICLE_COLUMNS}
    fetched = item.get("fetched_at")
    record["fetched_at"] = iso_utc(fetched) if hasattr(fetched, "astimezone") else fetched
    record["topics"] = list(item.get("topics") or [])
    record["matched_terms"] = dict(item.get("matched_terms") or {})
    record["canonical_url"] = item.get("canonical_url") or item.get("url")
    return record


def sync_outbox(store: Store, index: SearchIndex, batch: int = 500, chunk: int = SYNC_CHUNK) -> int:
    """Index every article with a pending outbox event; returns how many were indexed.

    The words the index analyses also give each article's story signature (kept in
    ``story_sketches`` for the linking pass after the crawl, which would otherwise analyse every
    text a second time). One commit per ``batch`` events; the articles are read, analysed and
    handed to the index ``chunk`` at a time, so their texts and words are not all held at once
    (500 articles' were ~5 MiB of a crawl's peak, kept by the allocator after they were freed)."""
    total = 0
    while pending := store.pending_index(batch):
        ids = list(dict.fromkeys(article_id for _, article_id in pending))
        sketches: list[tuple[str, str, bytes | None]] = []
        for start in range(0, len(ids), chunk):
            part = ids[start:start + chunk]
            articles = store.get_articles(part)
            words: dict[str, list[str]] = {}
            index.add((articles[i] for i in part if i in articles), text_words=words)
            sketches += stories.sketches_to_keep(store, articles, words)
            total += len(articles)
            del articles, words
        index.commit()
        store.mark_indexed([outbox_id for outbox_id, _ in pending])
        store.save_sketches(sketches)
    return total


class CrawlSink(Store):
    """A writable :class:`Store` that also keeps the search index in step with it.

    Every write goes through :meth:`_write`: the first one that fails (disk full, read-only file
    system, I/O error) is remembered in ``failure`` and raised as
    :class:`crawler.store.StoreUnavailable`, which stops the crawl; later writes fail at once
    without touching the disk. What was committed before stays committed and readable.
    """

    def __init__(self, data_dir: str | Path, batch_items: int = 1, batch_seconds: float = 1.0):
        super().__init__(data_dir, readonly=False)
        self.failure: str | None = None
        self.saved = 0  # articles committed by this crawl (created or updated)
        self.batch_items = batch_items
        self.batch_seconds = batch_seconds
        self._queue: list[tuple[dict[str, Any], list[str], Settled | None]] = []  # saved, not yet written
        self._queue_started = 0.0
        self.index: SearchIndex | None = None
        try:
            self.index = SearchIndex(Path(data_dir) / "index", writable=True)
        except IndexError_ as exc:
            # Locked by another writer (a concurrent crawl or reindex) or unreadable: the store
            # still takes every article and the outbox keeps them for the next crawl or reindex.
            logger.warning("index unavailable, articles are stored and will be indexed later: %s", exc)
        if self.index is not None:
            self.repair_index()

    def batching(self, items: int, seconds: float) -> None:
        """Commit every ``items`` articles or ``seconds``, whichever comes first (``items`` 1: each
        article on its own, as it is saved)."""
        self.flush()
        self.batch_items = max(1, items)
        self.batch_seconds = seconds

    def repair_index(self) -> int | None:
        """Rebuild the index from the store when it holds fewer articles than the store says were
        indexed (its directory deleted, or replaced by an old copy): a crawl must not quietly make
        an index of only its new articles. Returns how many were indexed, None when nothing was done."""
        assert self.index is not None
        stored = self.count_articles()
        waiting = self.db.execute("SELECT COUNT(DISTINCT article_id) FROM outbox WHERE indexed_at IS NULL").fetchone()[0]
        have = self.index.count()
        if have >= stored - waiting:
            return None
        logger.warning("the search index holds %d of the %d stored articles (missing or stale): rebuilding it "
                       "from the store", have, stored)
        count = rebuild(self.index, self.iter_articles())
        self.mark_indexed([outbox_id for outbox_id, _ in self.pending_index(10_000_000)])
        return count

    @contextmanager
    def _writing(self) -> Iterator[None]:
        if self.failure is not None:
            raise StoreUnavailable(self.failure)
        try:
            yield
        except (sqlite3.OperationalError, sqlite3.DatabaseError, OSError) as exc:
            if _refused_alone(exc):
                raise  # this write failed, not the disk
            self.failure = f"{self.path}: write failed: {exc}"
            raise StoreUnavailable(self.failure) from None

    def _write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with self._writing():
            return fn(*args, **kwargs)

    def save_article(self, item: dict[str, Any], urls: list[str | None],
                     done: Settled | None = None) -> UpsertResult | None:
        """Queue the article for the next batch; ``done`` is told once it is committed, or why
        it is not. A batch full or old enough is written now. With batches of one article, the
        article is written at once, and a failure raised here."""
        record = article_record(item)
        kept = [u for u in urls if u]
        if self.batch_items <= 1:
            result = self._write(self.upsert_article, record, kept)
            self.saved += 1
            _settle([(result, done)], None)
            return result
        if self.failure is not None:
            raise StoreUnavailable(self.failure)
        if not self._queue:
            self._queue_started = time.monotonic()
        self._queue.append((record, kept, done))
        if len(self._queue) >= self.batch_items or time.monotonic() - self._queue_started >= self.batch_seconds:
            self.flush()
        return None

    def flush(self) -> None:
        """Write the queued articles in one transaction, each a savepoint of it, and tell each
        one's ``done``: committed, refused alone (a constraint; the others are kept), or lost
        with the batch (the disk refused: ``failure`` is set and the crawl stops). Never raises.

        The write lock is taken here, for the few milliseconds the batch takes, never while the
        crawl waits for pages: other writers (a second scheduled crawl, the scheduler's journal)
        get their turn between batches."""
        if not self._queue:
            return
        queue, self._queue = self._queue, []
        if self.failure is not None:
            _settle([(None, done) for _, _, done in queue], self.failure)
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except (sqlite3.Error, OSError) as exc:  # locked for 30 s by another writer, or the disk
            why = f"{self.path}: write failed: {exc}"
            if not _refused_alone(exc):
                self.failure = why
            _settle([(None, done) for _, _, done in queue], why)
            return
        written: list[tuple[UpsertResult | None, Settled | None]] = []
        rest: list[tuple[UpsertResult | None, Settled | None]] = []
        for k, (record, kept, done) in enumerate(queue):
            try:
                written.append((self.upsert_article(record, kept), done))
            except (sqlite3.Error, OSError) as exc:
                if _refused_alone(exc) and self.db.in_transaction:
                    _settle([(None, done)], f"{self.path}: article refused: {exc}")  # undone alone
                    continue
                self.failure = f"{self.path}: write failed: {exc}"
                rest = [(None, d) for _, _, d in queue[k:]]
                break
        committed = False
        if self.db.in_transaction:  # else SQLite rolled the batch back with the failed write
            try:
                self.db.execute("COMMIT")  # after a refused write, what the batch holds may still fit
                committed = True
            except (sqlite3.Error, OSError) as exc:
                self.failure = self.failure or f"{self.path}: write failed: {exc}"
                self._rollback()
        if committed:
            self.saved += len(written)
            _settle(written, None)
        else:
            _settle(written, self.failure or f"{self.path}: the batch was rolled back")
        _settle(rest, self.failure)

    def _rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # already rolled back by SQLite

    def touch_fetched(self, url: str) -> None:
        self._write(super().touch_fetched, url)

    def mark_seen(self, urls: list[str], source: str, outcome: str) -> None:
        self._write(super().mark_seen, urls, source, outcome)

    def quarantine(self, url: str, source: str, reason: str, title: str | None = None) -> None:
        self._write(super().quarantine, url, source, reason, title)

    def start_run(self, crawl_id: str, source: str) -> int:
        return self._write(super().start_run, crawl_id, source)

    def finish_run(self, run_id: int, **kwargs: Any) -> None:
        self._write(super().finish_run, run_id, **kwargs)

    def progress_run(self, run_id: int, **kwargs: Any) -> None:
        self._write(super().progress_run, run_id, **kwargs)

    def close_stale_runs(self) -> int:
        return self._write(super().close_stale_runs)

    def mark_indexed(self, outbox_ids: list[int]) -> None:
        self._write(super().mark_indexed, outbox_ids)

    def save_sketches(self, rows: list[tuple[str, str, bytes | None]]) -> None:
        self._write(super().save_sketches, rows)

    def sync_index(self) -> int | None:
        self.flush()  # the index takes only committed articles
        if self.index is None or self.failure is not None:
            return None
        try:
            return sync_outbox(self, self.index)
        except StoreUnavailable:
            return None  # the store's own failure stops the crawl; the outbox keeps the rest
        except (IndexError_, ValueError, OSError) as exc:  # tantivy reports its I/O errors as ValueError
            # the index could not take them (its disk is full too, or it broke): the outbox
            # keeps them for the next crawl or `newsmon reindex`
            logger.warning("index unavailable, articles are stored and will be indexed later: %s", exc)
            self.index = None
            return None

    def close(self) -> None:
        self.flush()  # what the crawl's store step left queued (it flushes when the spider closes)
        try:
            if self.index is not None:
                self.index.close()
        except (IndexError_, ValueError, OSError) as exc:
            logger.warning("index not closed cleanly; `newsmon reindex` rebuilds it: %s", exc)
        finally:
            super().close()


def _settle(batch: list[tuple[UpsertResult | None, Settled | None]], why: str | None) -> None:
    for result, done in batch:
        if done is not None:
            done(result, why)


def _refused_alone(exc: BaseException) -> bool:
    """A write that failed on its own (a constraint refused it, or another writer held the lock
    too long), not because the disk refuses every write."""
    return isinstance(exc, sqlite3.IntegrityError) or (isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc))
