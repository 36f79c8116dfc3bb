"""Hostile disks: a full disk, a read-only data directory or a damaged database give one clear
line and a non-zero exit; nothing reported stored is lost, and nothing is fetched for nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

from newsmon.store import Store
from tests.conftest import run_newsmon
from tests.hostile.measure import crawl
from tests.hostile.pages import NOW, article, rss
from tests.hostile.server import Reply, serving

ARTICLES = 300


def news_site(path: str, query: dict[str, str]) -> Reply:
    if path == "/feed.xml":
        return Reply(rss((f"/news/{i}.html", f"Story {i}", NOW) for i in range(ARTICLES)),
                     content_type="application/rss+xml")
    if path.startswith("/news/"):
        return Reply(article(int(path.rsplit("/", 1)[1].split(".")[0])))
    return Reply(b"not found", status=404)


def test_a_full_disk_stops_the_crawl_with_one_line_and_loses_nothing(tmp_path: Path) -> None:
    Store(tmp_path / "data").close()  # the empty store: the disk fills during the crawl
    db_size = (tmp_path / "data" / "newsmon.db").stat().st_size
    with serving(news_site) as site:
        source = [{"name": "full", "language": "en", "feeds": [site.url + "/feed.xml"]}]
        out = crawl(source, tmp_path, "--keep-all", "-s", "CONCURRENT_REQUESTS=4",
                    max_file_bytes=db_size + 300_000, deadline=90)
        fetched_when_full = site.count("/news/")
        assert not out.killed
        assert out.code == 1, (out.code, out.stderr[-2000:])
        assert "Traceback" not in out.stderr
        (line,) = [l for l in out.stderr.splitlines() if l.startswith("newsmon: error:")]
        assert "newsmon.db: write failed" in line and "crawl again" in line
        stored = int(re.search(r"The (\d+) articles? it stored are kept", line).group(1))
        print(f"full disk: stopped after {stored} stored, {fetched_when_full} fetched, {out.seconds:.1f} s")
        assert 0 < stored < ARTICLES
        # it stopped at the first failed write, not after fetching everything
        assert fetched_when_full < ARTICLES - 50, fetched_when_full
        with Store(tmp_path / "data", readonly=True) as store:
            assert store.count_articles() == stored  # all that it said it stored, readable
        exported = run_newsmon("export", "--data", str(tmp_path / "data"))
        assert exported.code == 0 and len(exported.stdout.splitlines()) == stored

        # space again: the next crawl fetches the rest, and nothing is missing or twice
        again = crawl(source, tmp_path, "--keep-all", deadline=90)
    assert again.code == 0, again.stderr
    with Store(tmp_path / "data", readonly=True) as store:
        assert store.count_articles() == ARTICLES
        assert {r["status"] for r in store.runs()} <= {"ok", "failed", "interrupted"}
    hits = json.loads(run_newsmon("search", "", "--data", str(tmp_path / "data"), "--limit", "1000",
                                  "--json").stdout)
    assert len(hits) == ARTICLES  # the index caught up with the store
