"""robots.txt holds for every request of a crawl, including those that start together.

Scrapy 2.19's RobotsTxtMiddleware hands the parsed robots.txt to the first request that waited
for it; the others waiting on the same download were let through unchecked. A source with
several start URLs on one host therefore fetched disallowed pages. crawler/robots.py closes it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import FAST, run_newsmon, write_sources

LISTING = b"<html><head><title>Section</title></head><body><p>No articles today.</p></body></html>"


class Site(BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        type(self).seen.append(self.path)
        if self.path == "/robots.txt":
            body, kind = b"User-agent: *\nDisallow: /private/\n", "text/plain"
        else:
            body, kind = LISTING, "text/html; charset=utf-8"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def site() -> Iterator[str]:
    Site.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_no_disallowed_url_is_fetched_when_many_start_at_once(site: str, tmp_path: Path) -> None:
    private = [f"{site}/private/section-{n}/" for n in range(6)]
    sources = write_sources(tmp_path / "sources.yaml", [{
        "name": "desk-fr", "language": "fr", "sections": [f"{site}/open/", *private]}])
    out = run_newsmon("crawl", "--sources", str(sources), "--data", str(tmp_path / "data"),
                      "--json", "--keep-all", *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8")
    assert out.code == 0, out.stderr
    assert "/open/" in Site.seen, Site.seen  # the crawl did run
    assert not [p for p in Site.seen if p.startswith("/private/")], Site.seen
    runs = json.loads(run_newsmon("runs", "--json", "--data", str(tmp_path / "data")).stdout)
    assert runs[0]["stats"]["skipped/robots"] == len(private)
