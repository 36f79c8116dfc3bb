"""The CLI on bad days: signals at awkward moments, damaged files. Real processes, real SQLite."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path

from tests.conftest import ROOT, run_newsmon, write_sources
from tests.test_crawl import FAST, held_page  # noqa: F401 - the fixture: a page the server holds until told


def test_a_second_sigterm_during_a_crawl_still_exits_130_with_its_run_interrupted(held_page, tmp_path: Path) -> None:  # noqa: F811
    """The first SIGTERM asks Scrapy to close; the second (an impatient supervisor, or Ctrl-C
    twice) makes it stop the reactor without closing the spider. That left the crawl's run
    'running' for good, printed it so, and exited 0 as if the crawl had ended."""
    url, asked, release = held_page
    sources = write_sources(tmp_path / "s.yaml", [{"name": "held", "language": "en", "sections": [url]}])
    err_lines: list[str] = []
    forced = threading.Event()
    with subprocess.Popen([sys.executable, "-m", "newsmon.cli", "crawl", "--sources", str(sources), "--data",
                           str(tmp_path / "d"), "--json", "-v", *FAST, "-s", "DOWNLOAD_TIMEOUT=60"], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        first = threading.Event()

        def read_stderr() -> None:
            for line in proc.stderr:
                err_lines.append(line)
                if "Received SIGTERM, shutting down" in line:
                    first.set()
                if "forcing unclean shutdown" in line:
                    forced.set()

        reader = threading.Thread(target=read_stderr, daemon=True)
        reader.start()
        try:
            assert asked.wait(120), "the crawl never requested the page"
            proc.send_signal(signal.SIGTERM)
            assert first.wait(60), "the crawl did not acknowledge SIGTERM"
            proc.send_signal(signal.SIGTERM)
            assert forced.wait(60), "the crawl did not acknowledge the second SIGTERM"
            out = proc.stdout.read()
            proc.wait(timeout=60)
        finally:
            release.set()
            if proc.poll() is None:
                proc.kill()
            reader.join(10)
    err = "".join(err_lines)
    assert proc.returncode == 130, err[-2000:]
    assert "crawl interrupted" in err and "Traceback" not in err
    assert [r["status"] for r in json.loads(out)] == ["interrupted"]
    (run,) = json.loads(run_newsmon("runs", "--json", "--data", str(tmp_path / "d")).stdout)
    assert run["status"] == "interrupted" and run["finished_at"]


def test_a_damaged_database_is_named_by_every_command_that_reads_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "newsmon.db").write_bytes(b"not a database, but a file someone overwrote" * 100)
    for args in (["status"], ["stats"], ["runs"], ["show", "abcdef"]):
        out = run_newsmon(*args, "--data", str(data))
        assert out.code == 2, (args, out.stderr)
        (line,) = out.stderr.strip().splitlines()
        assert line.startswith("newsmon: error: ") and f"{data / 'newsmon.db'}: the database is damaged" in line, (args, line)
        assert f"sqlite3 {data / 'newsmon.db'} .recover" in line
