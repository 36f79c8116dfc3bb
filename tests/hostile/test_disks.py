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

ARTICLES = 150


def news_site(path: str, query: dict[str, str], articles: int = ARTICLES) -> Reply:
    if path == "/feed.xml":
        return Reply(rss((f"/news/{i}.html", f"Story {i}", NOW) for i in range(articles)),
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
                    max_file_bytes=db_size + 150_000, deadline=90)
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
        assert fetched_when_full < ARTICLES - 30, fetched_when_full
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


def _one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr[-3000:]
    (line,) = [l for l in stderr.splitlines() if l.startswith("newsmon: error:")]
    return line


def test_a_damaged_database_is_refused_in_one_line_and_left_untouched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serving(lambda path, query: news_site(path, query, 30)) as site:
        source = [{"name": "news", "language": "en", "feeds": [site.url + "/feed.xml"]}]
        first = crawl(source, tmp_path, "--keep-all", deadline=90)
        assert first.code == 0, first.stderr
        db = data / "newsmon.db"
        run_newsmon("runs", "--data", str(data))  # a reader: the WAL is checkpointed on the last close
        raw = bytearray(db.read_bytes())
        page = 4096
        middle = (len(raw) // page // 2) * page
        raw[middle:middle + 2 * page] = b"\x5a" * (2 * page)  # two pages in the middle are garbage now
        db.write_bytes(bytes(raw))
        before = db.read_bytes()

        again = crawl(source, tmp_path, "--keep-all", deadline=90)
        assert again.code == 2
        line = _one_error_line(again.stderr)
        assert "the database is damaged" in line and ".recover" in line
        assert db.read_bytes() == before  # nothing was written into the damaged file
        assert site.count("/news/") == 30  # and nothing fetched for it

    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "newsmon.db").write_bytes(b"this is no database " * 500)
    for args in (["runs"], ["export"], ["crawl", "--sources", str(tmp_path / "sources.yaml")]):
        out = run_newsmon(*args, "--data", str(garbage))
        assert out.code == 2, (args, out.stderr)
        assert "not a database" in _one_error_line(out.stderr), args


def test_a_deleted_index_is_rebuilt_from_the_store_by_the_next_crawl(tmp_path: Path) -> None:
    import shutil

    data = tmp_path / "data"
    listed = {"count": 40}

    def growing_site(path: str, query: dict[str, str]) -> Reply:
        if path == "/feed.xml":
            return Reply(rss((f"/news/{i}.html", f"Story {i}", NOW) for i in range(listed["count"])),
                         content_type="application/rss+xml")
        return news_site(path, query)

    def searchable() -> int:
        out = run_newsmon("search", "", "--data", str(data), "--limit", "1000", "--json")
        assert out.code == 0, out.stderr
        return len(json.loads(out.stdout))

    with serving(growing_site) as site:
        source = [{"name": "news", "language": "en", "feeds": [site.url + "/feed.xml"]}]
        assert crawl(source, tmp_path, "--keep-all").code == 0
        assert searchable() == 40
        shutil.rmtree(data / "index")
        (data / "index").mkdir()  # an empty index in its place: `search` says so and names the repair
        stale = run_newsmon("search", "", "--data", str(data), "--json")
        assert stale.code == 0 and "holds 0 of the 40 stored articles" in stale.stderr
        assert "newsmon reindex" in stale.stderr
        listed["count"] = 45
        again = crawl(source, tmp_path, "--keep-all")
    assert again.code == 0, again.stderr
    assert "search index holds 0 of the 40 stored articles" in again.stderr
    assert searchable() == 45  # not just the 5 new ones
