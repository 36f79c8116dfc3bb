"""End to end: real `newsmon crawl` processes over HTTP against the sample news site.

One full crawl of every sample outlet (each discovered a different way) plus the hostile one is
shared by the module; each test then asserts what a user would check: what is stored, with
which dates and text, what `newsmon search` finds, what `runs` and `export` say, and that a
second crawl fetches nothing it already has.
"""

from __future__ import annotations

import csv
import io
import json
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsmon.demo import demo_max_age, demo_sources
from newsmon.sample_site.catalog import OUTLETS, load_articles
from tests.conftest import FAST, ROOT, Result, Served, run_newsmon, write_sources

# Outlets whose every current article is listed by the discovery method the demo uses for them
# (feeds and sitemaps list all; site search and sections only what matches or is linked).
COMPLETE_DISCOVERY = {"atlas-ar", "atlas-fr", "levant-ar", "steppe-ru", "steppe-kk", "steppe-en"}
BOILERPLATE = ["اترك تعليقاً", "LAISSER UN COMMENTAIRE", "Leave a Reply", "زر الذهاب إلى الأعلى", "مقالات ذات صلة",
               "Publicité", "Lire aussi", "اقرأ أيضا", "Читайте также", "Leggi anche", "Lea también", "cookies"]


class Crawl:
    def __init__(self, data: Path, result: Result):
        self.data = data
        self.result = result

    def newsmon(self, *args: str) -> Result:
        return run_newsmon(*args, "--data", str(self.data))

    def export(self) -> list[dict]:
        out = self.newsmon("export")
        assert out.code == 0, out.stderr
        return [json.loads(line) for line in out.stdout.splitlines()]

    def runs(self) -> list[dict]:
        out = self.newsmon("runs", "--json")
        assert out.code == 0, out.stderr
        return json.loads(out.stdout)


@pytest.fixture(scope="module")
def sources_file(sample_site: Served, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sources(tmp_path_factory.mktemp("cfg") / "sources.yaml", demo_sources(sample_site.url))


@pytest.fixture(scope="module")
def crawl(sources_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    data = tmp_path_factory.mktemp("crawl") / "data"
    result = run_newsmon("crawl", "--sources", str(sources_file), "--data", str(data),
                         "--max-age", str(demo_max_age()), "--json", *FAST)
    return Crawl(data, result)


def expected_articles(outlets: set[str]) -> dict[str, dict]:
    return {a.title: a.expected() for a in load_articles()
            if a.outlet in outlets and a.relevant and not a.archive}


def test_crawl_succeeds_with_a_summary_per_source(crawl: Crawl) -> None:
    assert crawl.result.code == 0, crawl.result.stderr
    summary = {row["source"]: row for row in json.loads(crawl.result.stdout)}
    assert set(summary) == {f"sample-{name}" for name in OUTLETS}
    for name, row in summary.items():
        assert row["status"] in ("ok", "partial"), row
        assert row["pages"] > 0 and row["new"] > 0, row
    assert summary["sample-hostile"]["errors"] >= 4  # 404, 500, redirect loop, 20 MB page
    assert summary["sample-hostile"]["status"] == "partial"


def test_every_relevant_article_is_stored_once_and_nothing_else(crawl: Crawl) -> None:
    stored = crawl.export()
    by_title = {a["title"]: a for a in stored}
    assert len(by_title) == len(stored), "an article was stored twice"
    expected = expected_articles(COMPLETE_DISCOVERY)
    for title in expected:
        assert title in by_title, f"missing: {title}"
    irrelevant = {a.title for a in load_articles() if not a.relevant}
    assert not irrelevant & set(by_title), "an off-topic article was stored"
    assert all(a["relevant"] and a["topics"] == ["morocco-kazakhstan"] and a["matched_terms"] for a in stored)
    # search- and section-discovered outlets found their relevant articles too
    for outlet in ("nova-it", "mundo-es"):
        assert any(a["source"] == f"sample-{outlet}" for a in stored), outlet


def test_stored_articles_have_right_dates_language_and_clean_text(crawl: Crawl) -> None:
    expected = expected_articles(set(OUTLETS))
    stored = {a["title"]: a for a in crawl.export()}
    checked = 0
    for title, want in expected.items():
        got = stored.get(title)
        if got is None:
            continue
        checked += 1
        assert got["lang"] == want["lang"], title
        assert got["published_utc"] == want["published_at"], (title, got["date_source"])
        if len(want["published_at"]) > 10:  # the stored local time is the same instant
            assert datetime.fromisoformat(got["published_at"]) == datetime.fromisoformat(want["published_at"]), title
        assert got["text"].strip(), title
        for junk in BOILERPLATE:
            assert junk not in got["text"], (title, junk)
        assert got["fetched_at"].endswith("Z") and got["canonical_url"].startswith("http://127.0.0.1:")
    assert checked >= 15


def test_hostile_pages_are_counted_not_stored(crawl: Crawl) -> None:
    (run,) = [r for r in crawl.runs() if r["source"] == "sample-hostile"]
    stats = run["stats"]
    assert stats["error/http_404"] == 1 and stats["error/http_500"] == 1
    assert stats["error/redirect_loop"] == 1 and stats["error/too_large"] == 1
    assert stats["skipped/robots"] == 1 and stats["skipped/non_html"] == 1
    assert stats["dropped/not_an_article_challenge"] == 1 and stats["dropped/not_an_article_not_found"] == 1
    urls = {a["url"] for a in crawl.export()}
    assert not any(u.endswith(("/private/secret", "/consent", "/soft404", "/huge", ".pdf")) for u in urls)
    # a page with no declared charset (windows-1256) and a malformed one still come out right
    titles = {a["title"] for a in crawl.export() if a["source"] == "sample-hostile"}
    assert "Broken markup cannot hide a story about Morocco and Kazakhstan" in titles
    assert any("المغرب" in t or "مغربية" in t for t in titles)


def test_age_window_skips_archive_entries_before_fetching(crawl: Crawl) -> None:
    runs = {r["source"]: r["stats"] for r in crawl.runs()}
    assert runs["sample-atlas-ar"].get("skipped/too_old", 0) >= 2  # feed entries: skipped unfetched
    # search and section results carry no date until fetched: dropped once dated
    assert runs["sample-nova-it"].get("dropped/too_old", 0) + runs["sample-mundo-es"].get("dropped/too_old", 0) >= 1
    archive = {a.title for a in load_articles() if a.archive}
    assert not archive & {a["title"] for a in crawl.export()}


@pytest.mark.parametrize(
    ("query", "lang"),
    [("Kazakhstan", "fr"), ("كازاخستان", "ar"), ("Казахстан", "ru"), ("Қазақстан", "kk"),
     ("Kazakistan", "it"), ("Kazakhstan", "en"), ("Kazajistán", "es")],
)
def test_search_finds_articles_in_every_language(crawl: Crawl, query: str, lang: str) -> None:
    out = crawl.newsmon("search", query, "--lang", lang, "--json")
    assert out.code == 0, out.stderr
    hits = json.loads(out.stdout)
    assert hits, f"no {lang} hit for {query}"
    for hit in hits:
        assert hit["lang"] == lang and hit["url"] and hit["title"] and hit["score"] > 0
        # the snippet marks the match, unless only the title matched
        assert ("«" in hit["snippet"] and "<mark>" in hit["snippet_html"]) or query.lower() in hit["title"].lower()


def test_search_table_and_filters(crawl: Crawl) -> None:
    table = crawl.newsmon("search", "Kazakhstan OR Казахстан", "--since", "2025-01-01", "--limit", "5")
    assert table.code == 0 and table.stdout.splitlines()[0].startswith("score\tpublished")
    assert 1 <= len(table.stdout.splitlines()) - 1 <= 5
    none = crawl.newsmon("search", "Kazakhstan", "--until", "1999-12-31", "--json")
    assert json.loads(none.stdout) == []
    typo = crawl.newsmon("search", "Kazakhstan", "--source", "sample-atlas-frr")
    assert typo.code == 0 and "no stored article comes from a source named 'sample-atlas-frr'" in typo.stderr
    bad = crawl.newsmon("search", "x", "--since", "yesterday")
    assert bad.code == 2 and "YYYY-MM-DD" in bad.stderr


def test_export_formats(crawl: Crawl) -> None:
    rows = crawl.export()
    required = {"id", "url", "canonical_url", "source", "title", "text", "lang", "published_at", "date_source",
                "fetched_at", "relevant", "topics", "matched_terms"}
    assert rows and all(required <= set(r) for r in rows)
    out = crawl.newsmon("export", "--format", "csv")
    parsed = list(csv.DictReader(io.StringIO(out.stdout)))
    assert len(parsed) == len(rows) and json.loads(parsed[0]["topics"]) == rows[0]["topics"]
    recent = crawl.newsmon("export", "--since", "2025-06-01")
    assert 0 < len(recent.stdout.splitlines()) < len(rows)


def test_second_crawl_is_incremental(crawl: Crawl, sources_file: Path) -> None:
    before = len(crawl.export())
    again = run_newsmon("crawl", "--sources", str(sources_file), "--data", str(crawl.data),
                        "--max-age", str(demo_max_age()), "--json", *FAST)
    assert again.code == 0, again.stderr
    summary = {row["source"]: row for row in json.loads(again.stdout)}
    assert all(row["new"] == 0 for row in summary.values())
    latest = {r["source"]: r["stats"] for r in crawl.runs()[: len(summary)]}
    for outlet in COMPLETE_DISCOVERY:
        stats = latest[f"sample-{outlet}"]
        assert stats.get("articles_fetched", 0) == 0, (outlet, stats)  # nothing stored was fetched again
        assert stats["skipped/known"] > 0
    assert len(crawl.export()) == before


def test_reindex_rebuilds_the_same_search(crawl: Crawl) -> None:
    before = json.loads(crawl.newsmon("search", "Kazakhstan", "--json").stdout)
    out = crawl.newsmon("reindex")
    assert out.code == 0 and out.stdout.startswith("indexed ")
    after = json.loads(crawl.newsmon("search", "Kazakhstan", "--json").stdout)
    assert [h["id"] for h in after] == [h["id"] for h in before]


# -- bad input: one clear line, non-zero exit, nothing lost -------------------------------------

def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_source_fails_alone(sample_site: Served, tmp_path: Path) -> None:
    good = [s for s in demo_sources(sample_site.url) if s["name"] == "sample-steppe-ru"]
    port = _closed_port()
    dead = {**good[0], "name": "dead-site", "feeds": [f"http://127.0.0.1:{port}/feed/", f"http://127.0.0.1:{port}/atom"],
            "sitemaps": [f"http://127.0.0.1:{port}/sitemap.xml"], "search": [f"http://127.0.0.1:{port}/?s={{query}}"]}
    sources = write_sources(tmp_path / "s.yaml", good + [dead])
    out = run_newsmon("crawl", "--sources", str(sources), "--data", str(tmp_path / "d"), "--max-age", "0", "--json", *FAST)
    assert out.code == 1
    failed = [line for line in out.stderr.splitlines() if line.startswith("newsmon: source")]
    assert failed == [line for line in failed if "dead-site" in line] and len(failed) == 1
    summary = {r["source"]: r for r in json.loads(out.stdout)}
    assert summary["dead-site"]["status"] == "failed" and summary["sample-steppe-ru"]["new"] > 0
    # a dead host costs one error and one log line, not one per URL (its other URLs are not tried)
    assert summary["dead-site"]["errors"] == 1 and summary["dead-site"]["skipped"] >= 3
    (dead_run,) = [r for r in json.loads(run_newsmon("runs", "--json", "--data", str(tmp_path / "d")).stdout)
                   if r["source"] == "dead-site"]
    assert dead_run["stats"]["error/connection_refused"] == 1
    assert dead_run["stats"].get("skipped/unreachable", 0) >= 1  # requests never sent, once the host was judged
    # one line on stderr for the dead source, naming the URL and the reason
    assert [line for line in out.stderr.splitlines() if "dead-site" in line] == failed
    assert f"127.0.0.1:{port}" in failed[0] and "refused" in failed[0]


def test_unknown_source_is_one_line(sources_file: Path, tmp_path: Path) -> None:
    out = run_newsmon("crawl", "--sources", str(sources_file), "--source", "nope", "--data", str(tmp_path))
    assert out.code == 2
    assert out.stderr.strip().count("\n") == 0 and "unknown source 'nope'" in out.stderr


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("sources:\n  - name: a\n    language: fr\n    feeds: [http://x/feed\n", encoding="utf-8")
    out = run_newsmon("crawl", "--sources", str(bad), "--data", str(tmp_path / "d"))
    assert out.code == 2 and f"{bad}:5" in out.stderr and "invalid YAML" in out.stderr
    typo = tmp_path / "t.yaml"
    typo.write_text("sources:\n  - name: a\n    language: fr\n    fedds: [http://x/feed]\n", encoding="utf-8")
    out = run_newsmon("crawl", "--sources", str(typo), "--data", str(tmp_path / "d"))
    assert out.code == 2 and f"{typo}:4" in out.stderr and "fedds" in out.stderr


def test_unwritable_data_dir(sources_file: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = run_newsmon("crawl", "--sources", str(sources_file), "--data", str(blocker / "data"))
    assert out.code == 2 and out.stderr.startswith("newsmon: error:") and out.stderr.count("\n") == 1


def test_commands_on_an_empty_data_dir_explain(tmp_path: Path) -> None:
    for args in (["search", "x"], ["export"], ["runs"]):
        out = run_newsmon(*args, "--data", str(tmp_path / "empty"))
        assert out.code == 2 and "newsmon demo" in out.stderr, args


class _HeldPage(BaseHTTPRequestHandler):
    """Serves one section page, but only once the test says so; tells the test when it is asked."""

    asked: threading.Event
    release: threading.Event

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        if self.path != "/news/":
            self.send_error(404)
            return
        self.asked.set()
        self.release.wait(60)
        body = b"<html><head><title>News</title></head><body><p>Nothing new.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def held_page() -> Iterator[tuple[str, threading.Event, threading.Event]]:
    asked, release = threading.Event(), threading.Event()
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Held", (_HeldPage,), {"asked": asked, "release": release}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/news/", asked, release
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_interrupted_crawl_exits_130_and_its_run_is_marked_interrupted(held_page, tmp_path: Path) -> None:
    # No timing guesses: Ctrl-C is sent once the crawl's request has reached the server (which
    # holds the answer), and the answer is let go only once the crawl has logged the signal.
    url, asked, release = held_page
    sources = write_sources(tmp_path / "s.yaml", [{"name": "held", "language": "en", "sections": [url]}])
    err_lines: list[str] = []
    signal_logged = threading.Event()
    with subprocess.Popen([sys.executable, "-m", "newsmon.cli", "crawl", "--sources", str(sources), "--data",
                           str(tmp_path / "d"), "--json", "-v", *FAST, "-s", "DOWNLOAD_TIMEOUT=60"], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:

        def read_stderr() -> None:
            for line in proc.stderr:
                err_lines.append(line)
                if "Received SIGINT" in line:
                    signal_logged.set()

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        try:
            assert asked.wait(120), "the crawl never requested the page"
            proc.send_signal(signal.SIGINT)
            assert signal_logged.wait(60), "the crawl did not acknowledge Ctrl-C"
            release.set()  # Scrapy lets the page in flight finish, then stops
            out = proc.stdout.read()
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
            reader.join(10)  # before the pipes close on leaving the block
    err = "".join(err_lines)
    assert proc.returncode == 130, err
    assert "crawl interrupted" in err
    assert [r["status"] for r in json.loads(out)] == ["interrupted"]
    (run,) = json.loads(run_newsmon("runs", "--json", "--data", str(tmp_path / "d")).stdout)
    assert run["status"] == "interrupted" and run["source"] == "held"


@pytest.mark.parametrize(("setting", "message"), [
    ("NOSUCH_SETTING=1", "no such setting"), ("DOWNLOAD_TIMEOUT=abc", "expected a number"),
    ("ROBOTSTXT_OBEY=maybe", "expected true or false"), ("lowercase=1", "upper-case"),
])
def test_bad_setting_overrides_are_refused_before_crawling(sources_file: Path, tmp_path: Path,
                                                           setting: str, message: str) -> None:
    out = run_newsmon("crawl", "--sources", str(sources_file), "--data", str(tmp_path / "d"), "-s", setting)
    assert out.code == 2 and message in out.stderr
    assert not (tmp_path / "d").exists()  # refused before anything was written
