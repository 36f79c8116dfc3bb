"""On a terminal a crawl shows live per-source progress and ends with a readable table."""

from __future__ import annotations

from pathlib import Path

from newsmon.demo import demo_sources
from tests.conftest import FAST, Served, run_on_terminal, write_sources


def test_terminal_shows_progress_and_summary_table(sample_site: Served, tmp_path: Path) -> None:
    sources = [s for s in demo_sources(sample_site.url) if s["name"] in ("sample-steppe-ru", "sample-atlas-fr")]
    path = write_sources(tmp_path / "s.yaml", sources)
    text = run_on_terminal(["crawl", "--sources", str(path), "--data", str(tmp_path / "d"), "--max-age", "0", *FAST],
                           {"COLUMNS": "120", "TERM": "xterm"})
    assert "crawling" in text  # the live progress table, redrawn while pages arrive
    assert "crawl summary" in text and "sample-steppe-ru" in text and "sample-atlas-fr" in text
    assert '"source"' not in text  # a table for people, not JSON
