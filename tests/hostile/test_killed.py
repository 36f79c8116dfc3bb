"""Low: a crawl killed with SIGKILL leaves its runs with the counters it had reached, not zeros."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, run_newsmon
from tests.hostile.measure import FAST, write_sources
from tests.hostile.pages import NOW, article, rss
from tests.hostile.server import Reply, serving


def _stored(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def test_a_killed_crawl_keeps_its_counters(tmp_path: Path) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/feed.xml":
            return Reply(rss([(f"/news/{i}.html", f"Story {i}", NOW) for i in range(20)] + [("/slow", "slow", NOW)]),
                         content_type="application/rss+xml")
        if path == "/slow":
            time.sleep(20)  # the crawl cannot finish before the kill
            return Reply(article(99))
        if path.startswith("/news/"):
            return Reply(article(int(path.rsplit("/", 1)[1].split(".")[0])))
        return Reply(b"not found", status=404)

    data = tmp_path / "data"
    with serving(route) as site:
        sources = write_sources(tmp_path / "s.yaml", [{"name": "news", "language": "en",
                                                       "feeds": [site.url + "/feed.xml"]}])
        proc = subprocess.Popen([sys.executable, "-m", "newsmon.cli", "crawl", "--sources", str(sources), "--data",
                                 str(data), "--keep-all", "--max-age", "0", *FAST, "-s", "DOWNLOAD_TIMEOUT=60",
                                 "-s", "NEWSMON_RUN_SAVE_SECONDS=0.2"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _stored(data / "newsmon.db") < 20:
            time.sleep(0.1)
        time.sleep(1)  # the counters are saved every 0.2 s
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    (run,) = json.loads(run_newsmon("runs", "--json", "--data", str(data)).stdout)
    assert run["status"] in ("running", "interrupted")
    assert run["pages_fetched"] >= 21 and run["articles_stored"] == 20, run  # the feed and the 20 articles
