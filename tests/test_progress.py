"""On a terminal a crawl shows live per-source progress and ends with a readable table."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

from newsmon.demo import demo_sources
from tests.conftest import FAST, ROOT, Served, write_sources


def test_terminal_shows_progress_and_summary_table(sample_site: Served, tmp_path: Path) -> None:
    sources = [s for s in demo_sources(sample_site.url) if s["name"] in ("sample-steppe-ru", "sample-atlas-fr")]
    path = write_sources(tmp_path / "s.yaml", sources)
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "newsmon.cli", "crawl", "--sources", str(path), "--data",
                             str(tmp_path / "d"), "--max-age", "0", *FAST], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env=env)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(timeout=60) == 0
    text = out.decode("utf-8", "replace")
    assert "crawling" in text  # the live progress table, redrawn while pages arrive
    assert "crawl summary" in text and "sample-steppe-ru" in text and "sample-atlas-fr" in text
    assert '"source"' not in text  # a table for people, not JSON
