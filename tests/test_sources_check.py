"""``newsmon sources check`` against servers on 127.0.0.1: what each URL answered, and failures as rows.

A small site is served here from dicts (feeds, a sitemap index with a gzip child, a Google News
sitemap, robots.txt, a 404, a slow page), so every expected number is written next to the bytes
that produce it. A closed port stands for an unreachable outlet.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from newsmon import sourcecheck
from newsmon.cli import main
from newsmon.config import Source

pytestmark = pytest.mark.timeout(60)

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Fixture Desk</title><link>http://desk.test/</link>
<description>Fixture feed</description>
<item><title>Rabat and Astana sign a grain corridor memorandum</title><link>{base}/2026/11/20/grain/</link>
  <pubDate>Fri, 20 Nov 2026 09:30:00 +0100</pubDate></item>
<item><title>Caspian shipping line adds a Moroccan port call</title><link>{base}/2026/11/18/shipping/</link>
  <pubDate>Wed, 18 Nov 2026 17:05:00 +0100</pubDate></item>
<item><title>Student exchange between Fes and Almaty universities</title><link>{base}/2026/11/02/students/</link>
  <pubDate>Mon, 02 Nov 2026 08:00:00 +0100</pubDate></item>
</channel></rss>
"""
RSS_NEWEST = "2026-11-20T08:30:00Z"

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>مكتب الاختبار</title><id>urn:fixture:atom</id>
<updated>2026-11-21T12:00:00+05:00</updated>
<entry><title>وفد من أستانا في الرباط</title><id>urn:fixture:1</id><link href="{base}/news/101-wafd.html"/>
  <published>2026-11-21T11:00:00+05:00</published><updated>2026-11-21T12:00:00+05:00</updated></entry>
<entry><title>معرض للصناعة التقليدية</title><id>urn:fixture:2</id><link href="{base}/news/102-maarid.html"/>
  <published>2026-11-19T10:00:00+05:00</published></entry>
</feed>
"""
ATOM_NEWEST = "2026-11-21T06:00:00Z"  # entry published dates, not <updated>

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/post-sitemap.xml.gz</loc><lastmod>2026-11-20T10:00:00+01:00</lastmod></sitemap>
<sitemap><loc>{base}/news-sitemap.xml</loc><lastmod>2026-11-22T07:45:00+01:00</lastmod></sitemap>
</sitemapindex>
"""
INDEX_NEWEST = "2026-11-22T06:45:00Z"

URLSET = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/2026/11/20/grain/</loc><lastmod>2026-11-20T10:00:00+01:00</lastmod></url>
<url><loc>{base}/2026/11/18/shipping/</loc><lastmod>2026-11-19T06:00:00+01:00</lastmod></url>
<url><loc>{base}/2026/11/02/students/</loc><lastmod>2026-11-02</lastmod></url>
<url><loc>{base}/2026/10/30/cedar/</loc><lastmod>2026-10-30T22:10:00Z</lastmod></url>
</urlset>
"""
URLSET_NEWEST = "2026-11-20T09:00:00Z"

# lastmod moves with edits; the news publication date is the article's date and must win.
NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{base}/2026/11/22/visit/</loc>
  <news:news><news:publication><news:name>Fixture Desk</news:name><news:language>fr</news:language></news:publication>
  <news:publication_date>2026-11-22T07:45:00+01:00</news:publication_date><news:title>Visite</news:title></news:news></url>
<url><loc>{base}/2026/11/21/forum/</loc>
  <news:news><news:publication><news:name>Fixture Desk</news:name><news:language>fr</news:language></news:publication>
  <news:publication_date>2026-11-21T18:00:00+01:00</news:publication_date><news:title>Forum</news:title></news:news></url>
</urlset>
"""
NEWS_NEWEST = "2026-11-22T06:45:00Z"

SEARCH_PAGE = """<!DOCTYPE html><html><head><title>Search</title></head><body>
<nav><a href="{base}/category/economie/">Économie</a><a href="{base}/">Accueil</a></nav>
<main><h1>Résultats pour : {query}</h1>
<article><h2><a href="{base}/2026/11/20/grain/">Corridor céréalier</a></h2><time datetime="2026-11-20T09:30:00+01:00">20 nov.</time></article>
<article><h2><a href="{base}/2026/11/18/shipping/">Ligne caspienne</a></h2><time datetime="2026-11-18T17:05:00+01:00">18 nov.</time></article>
</main></body></html>
"""

ROBOTS = b"User-agent: *\nDisallow: /private/\n"


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str, bytes]] = {}
    seen: list[str] = []
    slow_seconds = 3.0

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append(self.path)
        path = self.path
        if path.startswith("/slow"):
            time.sleep(self.slow_seconds)
        if path.startswith("/search?"):
            query = path.partition("s=")[2]
            route = (200, "text/html; charset=utf-8", SEARCH_PAGE.replace("{query}", query).encode())
        else:
            route = self.routes.get(path, (404, "text/html", b"<html><body>Not here</body></html>"))
        status, ctype, body = route
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class Desk:
    """The fixture site: ``url``, the paths requested so far, and ``stop()``."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Handler,), {"seen": [], "routes": {}}))
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        base = self.url.encode()
        xml = "application/xml; charset=utf-8"
        self.server.RequestHandlerClass.routes.update({
            "/robots.txt": (200, "text/plain", ROBOTS),
            "/feed/": (200, "application/rss+xml; charset=UTF-8", RSS.replace(b"{base}", base)),
            "/atom.xml": (200, "application/atom+xml", ATOM.replace("{base}", self.url).encode()),
            "/sitemap_index.xml": (200, xml, SITEMAP_INDEX.replace(b"{base}", base)),
            "/post-sitemap.xml.gz": (200, "application/x-gzip", gzip.compress(URLSET.replace(b"{base}", base))),
            "/news-sitemap.xml": (200, xml, NEWS_SITEMAP.replace(b"{base}", base)),
            "/private/feed/": (200, "application/rss+xml", RSS.replace(b"{base}", base)),
            "/page.html": (200, "text/html", b"<!DOCTYPE html><html><body><p>An ordinary page.</p></body></html>"),
        })
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def seen(self) -> list[str]:
        return self.server.RequestHandlerClass.seen

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def desk() -> Iterator[Desk]:
    site = Desk()
    yield site
    site.stop()


def closed_port_url() -> str:
    """A localhost URL nothing listens on: bind, note the port, close."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def write_sources(path: Path, base: str, dead: str) -> Path:
    path.write_text(f"""\
sources:
  - name: desk-fr
    language: fr
    timezone: Africa/Casablanca
    feeds: ["{base}/feed/", "{base}/page.html"]
    sitemaps: ["{base}/sitemap_index.xml", "{base}/post-sitemap.xml.gz", "{base}/news-sitemap.xml", "{base}/gone.xml"]
    search: ["{base}/search?s={{query}}"]
    sections: ["{base}/private/feed/"]
  - name: desk-ar
    language: ar
    timezone: Asia/Almaty
    feeds: ["{base}/atom.xml"]
  - name: dead-ru
    language: ru
    feeds: ["{dead}/rss/", "{dead}/rss/extra/"]
    sitemaps: ["{dead}/sitemap.xml"]
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def checked(desk, tmp_path_factory) -> tuple[dict[tuple[str, str], dict], float, str]:
    """One ``sources check --json`` run over the fixture registry, rows keyed by (source, path)."""
    dead = closed_port_url()
    path = write_sources(tmp_path_factory.mktemp("check") / "sources.yaml", desk.url, dead)
    started = time.monotonic()
    result = CliRunner().invoke(main, ["sources", "check", "--sources", str(path), "--json", "--timeout", "2",
                                       "--query", "Rabat Astana"])
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    keyed = {(r["source"], urlsplit(r["url"]).path): r for r in rows}
    assert len(keyed) == len(rows) == 12
    return keyed, elapsed, dead


def test_feeds_report_item_count_and_newest_date(checked):
    rows, _, _ = checked
    rss = rows[("desk-fr", "/feed/")]
    assert (rss["status"], rss["content_type"], rss["format"]) == (200, "application/rss+xml", "rss")
    assert rss["items"] == 3 and rss["newest"] == RSS_NEWEST and rss["error"] is None
    assert rss["robots"] == "allowed" and 0 <= rss["seconds"] < 2
    atom = rows[("desk-ar", "/atom.xml")]
    assert (atom["format"], atom["items"], atom["newest"], atom["error"]) == ("atom", 2, ATOM_NEWEST, None)


def test_sitemaps_index_gzip_and_news(checked):
    rows, _, _ = checked
    index = rows[("desk-fr", "/sitemap_index.xml")]
    assert (index["format"], index["items"], index["newest"]) == ("sitemapindex", 2, INDEX_NEWEST)
    gz = rows[("desk-fr", "/post-sitemap.xml.gz")]
    assert (gz["content_type"], gz["format"], gz["items"], gz["newest"]) == ("application/x-gzip", "urlset", 4, URLSET_NEWEST)
    news = rows[("desk-fr", "/news-sitemap.xml")]
    assert (news["format"], news["items"], news["newest"], news["error"]) == ("urlset", 2, NEWS_NEWEST, None)


def test_search_template_is_filled_and_results_counted(checked, desk):
    rows, _, _ = checked
    search = rows[("desk-fr", "/search")]
    assert search["url"].endswith("/search?s=Rabat+Astana")
    assert "/search?s=Rabat+Astana" in desk.seen
    assert (search["status"], search["format"], search["items"]) == (200, "html", 2)
    assert search["newest"] == "2026-11-20T08:30:00Z"


def test_http_errors_wrong_kinds_and_robots_are_rows_not_crashes(checked, desk):
    rows, _, _ = checked
    gone = rows[("desk-fr", "/gone.xml")]
    assert (gone["status"], gone["error"], gone["items"]) == (404, "HTTP 404", None)
    page = rows[("desk-fr", "/page.html")]
    assert page["status"] == 200 and page["error"] == "not a feed (text/html)"
    private = rows[("desk-fr", "/private/feed/")]
    assert private["robots"] == "disallowed" and "robots.txt" in private["error"] and private["status"] is None
    assert "/private/feed/" not in desk.seen  # disallowed URLs are reported, not fetched


def test_unreachable_source_is_reported_and_does_not_stop_others(checked):
    rows, elapsed, dead = checked
    dead_rows = [r for (source, _), r in rows.items() if source == "dead-ru"]
    assert len(dead_rows) == 3
    for row in dead_rows:
        assert row["url"].startswith(dead) and row["status"] is None
        assert row["error"].startswith("connection refused")
    assert sum(r["error"] is None for r in rows.values()) == 6  # everything on the live desks that should work
    assert elapsed < 10


def test_table_output_and_exit_status(desk, tmp_path):
    path = write_sources(tmp_path / "sources.yaml", desk.url, closed_port_url())
    result = CliRunner().invoke(main, ["sources", "check", "--sources", str(path), "--source", "desk-fr",
                                       "--source", "dead-ru", "--timeout", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:8] == ["source", "kind", "status", "type", "items", "newest", "robots", "time"]
    feed_line = next(line for line in lines if line.rstrip().endswith("/feed/") and "desk-fr" in line)
    assert feed_line.split()[1:7] == ["feed", "200", "application/rss+xml", "3", RSS_NEWEST, "allowed"]
    assert any("dead-ru" in line and "ERROR: connection refused" in line for line in lines)
    assert "desk-ar" not in result.output
    assert lines[-1].startswith("11 URLs from 2 sources: 5 ok, 6 failed")


def test_unknown_source_name_is_a_config_error(desk, tmp_path):
    path = write_sources(tmp_path / "sources.yaml", desk.url, closed_port_url())
    result = CliRunner().invoke(main, ["sources", "check", "--sources", str(path), "--source", "desk-it"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "unknown source 'desk-it'" in result.output and "desk-fr" in result.output


def test_a_server_that_keeps_timing_out_is_given_up_after_two_urls(desk):
    source = Source(name="slow-en", language="en", feeds=[f"{desk.url}/slow/{i}" for i in range(1, 5)])
    started = time.monotonic()
    rows = sourcecheck.check_source(source, timeout=0.5)
    elapsed = time.monotonic() - started
    assert [r.error for r in rows[:2]] == ["timeout after 0.5s", "timeout after 0.5s"]
    assert all(r.status is None for r in rows)
    assert all(r.error == "timeout after 0.5s (host unreachable; not tried)" for r in rows[2:])
    assert elapsed < 2.5  # two timeouts, not four


def test_one_slow_url_does_not_condemn_its_host(desk):
    source = Source(name="mixed-fr", language="fr", feeds=[f"{desk.url}/slow/a", f"{desk.url}/feed/", f"{desk.url}/atom.xml"])
    rows = sourcecheck.check_source(source, timeout=0.5)
    assert rows[0].error == "timeout after 0.5s"
    assert [(r.error, r.items) for r in rows[1:]] == [(None, 3), (None, 2)]


@pytest.fixture
def blackholes() -> Iterator[list[str]]:
    """Six hosts that accept connections and never answer (the kernel queues them; nobody reads)."""
    socks = []
    for _ in range(6):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        socks.append(sock)
    yield [f"http://127.0.0.1:{s.getsockname()[1]}" for s in socks]
    for sock in socks:
        sock.close()


def test_silent_hosts_time_out_side_by_side(blackholes):
    sources = [Source(name=f"silent-{i}", language="en", feeds=[f"{url}/feed/"], sitemaps=[f"{url}/sitemap.xml"])
               for i, url in enumerate(blackholes)]
    started = time.monotonic()
    rows = sourcecheck.check_sources(sources, timeout=0.5)
    elapsed = time.monotonic() - started
    assert [r.source for r in rows] == [s.name for s in sources for _ in range(2)]  # registry order kept
    assert all(r.error and r.error.startswith("timeout after 0.5s") and r.status is None for r in rows)
    assert all(r.error.endswith("(host unreachable; not tried)") for r in rows[1::2])
    # Per host: robots.txt and the feed time out, the sitemap is skipped (~1 s); hosts run side
    # by side, so six hosts take ~1 s, not 6 s.
    assert elapsed < 3


def test_size_cap_is_an_error_row(desk):
    source = Source(name="big-fr", language="fr", feeds=[f"{desk.url}/feed/"])
    rows = sourcecheck.check_sources([source], max_bytes=100)
    assert rows[0].status == 200 and rows[0].error == "body larger than 100 bytes"
    assert rows[0].items is None


TOPICS = """\
topics:
  - name: two-capitals
    concepts:
      - name: Morocco
        terms: {fr: [Maroc, marocain], ar: [المغرب], any: [Morocco]}
      - name: Kazakhstan
        terms: {fr: [Kazakhstan], ar: [كازاخستان], any: [Kazakhstan]}
"""


def test_search_words_default_to_the_first_topic_in_the_desk_language(desk, tmp_path):
    topics = tmp_path / "topics.yaml"
    topics.write_text(TOPICS, encoding="utf-8")
    path = tmp_path / "sources.yaml"
    path.write_text(f"""\
sources:
  - {{name: desk-fr, language: fr, search: ["{desk.url}/search?s={{query}}"]}}
  - {{name: desk-ar, language: ar, search: ["{desk.url}/search?s={{query}}&lang=ar"]}}
  - {{name: desk-ru, language: ru, search: ["{desk.url}/search?s={{query}}&lang=ru"]}}
""", encoding="utf-8")
    result = CliRunner().invoke(main, ["sources", "check", "--sources", str(path), "--topics", str(topics), "--json"])
    assert result.exit_code == 0, result.output
    urls = [row["url"].removeprefix(desk.url) for row in json.loads(result.output)]
    assert urls == ["/search?s=Maroc+Kazakhstan", "/search?s=%D8%A7%D9%84%D9%85%D8%BA%D8%B1%D8%A8+"
                    "%D9%83%D8%A7%D8%B2%D8%A7%D8%AE%D8%B3%D8%AA%D8%A7%D9%86&lang=ar",
                    "/search?s=Morocco+Kazakhstan&lang=ru"]  # no Russian terms: the "any" ones
    topics.write_text("topics: [", encoding="utf-8")  # unreadable topics never block a check
    result = CliRunner().invoke(main, ["sources", "check", "--sources", str(path), "--topics", str(topics), "--json",
                                       "--source", "desk-fr"])
    assert json.loads(result.output)[0]["url"].endswith("/search?s=Kazakhstan")
