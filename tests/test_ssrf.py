"""Crawled URLs and redirects must not reach private or loopback addresses (unless configured)."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest

from crawler.sources import Source
from crawler.middlewares import PrivateAddressGuard
from newsmon.sourcecheck import check_url, RobotsCache


@pytest.mark.parametrize("url", [
    "http://10.0.0.5/feed", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.2:8080/", "http://[::1]/", "http://localhost/", "http://0.0.0.0/",
])
def test_guard_refuses_private_targets(url: str) -> None:
    guard = PrivateAddressGuard({"127.0.0.1"})
    with pytest.raises(IgnoreRequest, match="private address"):
        asyncio.run(guard.process_request(Request(url)))


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/x", "http://8.8.8.8/", "http://[2001:4860:4860::8888]/"])
def test_guard_allows_configured_and_public_hosts(url: str) -> None:
    assert asyncio.run(PrivateAddressGuard({"127.0.0.1"}).process_request(Request(url))) is None


class _Redirector(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(302)
        self.send_header("Location", self.target)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_sources_check_refuses_redirect_to_another_private_host() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    port = server.server_address[1]
    _Redirector.target = f"http://127.0.0.2:{port}/secret"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        source = Source(name="desk", language="fr", feeds=[f"http://127.0.0.1:{port}/feed"])
        row = check_url(source, "feed", source.feeds[0], RobotsCache(timeout=2, user_agent="t"), timeout=3)
    finally:
        server.shutdown()
    assert row.error and "private address refused" in row.error and "127.0.0.2" in row.error


@pytest.mark.parametrize("address", ["64:ff9b::a9fe:a9fe", "2002:7f00:1::", "::127.0.0.1", "::ffff:10.0.0.1"])
def test_ipv4_hidden_in_ipv6_is_judged_as_ipv4(address: str) -> None:
    from crawler.middlewares import is_public

    assert not is_public(address)


def test_listing_links_are_linear_on_hostile_hrefs() -> None:
    import time

    from crawler.discovery import listing_links

    html = "<html><body>" + "".join(f'<a href="/{"a-" * 20000}{i}!">x</a>' for i in range(3)) + "</body></html>"
    start = time.perf_counter()
    listing_links(html, "https://atlas.example/", {"atlas.example"})
    assert time.perf_counter() - start < 1.0


def test_resolver_refuses_private_answers_at_connect_time() -> None:
    from crawler.resolver import GuardedResolver, PrivateAddressRefused

    assert GuardedResolver._check("93.184.216.34", "example.org") == "93.184.216.34"
    with pytest.raises(PrivateAddressRefused, match="127.0.0.1"):
        GuardedResolver._check("127.0.0.1", "rebound.example")


def test_crawl_without_the_early_guard_is_still_refused_by_the_resolver(sample_site, tmp_path) -> None:
    """The Bing imitation links to a publisher on localhost: with the early middleware switched
    off, the connect-time resolver alone must keep the crawl off that private address."""
    import json

    from tests.conftest import FAST, run_newsmon, write_sources

    sources = write_sources(tmp_path / "s.yaml", [
        {"name": "bing-test", "language": "en", "aggregator": True, "delay": 0,
         "search": [sample_site.url + "/newsfeeds/bing/search?q={query}&format=rss"]}])
    out = run_newsmon("crawl", "--sources", str(sources), "--data", str(tmp_path / "d"), "--max-age", "0", "--json",
                      *FAST, "-s", 'DOWNLOADER_MIDDLEWARES={"crawler.middlewares.PrivateAddressGuard": null}')
    assert out.code == 0, out.stderr
    assert "refused: localhost resolves to private address 127.0.0.1" in out.stderr
    (run,) = json.loads(run_newsmon("runs", "--json", "--data", str(tmp_path / "d")).stdout)
    assert run["stats"]["errors"] >= 1  # the localhost link failed (Twisted calls it a DNS failure)
    stored = run_newsmon("export", "--data", str(tmp_path / "d")).stdout
    assert stored and "localhost" not in stored  # the public-looking links were stored, that one not
