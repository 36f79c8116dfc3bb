"""Medium 6 and Low: `sources check --timeout`, `extract URL` and `topics test URL` hold a
deadline for the whole request, even against a server that sends one byte a second (`sources
check` took 621 s with a 10 s timeout; `extract` and `topics test` had no deadline at all)."""

from __future__ import annotations

import json
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
    assert out.seconds < 45, out.seconds  # 3 s per request (robots.txt, the feed) and start-up on a loaded machine; not 120
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


def test_extract_and_topics_test_hold_their_deadline_against_a_dripping_server(tmp_path: Path) -> None:
    """Both commands fetch one page with a 20 s deadline for the whole request (newsmon/fetch.py);
    the server would drip its page for 120 s. Run side by side to keep the test short."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    def drip_page(path: str, query: dict[str, str]) -> Reply:
        return Reply(_drip(), content_type="text/html")

    with serving(drip_page) as site:
        start = time.monotonic()
        procs = [subprocess.Popen([sys.executable, "-m", "newsmon.cli", *args, site.url + "/story.html"], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for args in (("extract",), ("topics", "test"))]
        try:
            results = [p.communicate(timeout=60) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.communicate()
        took = time.monotonic() - start
    assert took < 45, took  # 20 s each, side by side, plus start-up on a loaded machine; not 120
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode not in (0, None) and "Traceback" not in err, err
        assert "timeout after 20s" in err, err


def _slow_feeds(path: str, query: dict[str, str]) -> Reply:
    if path == "/robots.txt":
        return Reply(b"", status=404)
    time.sleep(2)
    return Reply(b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
                 content_type="application/rss+xml")


def test_sources_check_holds_its_deadline_for_the_whole_run(tmp_path: Path) -> None:
    """12 feeds on one host, each answered after 2 s, one at a time (the host's politeness): the
    whole check would take 24 s or more. `--deadline 4` ends it near 4 s, with every URL not
    reached reported as not checked and exit 1; a row that answered is kept as it answered."""
    with serving(_slow_feeds) as site:
        sources = write_sources(tmp_path / "s.yaml", [{"name": "slow", "language": "en",
                                                       "feeds": [f"{site.url}/feed{i}.xml" for i in range(12)]}])
        out = run_measured("sources", "check", "--sources", str(sources), "--timeout", "10", "--deadline", "4",
                           "--json", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "AUTOTHROTTLE_ENABLED=False",
                           "-s", "DOWNLOAD_DELAY=0", tmp=tmp_path, deadline=90)
    assert not out.killed
    assert out.code == 1, out.stderr
    assert out.seconds < 20, out.seconds  # 4 s, the answer in flight (2 s) and start-up on a loaded machine
    rows = json.loads(out.stdout)
    assert len(rows) == 12
    answered = [r for r in rows if r["status"] == 200]
    unchecked = [r for r in rows if r["error"] == "not checked"]
    assert answered and unchecked and len(answered) + len(unchecked) == 12, rows
    assert f"check deadline reached: {len(unchecked)} of 12 URLs not checked" in out.stderr
