"""Conditional GET for polled feeds (crawler/conditional.py): real crawls against a feed server
that honours If-None-Match, and the policy's trust bound checked on Scrapy's own objects."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scrapy.http import Request, Response
from scrapy.settings import Settings

from crawler.conditional import FETCHED_HEADER, FeedRevalidationPolicy
from crawler.sources import Source
from tests.conftest import FAST, run_newsmon, write_sources

TEXT = ("Morocco and Kazakhstan signed a wheat agreement in Rabat on Monday. Kazakhstan will export wheat "
        "to Morocco through the Caspian corridor, and Moroccan millers will buy the first cargo in spring. "
        "The ministers of Morocco and Kazakhstan also discussed flights between Casablanca and Astana.")


class Feed:
    def __init__(self) -> None:
        self.items = [1]
        self.log: list[tuple[str, str | None, int]] = []  # path, If-None-Match, status

    @property
    def etag(self) -> str:
        return f'"v{len(self.items)}"'


@pytest.fixture
def feed_server() -> Iterator[tuple[str, Feed]]:
    feed = Feed()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            extra: list[tuple[str, str]] = []
            if self.path == "/feed.xml":
                if self.headers.get("If-None-Match") == feed.etag:
                    status, body, ctype = 304, b"", None
                else:
                    items = "".join(f"<item><title>Accord {n}</title><link>{base}/a/{n}.html</link>"
                                    f"<pubDate>Mon, 01 Dec 2025 10:0{n}:00 GMT</pubDate></item>" for n in feed.items)
                    status, ctype = 200, "application/rss+xml"
                    body = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
                extra = [("ETag", feed.etag)]
            elif self.path.startswith("/a/"):
                n = self.path[3:-5]
                status, ctype = 200, "text/html; charset=utf-8"
                body = (f"<html lang='en'><head><title>Accord {n}</title><meta property='article:published_time' "
                        f"content='2025-12-01T10:0{n}:00Z'></head><body><article><h1>Morocco and Kazakhstan accord "
                        f"{n}</h1><p>{TEXT}</p><p>{TEXT}</p></article></body></html>").encode()
            elif self.path == "/robots.txt":
                status, ctype, body = 200, "text/plain", b"User-agent: *\nAllow: /\n"
            else:
                status, ctype, body = 404, "text/plain", b"no"
            feed.log.append((self.path, self.headers.get("If-None-Match"), status))
            self.send_response(status)
            for key, value in extra:
                self.send_header(key, value)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", feed
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_an_unchanged_feed_is_answered_304_and_a_changed_one_in_full(feed_server: tuple[str, Feed],
                                                                      tmp_path: Path) -> None:
    url, feed = feed_server
    sources = write_sources(tmp_path / "sources.yaml", [
        {"name": "wire", "language": "en", "feeds": [f"{url}/feed.xml"], "max_age_days": 0}])
    data = tmp_path / "data"

    def crawl() -> dict:
        out = run_newsmon("crawl", "--sources", str(sources), "--data", str(data), "--json", *FAST)
        assert out.code == 0, out.stderr
        (row,) = json.loads(out.stdout)
        return row

    assert crawl()["new"] == 1
    assert [(p, s) for p, _, s in feed.log if p == "/feed.xml"] == [("/feed.xml", 200)]
    assert list((data / "httpcache").rglob("response_body")), "the feed was not stored"

    feed.log.clear()
    second = crawl()
    assert [e for e in feed.log if e[0] == "/feed.xml"] == [("/feed.xml", '"v1"', 304)]
    assert second["new"] == 0 and not [e for e in feed.log if e[0].startswith("/a/")]

    feed.items.append(2)  # a new article: new ETag, full answer, only the new article fetched
    feed.log.clear()
    third = crawl()
    assert [e for e in feed.log if e[0] == "/feed.xml"] == [("/feed.xml", '"v1"', 200)]
    assert [e[0] for e in feed.log if e[0].startswith("/a/")] == ["/a/2.html"]
    assert third["new"] == 1


def policy(max_age: float = 3600) -> FeedRevalidationPolicy:
    sources = [Source(name="s", language="en", feeds=["https://x.test/feed"], sitemaps=["https://x.test/sm.xml"])]
    return FeedRevalidationPolicy(Settings({"NEWSMON_SOURCES": sources, "NEWSMON_CONDITIONAL_MAX_AGE_SECONDS": max_age}))


def test_only_feeds_and_sitemaps_with_validators_are_kept() -> None:
    p = policy()
    assert p.should_cache_request(Request("https://x.test/feed"))
    assert p.should_cache_request(Request("https://x.test/sm.xml"))
    assert not p.should_cache_request(Request("https://x.test/2025/01/article.html"))
    req = Request("https://x.test/feed")
    assert not p.should_cache_response(Response(req.url, status=200, request=req), req)  # no validator
    assert not p.should_cache_response(Response(req.url, status=404, headers={"ETag": '"a"'}, request=req), req)
    assert not p.should_cache_response(
        Response(req.url, status=200, headers={"ETag": '"a"', "Cache-Control": "no-store"}, request=req), req)
    fresh = Response(req.url, status=200, headers={"Last-Modified": "Mon, 01 Dec 2025 10:00:00 GMT"}, request=req)
    assert p.should_cache_response(fresh, req) and abs(float(fresh.headers[FETCHED_HEADER]) - time.time()) < 5


def test_a_stored_copy_is_never_fresh_and_trust_has_an_age_limit() -> None:
    req = Request("https://x.test/feed")
    # a copy that claims a year of freshness is still revalidated
    cached = Response(req.url, status=200, request=req, headers={
        "ETag": '"v7"', "Cache-Control": "max-age=31536000", FETCHED_HEADER: str(int(time.time()) - 60)})
    assert policy().is_cached_response_fresh(cached, req) is False
    assert req.headers[b"If-None-Match"] == b'"v7"'
    # past the age limit: fetched in full, without validators
    old_req = Request("https://x.test/feed")
    old = Response(req.url, status=200, request=old_req, headers={"ETag": '"v7"', FETCHED_HEADER: "1000"})
    assert policy(max_age=3600).is_cached_response_fresh(old, old_req) is False
    assert b"If-None-Match" not in old_req.headers
