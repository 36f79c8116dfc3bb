"""``newsmon sources check`` against servers on 127.0.0.1: what each URL answered, and failures as rows.

A small site is served here from dicts (feeds, a sitemap index with a gzip child, a Google News
sitemap, robots.txt, a 404, a slow page, redirects), so every expected number is written next to
the bytes that produce it. A closed port stands for an outlet that refuses connections, a
``.invalid`` name (RFC 2606: never resolves) for one whose name does not resolve, and listening
sockets nobody answers on for outlets that never reply.

The check is a crawl: Twisted's reactor runs once per process, so every check here is the real
CLI in a child process (``python -m newsmon.cli sources check``), as a user runs it.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from newsmon.cli import main
from newsmon.commands.sources import display_url
from tests.conftest import ROOT, run_newsmon

pytestmark = pytest.mark.timeout(120)

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
    redirects: dict[str, str] = {}
    seen: list[str] = []
    slow_seconds = 3.0

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append(self.path)
        path = self.path
        if path.startswith("/slow"):
            time.sleep(self.slow_seconds)
        if path in self.redirects:
            self.send_response(302)
            self.send_header("Location", self.redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
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
        handler = type("H", (_Handler,), {"seen": [], "routes": {}, "redirects": {}})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % port
        base = self.url.encode()
        xml = "application/xml; charset=utf-8"
        handler.routes.update({
            "/robots.txt": (200, "text/plain", ROBOTS),
            "/feed/": (200, "application/rss+xml; charset=UTF-8", RSS.replace(b"{base}", base)),
            "/atom.xml": (200, "application/atom+xml", ATOM.replace("{base}", self.url).encode()),
            "/sitemap_index.xml": (200, xml, SITEMAP_INDEX.replace(b"{base}", base)),
            "/post-sitemap.xml.gz": (200, "application/x-gzip", gzip.compress(URLSET.replace(b"{base}", base))),
            "/news-sitemap.xml": (200, xml, NEWS_SITEMAP.replace(b"{base}", base)),
            "/private/feed/": (200, "application/rss+xml", RSS.replace(b"{base}", base)),
            "/page.html": (200, "text/html", b"<!DOCTYPE html><html><body><p>An ordinary page.</p></body></html>"),
        })
        handler.redirects.update({
            # 127.0.0.9 is loopback and no source lives there
            "/moved/feed/": f"http://127.0.0.9:{port}/feed/",
            "/away/feed/": "http://elsewhere.invalid/feed/",  # off every source's hosts
            "/renamed/feed/": f"{self.url}/feed/",  # an ordinary same-site redirect
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


def closed_port_url(address: str = "127.0.0.1") -> str:
    """A loopback URL nothing listens on: bind, note the port, close."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        port = sock.getsockname()[1]
    return f"http://{address}:{port}"


@contextlib.contextmanager
def _blackholes() -> Iterator[list[str]]:
    """Four hosts that accept connections and never answer (the kernel queues them; nobody reads).

    Each on its own loopback address: Scrapy's download slots are per host name, not per port."""
    socks = []
    for i in range(4):
        sock = socket.socket()
        sock.bind((f"127.0.0.{2 + i}", 0))
        sock.listen(16)
        socks.append(sock)
    yield [f"http://{s.getsockname()[0]}:{s.getsockname()[1]}" for s in socks]
    for sock in socks:
        sock.close()


def write_sources(path: Path, base: str, dead: str, silent: list[str] = ()) -> Path:
    silent_yaml = "".join(f"""\
  - name: silent-{i}
    language: en
    delay: 0
    feeds: ["{url}/feed/"]
    sitemaps: ["{url}/sitemap.xml"]
""" for i, url in enumerate(silent))
    path.write_text(f"""\
sources:
  - name: desk-fr
    language: fr
    timezone: Africa/Casablanca
    delay: 0
    feeds: ["{base}/feed/", "{base}/page.html", "{base}/renamed/feed/", "{base}/moved/feed/", "{base}/away/feed/"]
    sitemaps: ["{base}/sitemap_index.xml", "{base}/post-sitemap.xml.gz", "{base}/news-sitemap.xml", "{base}/gone.xml"]
    search: ["{base}/search?s={{query}}"]
    sections: ["{base}/private/feed/"]
  - name: desk-ar
    language: ar
    timezone: Asia/Almaty
    delay: 0
    feeds: ["{base}/atom.xml"]
  - name: slow-en
    language: en
    delay: 0
    feeds: ["{base}/slow/1"]
  - name: dead-ru
    language: ru
    delay: 0
    feeds: [{", ".join(f'"{dead}/rss/{i}/"' for i in range(8))}]
    sitemaps: ["{dead}/sitemap.xml"]
  - name: nowhere-kk
    language: kk
    delay: 0
    feeds: ["http://desk.invalid/rss/", "http://desk.invalid/rss/2/"]
  - name: tls-en
    language: en
    delay: 0
    feeds: ["{base.replace("http:", "https:")}/tls/feed/"]
{silent_yaml}""", encoding="utf-8")
    return path


def run_fixture_check(desk: Desk, blackholes: list[str], workdir: Path) -> dict:
    dead = closed_port_url("127.0.0.6")
    path = write_sources(workdir / "sources.yaml", desk.url, dead, blackholes)
    started = time.monotonic()
    out = run_newsmon("sources", "check", "--sources", str(path), "--json", "--timeout", "1", "--query", "Rabat Astana")
    return {"list": json.loads(out.stdout), "elapsed": time.monotonic() - started, "dead": dead, "code": out.code,
            "stderr": out.stderr, "desk": desk.url, "seen": list(desk.seen)}


@pytest.fixture(scope="module")
def checked(tmp_path_factory, worker_id) -> dict:
    """One ``sources check --json`` run over the fixture registry, rows keyed by (source, path).

    The run takes seconds, so with xdist the first worker runs it (with its own desk and silent
    hosts) and the others read its result, as the pytest-xdist docs suggest."""
    from filelock import FileLock

    def run() -> dict:
        site = Desk()
        try:
            with _blackholes() as holes:
                return run_fixture_check(site, holes, tmp_path_factory.mktemp("check"))
        finally:
            site.stop()

    if worker_id == "master":
        result = run()
    else:
        shared = tmp_path_factory.getbasetemp().parent / "sources-check.json"
        with FileLock(str(shared) + ".lock"):
            if shared.is_file():
                result = json.loads(shared.read_text(encoding="utf-8"))
            else:
                result = run()
                shared.write_text(json.dumps(result), encoding="utf-8")
    result["rows"] = {(r["source"], urlsplit(r["url"]).path): r for r in result["list"]}
    assert len(result["rows"]) == len(result["list"]) == 33
    return result


def test_feeds_report_item_count_and_newest_date(checked):
    rows = checked["rows"]
    rss = rows[("desk-fr", "/feed/")]
    assert (rss["status"], rss["content_type"], rss["format"]) == (200, "application/rss+xml", "rss")
    assert rss["items"] == 3 and rss["newest"] == RSS_NEWEST and rss["error"] is None and rss["failure"] is None
    assert rss["robots"] == "allowed" and 0 <= rss["seconds"] < 1
    atom = rows[("desk-ar", "/atom.xml")]
    assert (atom["format"], atom["items"], atom["newest"], atom["error"]) == ("atom", 2, ATOM_NEWEST, None)


def test_sitemaps_index_gzip_and_news(checked):
    rows = checked["rows"]
    index = rows[("desk-fr", "/sitemap_index.xml")]
    assert (index["format"], index["items"], index["newest"]) == ("sitemapindex", 2, INDEX_NEWEST)
    gz = rows[("desk-fr", "/post-sitemap.xml.gz")]
    assert (gz["content_type"], gz["format"], gz["items"], gz["newest"]) == ("application/x-gzip", "urlset", 4, URLSET_NEWEST)
    news = rows[("desk-fr", "/news-sitemap.xml")]
    assert (news["format"], news["items"], news["newest"], news["error"]) == ("urlset", 2, NEWS_NEWEST, None)


def test_search_template_is_filled_and_results_counted(checked):
    search = checked["rows"][("desk-fr", "/search")]
    assert search["url"].endswith("/search?s=Rabat+Astana") and search["term"] == "Rabat Astana"
    assert "/search?s=Rabat+Astana" in checked["seen"]
    assert (search["status"], search["format"], search["items"]) == (200, "html", 2)
    assert search["newest"] == "2026-11-20T08:30:00Z"


def test_failures_are_classified_by_type(checked):
    rows = checked["rows"]
    gone = rows[("desk-fr", "/gone.xml")]
    assert (gone["failure"], gone["status"], gone["error"], gone["items"]) == ("http_error", 404, "HTTP 404", None)
    page = rows[("desk-fr", "/page.html")]
    assert (page["failure"], page["status"], page["error"]) == ("not_a_feed", 200, "not a feed (text/html)")
    private = rows[("desk-fr", "/private/feed/")]
    assert (private["failure"], private["robots"], private["status"]) == ("robots", "disallowed", None)
    assert "/private/feed/" not in checked["seen"]  # disallowed URLs are reported, not fetched
    slow = rows[("slow-en", "/slow/1")]
    assert (slow["failure"], slow["error"], slow["status"]) == ("timeout", "timeout after 1s", None)
    tls = rows[("tls-en", "/tls/feed/")]  # https to a server that speaks plain HTTP
    assert (tls["failure"], tls["error"], tls["status"]) == ("tls", "TLS handshake failed", None)
    # robots.txt and one URL failing DNS condemn the host, so the other may not be asked at all
    nowhere = [rows[("nowhere-kk", "/rss/")], rows[("nowhere-kk", "/rss/2/")]]
    assert ("dns", "DNS lookup failed") in [(r["failure"], r["error"]) for r in nowhere]
    assert {r["failure"] for r in nowhere} <= {"dns", "unreachable"}


def test_redirects_are_followed_but_not_to_private_or_foreign_hosts(checked):
    rows = checked["rows"]
    renamed = rows[("desk-fr", "/renamed/feed/")]
    assert (renamed["failure"], renamed["items"], renamed["final_url"]) == (None, 3, f"{checked['desk']}/feed/")
    # 127.0.0.2 is loopback and no source lives there: Scrapy's offsite rule, as in a crawl, stops
    # it before the private-address guard would (see test_private_addresses_are_classified)
    moved = rows[("desk-fr", "/moved/feed/")]
    assert moved["failure"] == "offsite" and moved["status"] is None and "127.0.0.9" in moved["error"]
    assert moved["final_url"].startswith("http://127.0.0.9:")
    away = rows[("desk-fr", "/away/feed/")]  # the crawl would drop it as offsite: said, not hidden
    assert away["failure"] == "offsite" and "elsewhere.invalid" in away["error"]


def test_a_host_that_refuses_twice_is_not_asked_again(checked):
    dead_rows = [r for (source, _), r in checked["rows"].items() if source == "dead-ru"]
    assert len(dead_rows) == 9
    assert all(r["url"].startswith(checked["dead"]) and r["status"] is None for r in dead_rows)
    failures = [r["failure"] for r in dead_rows]
    assert set(failures) == {"connection_refused", "unreachable"}, failures
    assert all(r["error"].startswith("not tried") for r in dead_rows if r["failure"] == "unreachable")


def test_silent_hosts_time_out_side_by_side(checked):
    silent = [r for r in checked["list"] if r["source"].startswith("silent-")]
    assert [r["source"] for r in silent] == [f"silent-{i}" for i in range(4) for _ in range(2)]  # registry order
    assert all((r["failure"], r["error"]) == ("timeout", "timeout after 1s") for r in silent)
    # Per host: robots.txt, then feed and sitemap together, each tried 3 times (Scrapy's retries)
    # at 1 s: ~6 s; four hosts one after another would take 24 s. The check's own time, from its
    # closing line (a loaded machine can take seconds just to start the process).
    seconds = float(re.search(r"sources, ([\d.]+)s\)$", checked["stderr"].strip().splitlines()[-1]).group(1))
    assert 5 < seconds < 16, seconds


def test_failing_urls_make_the_exit_status_1_with_a_count(checked):
    failed = sum(r["failure"] is not None for r in checked["list"])
    assert sum(r["failure"] is None for r in checked["list"]) == 7  # what should work on the live desks
    assert checked["code"] == 1
    assert checked["stderr"].strip().splitlines()[-1].startswith(f"newsmon: {failed} of 33 URLs failed (")


TOPICS = """\
topics:
  - name: two-capitals
    concepts:
      - name: Morocco
        terms: {fr: [Maroc, marocain], ar: [المغرب], any: [Morocco]}
      - name: Kazakhstan
        terms: {fr: [Kazakhstan], ar: [كازاخستان], any: [Kazakhstan]}
"""


def test_search_uses_the_crawl_terms_shows_urls_decoded_and_exits_0(desk, tmp_path):
    topics = tmp_path / "topics.yaml"
    topics.write_text(TOPICS, encoding="utf-8")
    path = tmp_path / "sources.yaml"
    path.write_text(f"""\
sources:
  - {{name: desk-fr, language: fr, delay: 0, search: ["{desk.url}/search?s={{query}}"]}}
  - {{name: desk-ar, language: ar, delay: 0, search: ["{desk.url}/search?s={{query}}&lang=ar"]}}
  - {{name: desk-ru, language: ru, delay: 0, search: ["{desk.url}/search?s={{query}}&lang=ru"]}}
""", encoding="utf-8")
    out = run_newsmon("sources", "check", "--sources", str(path), "--topics", str(topics))
    assert out.code == 0, out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("newsmon: all 6 URLs answered as expected (3 sources, ")
    lines = out.stdout.splitlines()  # piped: tab-separated, one header line
    assert lines[0].split("\t") == ["source", "kind", "status", "type", "items", "newest", "robots", "time", "url",
                                    "problem"]
    urls = [line.split("\t")[8].removeprefix(desk.url) for line in lines[1:]]
    # one search per crawl term, in the desk's language (the crawl's search_terms); Russian has
    # none, so the "any" terms; the Arabic query is shown as written, not percent-encoded
    assert urls == ["/search?s=Maroc", "/search?s=Kazakhstan", "/search?s=المغرب&lang=ar",
                    "/search?s=كازاخستان&lang=ar", "/search?s=Morocco&lang=ru", "/search?s=Kazakhstan&lang=ru"]
    assert "/search?s=%D8%A7%D9%84%D9%85%D8%BA%D8%B1%D8%A8&lang=ar" in desk.seen  # the request was encoded
    assert all(line.split("\t")[2:5] == ["200", "text/html", "2"] for line in lines[1:])


def test_a_narrow_terminal_gets_one_record_per_url_with_the_whole_url(desk, tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(f"""\
sources:
  - {{name: desk-ar, language: ar, delay: 0, feeds: ["{desk.url}/atom.xml", "{desk.url}/page.html"],
      search: ["{desk.url}/search?s={{query}}&lang=ar"]}}
""", encoding="utf-8")
    # rich treats the output as an 80-column terminal; NO_COLOR keeps escape codes out of it
    out = run_newsmon("sources", "check", "--sources", str(path), "--query", "المغرب كازاخستان",
                      env={"TTY_COMPATIBLE": "1", "COLUMNS": "80", "NO_COLOR": "1"})
    assert out.code == 1, out.stderr
    lines = out.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines if not line.startswith("  http"))
    assert lines[0].startswith(f"desk-ar  feed  200  application/atom+xml  2 items  newest {ATOM_NEWEST}")
    assert f"  {desk.url}/atom.xml" in lines
    page = lines.index(f"  {desk.url}/page.html")
    assert lines[page + 1] == "  not a feed (text/html)"
    assert f"  {desk.url}/search?s=المغرب+كازاخستان&lang=ar" in lines  # whole, decoded, never folded
    assert out.stderr.strip().splitlines()[-1].startswith("newsmon: 1 of 3 URLs failed")


def test_display_url_decodes_text_but_not_delimiters_or_controls():
    assert display_url("https://x.test/%D0%BA%D0%B0%D0%B7?q=%D8%A7+b") == "https://x.test/каз?q=ا+b"
    assert display_url("https://x.test/a%2Fb?q=%26%3D") == "https://x.test/a%2Fb?q=%26%3D"  # meaning kept
    assert display_url("https://x.test/%1B%5B31m%E2%80%AEx%0A") == "https://x.test/%1B%5B31m%E2%80%AEx%0A"
    assert display_url("https://xn--80ao21a.xn--p1ai/%FF") == "https://қаз.рф/%FF"  # bad UTF-8 stays escaped


def test_private_addresses_are_classified_by_type():
    """The guard's refusal and the resolver's (which Scrapy wraps in its DNS error) are told apart
    from a DNS failure by their classes; the phrases are for people, the class for scripts."""
    from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
    from twisted.internet.error import DNSLookupError

    from crawler.middlewares import HostUnreachable, PrivateAddressBlocked
    from crawler.resolver import PrivateAddressRefused
    from crawler.robots import RobotsDisallowed
    from crawler.spiders.check import classify_failure

    def wrapped(cause: BaseException) -> CannotResolveHostError:
        try:
            try:
                raise cause
            except DNSLookupError as exc:
                raise CannotResolveHostError(str(exc)) from exc
        except CannotResolveHostError as outer:
            return outer

    # the same words in every message, so only the type can decide
    words = "private address robots.txt DNS refused"
    assert classify_failure(PrivateAddressBlocked(words), 5)[0] == "private_address"
    assert classify_failure(wrapped(PrivateAddressRefused(words)), 5)[0] == "private_address"
    assert classify_failure(wrapped(DNSLookupError(words)), 5) == ("dns", "DNS lookup failed")
    assert classify_failure(RobotsDisallowed(words), 5)[0] == "robots"
    assert classify_failure(HostUnreachable(words), 5)[0] == "unreachable"
    assert classify_failure(IgnoreRequest(words), 5)[0] == "ignored"


def test_the_check_runs_with_the_crawl_settings(tmp_path):
    from scrapy.utils.project import get_project_settings

    from newsmon.check import CheckOptions, check_settings
    from newsmon.config import Source

    source = Source(name="desk", language="fr", delay=2, feeds=["https://desk.example/feed/"])
    settings = check_settings([source], CheckOptions())
    crawl = get_project_settings()
    assert "USER_AGENT" not in settings or settings["USER_AGENT"] == crawl["USER_AGENT"]
    assert "TWISTED_DNS_RESOLVER" not in settings  # the crawl's GuardedResolver
    # the crawl's own downloader middlewares, robots.txt verdicts included
    assert "DOWNLOADER_MIDDLEWARES" not in settings
    middlewares = crawl.getdict("DOWNLOADER_MIDDLEWARES")
    for name in ("crawler.middlewares.PrivateAddressGuard", "crawler.middlewares.UnreachableHosts",
                 "crawler.backoff.BackoffMiddleware", "crawler.robots.RobotsVerdict"):
        assert middlewares[name]
    assert settings["DOWNLOAD_SLOTS"] == {"desk.example": {"delay": 2.0}}  # the source's politeness
    assert settings["ITEM_PIPELINES"] == {} and settings["EXTENSIONS"]["crawler.runs.CrawlRuns"] is None
    assert settings["NEWSMON_SEARCH_TERMS"]["fr"][:2] == ["Maroc", "Kazakhstan"]  # the crawl's terms


def test_interrupt_exits_130(desk, tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(f"""\
sources:
  - {{name: hanging, language: en, delay: 0, feeds: ["{desk.url}/slow/interrupt", "{desk.url}/feed/"]}}
""", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "newsmon.cli", "sources", "check", "--sources", str(path),
                             "--json", "--timeout", "30"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while "/slow/interrupt" not in desk.seen:  # the check is under way: the slow page is being served
        assert time.monotonic() < deadline and proc.poll() is None, "the check never reached the slow page"
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # Scrapy lets the download in flight finish, then stops
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "check interrupted" in err.strip().splitlines()[-1]
    assert len(json.loads(out)) == 2  # every row is printed, the ones not reached say so


def test_unknown_source_name_is_a_config_error(desk, tmp_path):
    path = write_sources(tmp_path / "sources.yaml", desk.url, closed_port_url())
    result = CliRunner().invoke(main, ["sources", "check", "--sources", str(path), "--source", "desk-it"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "unknown source 'desk-it'" in result.output and "desk-fr" in result.output


def test_a_broken_topics_file_is_a_config_error(desk, tmp_path):
    """The search terms are the crawl's, so a topics file the crawl would refuse is refused here."""
    topics = tmp_path / "topics.yaml"
    topics.write_text("topics: [", encoding="utf-8")
    path = write_sources(tmp_path / "sources.yaml", desk.url, closed_port_url())
    result = CliRunner().invoke(main, ["sources", "check", "--sources", str(path), "--topics", str(topics)])
    assert result.exit_code == 2 and result.output.startswith("newsmon: error:") and str(topics) in result.output
    assert result.output.strip().count("\n") == 0


def test_a_bad_setting_override_is_refused_before_checking(desk, tmp_path):
    path = write_sources(tmp_path / "sources.yaml", desk.url, closed_port_url())
    result = CliRunner().invoke(main, ["sources", "check", "--sources", str(path), "-s", "DOWNLOAD_TIMEOUT=soon"])
    assert result.exit_code == 2 and "expected a number" in result.output
