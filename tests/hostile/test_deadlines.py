"""Medium 6: `sources check --timeout` is a deadline for the whole request, even against a
server that sends one byte a second (it took 621 s with a 10 s timeout)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from tests.hostile.measure import run_measured, write_sources
from tests.hostile.server import Reply, serving


def _drip() -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><rss version="2.0"><channel>'
    for _ in range(120):
        time.sleep(1)
        yield b" "


def test_sources_check_deadline_holds_against_a_dripping_server(tmp_path: Path) -> None:
    with serving(lambda path, query: Reply(_drip(), content_type="application/rss+xml")) as site:
        sources = write_sources(tmp_path / "s.yaml", [{"name": "drip", "language": "en",
                                                       "feeds": [site.url + "/feed.xml"]}])
        out = run_measured("sources", "check", "--sources", str(sources), "--timeout", "3", "--json",
                           tmp=tmp_path, deadline=60)
    assert not out.killed
    assert out.seconds < 20, out.seconds  # 3 s per request (robots.txt, the feed), not 120
    assert "timeout after 3s" in out.stdout, out.stdout
