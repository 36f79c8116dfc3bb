"""The crawl's writer commits articles in batches, each article a savepoint of its batch.

What a user relies on: an article counted stored is in the database; one article refused is
counted alone and the others of its batch are kept; a crawl killed mid-batch leaves none of that
batch's articles half there (no row, no URL marked known, no outbox event), so the next crawl
fetches them again; readers see a batch once it is committed; another writer (a second scheduled
crawl) is never locked out while a crawl waits for pages.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.itempipelines import StorePipeline
from newsmon.sink import CrawlSink
from newsmon.store import Store
from pipelines.dedupe import article_id
from pipelines.items import Article
from tests.conftest import ROOT


def article(n: int, text: str = "Le Maroc et le Kazakhstan signent un accord. ") -> Article:
    url = f"https://a.ma/{n}"
    return Article(url=url, canonical_url=url, id=article_id(url), source="s", title=f"Titre {n}", text=text * 3,
                   fetched_at="2025-01-01T00:00:00Z", relevant=True, lang="fr")


def stored_count(data: Path) -> int:
    with closing(sqlite3.connect(f"file:{data / 'newsmon.db'}?mode=ro", uri=True)) as db:
        return db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


def pipeline_on(sink: CrawlSink, items: int = 100) -> StorePipeline:
    pipeline = StorePipeline(sink, MemoryStatsCollector(get_crawler()), batch_items=items, batch_seconds=3600)
    pipeline.open_spider()
    return pipeline


def test_a_batch_is_seen_by_readers_once_committed_and_counted_then(tmp_path: Path) -> None:
    sink = CrawlSink(tmp_path)
    pipeline = pipeline_on(sink, items=3)
    try:
        for n in range(2):
            pipeline.process_item(article(n))
        assert stored_count(tmp_path) == 0  # the batch is not written yet: nobody sees it
        assert pipeline.stats.get_value("newsmon/source/s/stored") is None  # nor is it counted
        # and the write lock is free meanwhile: another writer gets it at once
        with closing(sqlite3.connect(tmp_path / "newsmon.db", timeout=0, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        pipeline.process_item(article(2))  # the batch is full: written and committed now
        assert stored_count(tmp_path) == 3
        assert pipeline.stats.get_value("newsmon/source/s/stored") == 3
        pipeline.process_item(article(3))
        pipeline.close_spider()  # the last, partial batch
        assert stored_count(tmp_path) == 4
        assert pipeline.stats.get_value("newsmon/source/s/new") == 4
        assert sink.saved == 4
    finally:
        sink.close()


def test_one_refused_article_is_counted_alone_and_the_batch_keeps_the_others(tmp_path: Path) -> None:
    sink = CrawlSink(tmp_path)
    # a constraint that refuses one article (as a damaged or hostile value would)
    sink.db.execute("CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.title = 'Titre 1' "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    pipeline = pipeline_on(sink)
    try:
        for n in range(3):
            pipeline.process_item(article(n))
        pipeline.close_spider()
        assert sink.failure is None  # one refused article does not stop the crawl
        assert not pipeline.stopping
    finally:
        sink.close()
    with Store(tmp_path, readonly=True) as store:
        assert store.count_articles() == 2
        assert store.known_url("https://a.ma/1") is None  # not marked known: the next crawl fetches it again
        assert store.known_url("https://a.ma/0") and store.known_url("https://a.ma/2")
        assert len(store.pending_index(10)) == 2  # one outbox event per stored article, none for the refused
    assert pipeline.stats.get_value("newsmon/source/s/stored") == 2
    assert pipeline.stats.get_value("newsmon/source/s/errors") == 1
    assert pipeline.stats.get_value("newsmon/source/s/dropped/store_failed") == 1
    assert pipeline.stats.get_value("newsmon/store/error") == 1


def test_a_full_disk_mid_batch_counts_every_article_stored_or_failed_as_it_is(tmp_path: Path) -> None:
    from scrapy.exceptions import DropItem

    sink = CrawlSink(tmp_path)
    pipeline = pipeline_on(sink)
    try:
        for n in range(3):
            pipeline.process_item(article(n))
        pages = sink.db.execute("PRAGMA page_count").fetchone()[0]
        sink.db.execute(f"PRAGMA max_page_count = {pages + 1}")  # the disk fills up now
        pipeline.process_item(article(3, text="Le Maroc et le Kazakhstan. " * 3000))
        pipeline._flush()  # the timer's turn: the batch is written, and the fourth does not fit
        assert sink.failure is not None and "full" in sink.failure
        assert pipeline.stopping  # the crawl stops: later pages could not be kept
        try:  # an article that comes after the failure is refused at once, with the reason
            pipeline.process_item(article(4))
        except DropItem as exc:
            assert "full" in str(exc)
        else:
            raise AssertionError("after a failed write, the store must refuse the next article")
        pipeline.close_spider()
    finally:
        sink.close()
    stats = pipeline.stats
    stored = stats.get_value("newsmon/source/s/stored", 0)
    lost = stats.get_value("newsmon/source/s/dropped/store_failed", 0)
    # whatever SQLite kept of the batch, the counters say exactly that
    assert stored_count(tmp_path) == stored == sink.saved
    assert stored + lost == 4 and lost >= 1
    assert stats.get_value("newsmon/store/error") == lost + 1  # and the fifth, refused at once
    assert stats.get_value("newsmon/store/failure")


KILLED = """
import os, signal, sys
sys.path.insert(0, {root!r})
from newsmon.sink import CrawlSink
from tests.test_store_batches import article
sink = CrawlSink({data!r}, batch_items=100, batch_seconds=3600)
sink.save_article(article(0), ["https://a.ma/0"])
sink.flush()
for n in (1, 2, 3):
    sink.save_article(article(n), ["https://a.ma/" + str(n), "https://a.ma/" + str(n) + "?utm_source=feed"])
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_crawl_killed_mid_batch_leaves_nothing_of_it_marked(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = subprocess.run([sys.executable, "-c", KILLED.format(root=str(ROOT), data=str(data))], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    with Store(data, readonly=True) as store:
        assert store.count_articles() == 1
        assert store.known_url("https://a.ma/0")
        for n in (1, 2, 3):  # neither stored nor known: the next crawl fetches them again
            assert store.known_url(f"https://a.ma/{n}") is None
            assert store.known_url(f"https://a.ma/{n}?utm_source=feed") is None
        assert [article_id for _, article_id in store.pending_index(10)] == [article(0)["id"]]
    assert not os.path.exists(data / "newsmon.db-journal")
