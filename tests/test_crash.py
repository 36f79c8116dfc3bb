"""A crawl killed mid-way loses nothing it had stored, and the next crawl repairs the rest."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from newsmon.demo import demo_max_age, demo_sources
from newsmon.store import Store
from tests.conftest import FAST, ROOT, Served, run_newsmon, write_sources


def test_killed_crawl_is_marked_interrupted_and_repaired(sample_site: Served, tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "s.yaml", demo_sources(sample_site.url))
    # the first crawl also waits on a page that answers only after 30 s: it cannot finish
    # before the kill, however fast the machine
    hanging = write_sources(tmp_path / "h.yaml", demo_sources(sample_site.url) + [
        {"name": "hanging", "language": "en", "sections": [f"{sample_site.url}/hostile/slow?delay=30"]}])
    data = tmp_path / "data"
    args = ["crawl", "--sources", str(sources), "--data", str(data), "--max-age", str(demo_max_age()), "--json", *FAST]
    first = ["crawl", "--sources", str(hanging), *args[3:], "-s", "DOWNLOAD_TIMEOUT=60"]
    proc = subprocess.Popen([sys.executable, "-m", "newsmon.cli", *first], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = data / "newsmon.db"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until some articles are stored, then kill hard
        time.sleep(0.05)
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                if conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] >= 3:
                    break
        except sqlite3.Error:
            continue
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store(data, readonly=True) as store:
        stored_before = store.count_articles()
        assert stored_before >= 3
        assert {r["status"] for r in store.runs()} == {"running"}  # died before it could say otherwise

    again = run_newsmon(*args)
    assert again.code == 0, again.stderr
    with Store(data, readonly=True) as store:
        runs = store.runs(limit=1000)
        killed = {r["crawl_id"] for r in runs if r["source"] == "hanging"}
        assert {r["status"] for r in runs if r["crawl_id"] in killed} == {"interrupted"}
        assert {r["status"] for r in runs if r["crawl_id"] not in killed} <= {"ok", "partial"}
        assert not store.pending_index(10)  # the outbox was drained: index and store agree
        total = store.count_articles()
    assert total >= stored_before
    hits = json.loads(run_newsmon("search", "", "--data", str(data), "--limit", "1000", "--json").stdout)
    assert len(hits) == total  # every stored article is searchable, none twice


def test_full_disk_drops_the_article_and_counts_it(tmp_path: Path) -> None:
    from scrapy.exceptions import DropItem
    from scrapy.statscollectors import MemoryStatsCollector
    from scrapy.utils.test import get_crawler

    from crawler.itempipelines import StorePipeline
    from newsmon.sink import CrawlSink
    from pipelines.items import Article

    sink = CrawlSink(tmp_path)
    sink.db.execute("PRAGMA max_page_count = 1")  # the database can no longer grow
    pipeline = StorePipeline(sink, MemoryStatsCollector(get_crawler()))
    item = Article(url="https://a.ma/x", canonical_url="https://a.ma/x", id="x1", source="s", title="T",
                   text="Le Maroc et le Kazakhstan. " * 2000, fetched_at="2025-01-01T00:00:00Z", relevant=True)
    try:
        pipeline.process_item(item)
    except DropItem as exc:
        assert "full" in str(exc)
    else:
        raise AssertionError("a full database must drop the item with a clear reason")
    assert pipeline.stats.get_value("newsmon/store/error") == 1
    assert pipeline.stats.get_value("newsmon/source/s/errors") == 1
    sink.close()
