"""`-s NAME=VALUE`: the catalogue of settings it checks against is read from Scrapy's source, not
imported, so that `newsmon schedule -s …` (a long-running process that only passes the settings
on) does not load Scrapy. The reading must agree with the imported module, name by name."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsmon.commands.common import COMPUTED, known_settings
from tests.conftest import ROOT, run_newsmon, write_sources


def kind(value: object) -> str:
    """What parse_overrides asks of a default."""
    if isinstance(value, bool):
        return "flag"
    if isinstance(value, (int, float)):
        return "number"
    return "text"


def test_the_catalogue_read_from_source_is_the_imported_one_name_by_name() -> None:
    from scrapy.settings import default_settings

    from settings import scrapy_settings

    imported = {n: getattr(m, n) for m in (default_settings, scrapy_settings) for n in dir(m) if n.isupper()}
    assert known_settings() == imported  # Scrapy imported (a crawl): the module itself is read
    loaded = sys.modules.pop("scrapy.settings.default_settings")
    try:
        read = known_settings()  # not imported (the scheduler): its source is read
    finally:
        sys.modules["scrapy.settings.default_settings"] = loaded
    assert read.keys() == imported.keys()
    assert len(read) > 180
    assert {n: kind(v) for n, v in read.items()} == {n: kind(v) for n, v in imported.items()}
    computed = sorted(n for n, v in read.items() if v is COMPUTED)
    assert computed == ["RETRY_EXCEPTIONS", "TEMPLATES_DIR"]  # a list naming a class, a call (USER_AGENT is ours)
    assert all(read[n] == imported[n] for n in read if read[n] is not COMPUTED)
    assert read["DOWNLOAD_MAXSIZE"] == 5_000_000 and read["DOWNLOAD_WARNSIZE"] == 2_000_000  # the project's
    assert read["REMOTE_CONTROL_OUTPUT_MAX_BYTES"] == 64 * 1024  # Scrapy's own, written as a product


@pytest.mark.parametrize(("setting", "message"), [
    ("NOSUCH_SETTING=1", "NOSUCH_SETTING: no such setting"),
    ("REMOTE_CONTROL_OUTPUT_MAX_BYTES=lots", "expected a number"),  # a default written as 64 * 1024
    ("COOKIES_ENABLED=maybe", "expected true or false"),
])
def test_schedule_refuses_a_bad_setting_in_one_line(tmp_path: Path, setting: str, message: str) -> None:
    sources = write_sources(tmp_path / "s.yaml", [{"name": "s", "language": "en", "feeds": ["https://example.ma/feed"],
                                                   "schedule": "0 0 1 1 *"}])
    out = run_newsmon("schedule", "--sources", str(sources), "--data", str(tmp_path / "d"), "-s", setting)
    assert out.code == 2 and message in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_a_scheduler_given_settings_does_not_load_scrapy(tmp_path: Path) -> None:
    """Its crawls do, each in its own process. Was: ~0.3 s of CPU and ~25 MiB for the scheduler's
    whole life, to check the names."""
    sources = write_sources(tmp_path / "s.yaml", [{"name": "s", "language": "en", "feeds": ["https://example.ma/feed"],
                                                   "schedule": "0 0 1 1 *"}])
    log = tmp_path / "schedule.log"
    with log.open("w") as out, subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "newsmon.cli", "schedule", "--sources", str(sources),
             "--data", str(tmp_path / "d"), "-s", "DOWNLOAD_DELAY=2", "-s", "ROBOTSTXT_OBEY=true"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL) as proc:
        try:
            deadline = time.monotonic() + 60
            while "newsmon schedule: running" not in log.read_text() and time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text()[-3000:]
                time.sleep(0.1)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    assert "newsmon schedule: running" in text and "newsmon schedule: stopped" in text
    imported = {line.split("|")[-1].strip() for line in text.splitlines() if line.startswith("import time:")}
    assert "newsmon.schedule.service" in imported  # importtime's lines are there
    assert not {m for m in imported if m == "scrapy" or m.startswith(("scrapy.", "twisted"))}
