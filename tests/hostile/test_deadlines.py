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


def _drip_feed(path: str, query: dict[str, str]) -> Reply:
    if path == "/robots.txt":
        return Reply(b"", status=404)  # straight to the feed
    return Reply(_drip(), content_type="application/rss+xml")


def test_ctrl_c_stops_sources_check_at_once_with_130(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    with serving(_drip_feed) as site:
        sources = write_sources(tmp_path / "s.yaml", [{"name": "drip", "language": "en",
                                                       "feeds": [site.url + "/feed.xml"]}])
        proc = subprocess.Popen([sys.executable, "-m", "newsmon.cli", "sources", "check", "--sources", str(sources),
                                 "--timeout", "60"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not site.count("/feed.xml"):
            time.sleep(0.1)  # the check is waiting on the dripping feed
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        stopped_in = time.monotonic() - start
    assert proc.returncode == 130, err
    assert stopped_in < 5, stopped_in
