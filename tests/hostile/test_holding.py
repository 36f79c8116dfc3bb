"""What already held in issue 17's red-team pass, kept as one crawl against one hostile site:
a gzip bomb, a self-referencing sitemap index, file: and data: redirects, a slowloris body,
deeply nested HTML. The run ends, memory stays bounded, the good article is stored, and each
attack is counted, not followed."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import run_newsmon
from tests.hostile.measure import crawl
from tests.hostile.pages import NOW, article, rss, sitemap_index
from tests.hostile.server import Reply, serving

BOMB_MB = 300


def _gzip_bomb() -> bytes:
    """300 MB of zeros once decompressed (gzip framing), ~300 KB on the wire."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(BOMB_MB)) + packer.flush()


BOMB = _gzip_bomb()


def _slowloris() -> Iterator[bytes]:
    yield b"<html><body><p>"
    for _ in range(60):  # one byte a second: far past DOWNLOAD_TIMEOUT
        time.sleep(1)
        yield b"x"


def route(path: str, query: dict[str, str]) -> Reply:
    if path == "/self.xml":
        return Reply(sitemap_index(["/self.xml"]), content_type="application/xml")
    if path == "/feed.xml":
        links = ["/news/1.html", "/bomb.html", "/to-file", "/to-data", "/slow.html", "/nested.html"]
        return Reply(rss((link, f"Story {i}", NOW) for i, link in enumerate(links)), content_type="application/rss+xml")
    if path == "/news/1.html":
        return Reply(article(1))
    if path == "/bomb.html":
        return Reply(BOMB, headers={"Content-Encoding": "gzip"})
    if path == "/to-file":
        return Reply(status=302, headers={"Location": "file:///etc/passwd"})
    if path == "/to-data":
        return Reply(status=302, headers={"Location": "data:text/html,<h1>Injected headline</h1>"})
    if path == "/slow.html":
        return Reply(_slowloris())
    if path == "/nested.html":
        return Reply(b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>")
    return Reply(b"not found", status=404)


def test_the_attacks_that_already_failed_still_fail(tmp_path: Path) -> None:
    with serving(route) as site:
        out = crawl([{"name": "hostile", "language": "en", "feeds": [site.url + "/feed.xml"],
                      "sitemaps": [site.url + "/self.xml"]}], tmp_path, "--keep-all", "-s", "DOWNLOAD_TIMEOUT=3",
                    deadline=90)
        self_fetches = site.count("/self.xml")
    assert not out.killed, "the run did not end"
    assert out.code == 0, out.stderr
    assert out.seconds < 60 and out.peak_rss_mb < 600, (out.seconds, out.peak_rss_mb)  # not the bomb's 300 MB twice
    assert self_fetches == 1  # the index naming itself is read once
    row = out.summary()["hostile"]
    assert row["new"] == 1, row
    # the bomb is cut at DOWNLOAD_MAXSIZE, the slow body times out, the redirects are not followed
    assert row["reasons"]["error/too_large"] == 1 and row["reasons"]["error/timeout"] == 1, row["reasons"]
    assert row["reasons"]["error/http_302"] == 2, row["reasons"]
    exported = run_newsmon("export", "--data", str(tmp_path / "data")).stdout
    assert "root:" not in exported and "Injected headline" not in exported
    assert len(exported.splitlines()) == 1
