"""Incremental crawling: what a second crawl fetches again, and what it leaves alone."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from newsmon.demo import demo_sources
from tests.conftest import FAST, Served, run_newsmon, write_sources


def _crawl(sources: Path, data: Path) -> dict:
    out = run_newsmon("crawl", "--sources", str(sources), "--data", str(data), "--max-age", "0", "--json", *FAST)
    assert out.code == 0, out.stderr
    runs = json.loads(run_newsmon("runs", "--data", str(data), "--json", "--limit", "1").stdout)
    return runs[0]["stats"]


def test_an_article_updated_since_its_fetch_is_fetched_again(sample_site: Served, tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "s.yaml", [s for s in demo_sources(sample_site.url)
                                                  if s["name"] == "sample-steppe-ru"])
    data = tmp_path / "data"
    first = _crawl(sources, data)
    assert first["new"] >= 3
    # pretend one article was fetched long ago: its feed date is now newer than our copy
    with closing(sqlite3.connect(data / "newsmon.db")) as db, db:  # closed, and committed
        db.execute("UPDATE articles SET fetched_at = '2000-01-01T00:00:00Z' WHERE rowid = "
                   "(SELECT MIN(rowid) FROM articles)")
    second = _crawl(sources, data)
    assert second["refetch/updated"] == 1 and second["articles_fetched"] == 1
    assert second["skipped/known"] == first["new"] - 1
    assert "new" not in second  # same text: updated in place, not duplicated
    with closing(sqlite3.connect(data / "newsmon.db")) as db:
        assert db.execute("SELECT COUNT(*) FROM articles WHERE fetched_at < '2001'").fetchone()[0] == 0
