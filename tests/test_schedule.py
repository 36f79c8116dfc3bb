"""`newsmon schedule` for real: the APScheduler service as a subprocess, crawls as its children,
second-level schedules, against the sample site and against a server that never answers.

Each test reads what a user would read: the `schedule_runs` journal and `runs` table (through
`newsmon status` / `newsmon runs` where they show it), `newsmon export`, process exit codes and
the time a SIGTERM takes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from newsmon.cli import main
from newsmon.demo import demo_max_age, demo_sources
from newsmon.sample_site.catalog import load_articles
from newsmon.schedule.health import status_report
from tests.conftest import FAST, ROOT, Served, run_newsmon, write_sources

OUTLETS = ("atlas-ar", "steppe-ru")  # feed outlets: every current article is listed


def sample_sources(site: Served, schedules: dict[str, str], **extra: Any) -> list[dict]:
    chosen = {f"sample-{o}" for o in OUTLETS}
    out = []
    for src in demo_sources(site.url):
        if src["name"] in chosen:
            out.append({**src, "schedule": schedules[src["name"]], "max_age_days": demo_max_age(), **extra})
    return out


def ts(text: str | None) -> float:
    assert text, "missing time"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def iso_ms(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def query(data: Path, sql: str, args: tuple = ()) -> list[dict]:
    if not (data / "newsmon.db").exists():
        return []  # the scheduler has not created it yet
    with closing(sqlite3.connect(f"file:{data / 'newsmon.db'}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in db.execute(sql, args)]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise


def wait_for(what: str, check: Callable[[], Any], timeout: float, proc: "Scheduler | None" = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.proc.poll() is not None:
            pytest.fail(f"scheduler exited ({proc.proc.returncode}) while waiting for {what}:\n{proc.output()}")
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}" + (f":\n{proc.output()}" if proc else ""))


def status(data: Path) -> dict[str, Any]:
    """What `newsmon status --json` prints (the library call: no process start-up per poll)."""
    return status_report(data)


def status_by_source(data: Path) -> dict[str, dict[str, Any]]:
    return {s["source"]: s for s in status(data)["sources"]}


def runs_of(data: Path, source: str) -> list[dict]:
    rows = query(data, "SELECT * FROM runs WHERE source = ? ORDER BY id", (source,))
    for r in rows:
        r["stats"] = json.loads(r["stats"])
    return rows


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


class Scheduler:
    """`newsmon schedule` as a child process, its output in a file (no pipe to fill)."""

    count = 0

    def __init__(self, tmp: Path, sources: Path, data: Path, *extra: str):
        Scheduler.count += 1
        self.log_path = tmp / f"schedule-{Scheduler.count}.log"
        self.log = open(self.log_path, "w", encoding="utf-8")
        self.started = time.time()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newsmon.cli", "schedule", "--sources", str(sources), "--data", str(data),
             *FAST, *extra],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(encoding="utf-8")

    def stop(self, timeout: float = 20) -> float:
        """SIGTERM; returns the seconds the scheduler took to exit."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.close()
            pytest.fail(f"scheduler still running {timeout}s after SIGTERM:\n{self.output()}")
        return time.monotonic() - start

    def close(self) -> None:
        """After a failed test too: SIGTERM first, so the scheduler stops its own crawls."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()


@pytest.fixture
def scheduler_factory(tmp_path: Path) -> Iterator[Callable[..., Scheduler]]:
    made: list[Scheduler] = []

    def make(sources: Path, data: Path, *extra: str) -> Scheduler:
        made.append(Scheduler(tmp_path, sources, data, *extra))
        return made[-1]

    yield make
    for s in made:
        s.close()


# -- a real schedule of two feed sources -------------------------------------------------------

class Scheduled:
    def __init__(self, data: Path, sched: Scheduler, stop_seconds: float, exit_code: int):
        self.data = data
        self.sched = sched
        self.stop_seconds = stop_seconds
        self.exit_code = exit_code

    def journal(self) -> list[dict]:
        return query(self.data, "SELECT * FROM schedule_runs ORDER BY id")


def test_a_real_schedule_of_two_feed_sources(sample_site: Served, tmp_path: Path,
                                             scheduler_factory: Callable[..., Scheduler]) -> None:
    """One scheduler run (module fixtures would run once per xdist worker), checked from every side."""
    chosen = sample_sources(sample_site, {"sample-atlas-ar": "every 1s", "sample-steppe-ru": "every 3s"})
    for src in chosen:
        if src["name"] == "sample-atlas-ar":
            # its first crawl (robots.txt, the feed, its articles, 0.5 s apart) surely outlasts its
            # 1 s period, however fast the crawl starts: the overlap check needs a skipped fire time
            src["delay"] = 0.5
    sources = write_sources(tmp_path / "sources.yaml", chosen)
    data = tmp_path / "data"
    sched = scheduler_factory(sources, data, "-s", "NEWSMON_SCHEDULE_JITTER_SECONDS=0")
    # enough for each source to be crawled at least twice (the first crawl takes a few seconds)
    wait_for("two finished crawls per source", lambda: all(
        len(query(data, "SELECT id FROM schedule_runs WHERE source = ? AND outcome = 'ok'", (f"sample-{o}",))) >= 2
        for o in OUTLETS), timeout=90, proc=sched)
    elapsed = sched.stop()
    scheduled = Scheduled(data, sched, elapsed, sched.proc.returncode)
    check_runs_happen_on_time(scheduled)
    check_runs_of_one_source_never_overlap_and_overlaps_are_recorded(scheduled)
    check_every_crawl_is_a_child_with_its_exit_status_in_runs(scheduled)
    check_nothing_is_stored_twice(scheduled)
    check_status_shows_next_runs_and_health(scheduled)
    check_sigterm_stops_promptly_and_cleanly(scheduled)


def check_runs_happen_on_time(scheduled: Scheduled) -> None:
    crawls = [r for r in scheduled.journal() if r["outcome"] not in ("skipped", "missed")]
    assert len(crawls) >= 4
    for r in crawls:
        # started by the scheduler within a second of its due time (no cap or jitter in the way)
        assert ts(r["started_at"]) - ts(r["scheduled_for"]) < 1.0, r
    for name, period in (("sample-atlas-ar", 1), ("sample-steppe-ru", 3)):
        due = [ts(r["scheduled_for"]) for r in scheduled.journal() if r["source"] == name]
        # every fire time is on the source's grid, whether it became a crawl or was skipped
        assert all(abs((d - due[0]) / period - round((d - due[0]) / period)) < 0.05 for d in due), (name, due)


def check_runs_of_one_source_never_overlap_and_overlaps_are_recorded(scheduled: Scheduled) -> None:
    journal = scheduled.journal()
    for name in (f"sample-{o}" for o in OUTLETS):
        spans = sorted((ts(r["started_at"]), ts(r["finished_at"])) for r in journal
                       if r["source"] == name and r["outcome"] not in ("skipped", "missed"))
        for (_, end), (start, _) in zip(spans, spans[1:]):
            assert start >= end, f"{name}: a crawl started before the previous one ended"
    # the every-1s source's first crawl takes longer than 1 s (its requests are 0.5 s apart): the
    # fire times that found it running are in the journal as skipped, with the reason
    skipped = [r for r in journal if r["outcome"] == "skipped"]
    assert skipped and all(r["message"] == "the previous crawl of this source was still running" for r in skipped)


def check_every_crawl_is_a_child_with_its_exit_status_in_runs(scheduled: Scheduled) -> None:
    crawls = [r for r in scheduled.journal() if r["outcome"] == "ok"]
    out = run_newsmon("runs", "--json", "--data", str(scheduled.data))
    runs = {r["pid"]: r for r in json.loads(out.stdout)}
    for r in crawls:
        assert r["exit_code"] == 0 and r["child_pid"] not in (None, scheduled.sched.proc.pid)
        run = runs[r["child_pid"]]
        assert run["source"] == r["source"] and run["status"] == "ok"
        assert run["exit_code"] == 0 and run["started_by"] == "schedule"


def check_nothing_is_stored_twice(scheduled: Scheduled) -> None:
    out = run_newsmon("export", "--data", str(scheduled.data))
    stored = [json.loads(line) for line in out.stdout.splitlines()]
    assert len({a["id"] for a in stored}) == len(stored) == len({a["url"] for a in stored})
    expected = {a.title for a in load_articles() if a.outlet in OUTLETS and a.relevant and not a.archive}
    assert {a["title"] for a in stored} == expected
    # each article was new in exactly one crawl; the later crawls found nothing new
    crawls = [r for r in scheduled.journal() if r["outcome"] == "ok"]
    assert sum(r["new"] for r in crawls) == len(stored)
    for name in (f"sample-{o}" for o in OUTLETS):
        later = [r for r in crawls if r["source"] == name][1:]
        assert later and all(r["new"] == 0 for r in later)


def check_status_shows_next_runs_and_health(scheduled: Scheduled) -> None:
    out = run_newsmon("status", "--json", "--data", str(scheduled.data))
    assert out.code == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["scheduler"]["running"] is False and report["scheduler"]["stopped_at"]
    by_name = {s["source"]: s for s in report["sources"]}
    assert set(by_name) == {f"sample-{o}" for o in OUTLETS}
    for name, schedule in (("sample-atlas-ar", "every 1s"), ("sample-steppe-ru", "every 3s")):
        s = by_name[name]
        assert s["schedule"] == schedule and s["next_run"] and not s["running"]
        assert s["runs"] >= 2 and s["failed_runs"] == 0 and s["error_rate"] == 0 and s["rate_403"] == 0
        assert s["new_articles"] > 0 and s["articles_per_day"] == round(s["new_articles"] / 7, 2)
        assert s["no_date_share"] == 0 and s["no_body_share"] == 0
        assert s["hours_since_new_article"] < 1 and not s["silent"]
        assert s["scheduled_outcomes"]["ok"] >= 2
    table = run_newsmon("status", "--data", str(scheduled.data))
    assert "sample-atlas-ar\tevery 1s\t" in table.stdout and "scheduler: not running" in table.stdout


def check_sigterm_stops_promptly_and_cleanly(scheduled: Scheduled) -> None:
    assert scheduled.exit_code == 0, scheduled.sched.output()
    assert scheduled.stop_seconds < 15
    assert "newsmon schedule: stopped" in scheduled.sched.output()
    assert not [r for r in scheduled.journal() if r["outcome"] == "running"]
    assert not any(alive(r["child_pid"]) for r in scheduled.journal() if r["child_pid"])


# -- persistence, coalescing and reloads ------------------------------------------------------

def test_schedules_survive_a_restart_and_missed_runs_coalesce(
        sample_site: Served, tmp_path: Path, scheduler_factory: Callable[..., Scheduler]) -> None:
    data = tmp_path / "data"
    sources = write_sources(tmp_path / "sources.yaml", sample_sources(
        sample_site, {"sample-atlas-ar": "every 1h", "sample-steppe-ru": "every 2s"}))
    opts = ("-s", "NEWSMON_SCHEDULE_JITTER_SECONDS=0", "-s", "NEWSMON_SCHEDULE_RELOAD_SECONDS=0.3")
    first = scheduler_factory(sources, data, *opts)
    wait_for("the scheduler to start", lambda: query(data, "SELECT pid FROM scheduler_state"), 30, first)
    # meanwhile, a second scheduler on the same data directory must be refused, in one line
    second = subprocess.Popen([sys.executable, "-m", "newsmon.cli", "schedule", "--sources", str(sources), "--data",
                               str(data)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # (deadlines for a whole crawl: a child crawl takes tens of seconds on a loaded 2-core machine)
        wait_for("the hourly source's first crawl", lambda: query(
            data, "SELECT id FROM schedule_runs WHERE source = 'sample-atlas-ar' AND outcome = 'ok'"), 90, first)
        wait_for("a crawl of the 2 s source", lambda: query(
            data, "SELECT id FROM schedule_runs WHERE source = 'sample-steppe-ru' AND outcome = 'ok'"), 90, first)
        _, err = second.communicate(timeout=60)
    finally:
        if second.returncode is None:  # a failed wait must not leak it into the next test (ResourceWarning)
            second.kill()
            second.communicate()
    assert second.returncode == 2
    assert err.strip() == f"newsmon: error: {data}: another `newsmon schedule` is running on this data directory"

    hourly_next = status_by_source(data)["sample-atlas-ar"]["next_run"]
    assert 3500 < ts(hourly_next) - time.time() < 3601
    assert first.stop() < 15 and first.proc.returncode == 0
    stopped_at = time.time()

    time.sleep(4.5)  # the 2 s source misses two or three fire times while nothing runs
    again = scheduler_factory(sources, data, *opts)
    catch_up = wait_for("the catch-up crawl", lambda: query(
        data, "SELECT * FROM schedule_runs WHERE source = 'sample-steppe-ru' AND started_at > ? ORDER BY id",
        (iso_ms(stopped_at),)), 60, again)[0]
    # the fire times missed while it was down ran once, coalesced, as soon as it was back
    # (without coalescing each of them would have been a crawl or a skipped row of its own)
    missed = query(data, "SELECT * FROM schedule_runs WHERE source = 'sample-steppe-ru' AND scheduled_for > ? "
                         "AND scheduled_for <= ?", (iso_ms(stopped_at), catch_up["started_at"]))
    assert [r["id"] for r in missed] == [catch_up["id"]]
    assert ts(catch_up["scheduled_for"]) < ts(catch_up["started_at"]) + 0.01
    # "back" is the moment the new scheduler recorded itself, not its process start: Python and the
    # imports take seconds of that on a loaded 2-core machine, and they are not what this checks
    (back,) = query(data, "SELECT started_at FROM scheduler_state WHERE pid = ?", (again.proc.pid,))
    assert ts(catch_up["started_at"]) - ts(back["started_at"]) < 8
    report = status(data)
    by_name = {s["source"]: s for s in report["sources"]}
    assert by_name["sample-atlas-ar"]["next_run"] == hourly_next, "the restart moved the persisted next run"
    assert report["scheduler"]["running"] and report["scheduler"]["pid"] == again.proc.pid
    wait_for("the catch-up crawl to end", lambda: query(
        data, "SELECT id FROM schedule_runs WHERE id = ? AND outcome != 'running'", (catch_up["id"],)), 90, again)
    hourly_crawls = query(data, "SELECT id FROM schedule_runs WHERE source = 'sample-atlas-ar' AND outcome = 'ok'")
    assert len(hourly_crawls) == 1, "the hourly source ran again after the restart"

    # a changed sources file is picked up: one schedule changes, a source goes, history stays
    runs_before = len(query(data, "SELECT id FROM runs"))
    edited = sample_sources(sample_site, {"sample-atlas-ar": "*/30 * * * *", "sample-steppe-ru": "every 2s"})
    write_sources(sources, [s for s in edited if s["name"] == "sample-atlas-ar"])
    wait_for("the reload", lambda: status_by_source(data)["sample-atlas-ar"]["schedule"] == "*/30 * * * *", 60, again)
    by_name = status_by_source(data)
    assert by_name["sample-atlas-ar"]["next_run"] != hourly_next
    assert ts(by_name["sample-atlas-ar"]["next_run"]) % 1800 == 0  # on the cron line's grid
    assert not by_name["sample-steppe-ru"]["scheduled"] and by_name["sample-steppe-ru"]["next_run"] is None
    assert by_name["sample-steppe-ru"]["runs"] >= 2, "history of the removed source was lost"
    assert len(query(data, "SELECT id FROM runs")) >= runs_before
    # SIGHUP reloads too; a broken file keeps the schedule running and says why
    sources.write_text("sources: [{name: Bad Name}]\n", encoding="utf-8")
    again.proc.send_signal(signal.SIGHUP)
    wait_for("the rejected reload", lambda: "sources not reloaded, the current schedule stays" in again.output(),
             60, again)
    assert again.proc.poll() is None
    assert again.stop() < 15


# -- hung crawls, timeouts and shutdown with a crawl in progress -------------------------------

@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts TCP connections (the kernel does, from the backlog) and never answers a byte."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_hung_crawl_is_killed_and_recorded_and_shutdown_is_prompt(
        silent_server: str, tmp_path: Path, scheduler_factory: Callable[..., Scheduler]) -> None:
    data = tmp_path / "data"
    with socket.socket() as probe:  # a port nothing listens on: the crawl fails at once
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    sources = write_sources(tmp_path / "sources.yaml", [
        {"name": "hangs-briefly", "language": "en", "feeds": [silent_server + "/a/feed"], "schedule": "every 1h",
         "crawl_timeout": "2s"},
        {"name": "hangs-long", "language": "en", "feeds": [silent_server + "/b/feed"], "schedule": "every 1h",
         "crawl_timeout": "10m"},
        {"name": "refused", "language": "en", "feeds": [f"http://127.0.0.1:{closed_port}/feed"], "schedule": "every 1h"},
    ])
    sched = scheduler_factory(sources, data, "-s", "NEWSMON_SCHEDULE_JITTER_SECONDS=0", "-s", "DOWNLOAD_TIMEOUT=120",
                              "-s", "NEWSMON_SCHEDULE_KILL_AFTER_SECONDS=1", "-s", "NEWSMON_SCHEDULE_STOP_GRACE_SECONDS=1")
    killed = wait_for("the timeout", lambda: query(
        data, "SELECT * FROM schedule_runs WHERE source = 'hangs-briefly' AND outcome != 'running'"), 30, sched)[0]
    assert killed["outcome"] == "timeout" and killed["message"] == "crawl timed out after 2s and was killed"
    assert 2 <= ts(killed["finished_at"]) - ts(killed["started_at"]) < 6
    assert not alive(killed["child_pid"])
    (run,) = runs_of(data, "hangs-briefly")
    assert run["status"] == "failed" and run["stats"]["error/timeout"] == 1
    assert run["stats"]["first_error"] == "crawl timed out after 2s and was killed"
    assert run["pid"] == killed["child_pid"] and run["started_by"] == "schedule"

    # a crawl that fails (its only feed refuses connections) is recorded with its exit status and
    # first error; the scheduler is still up, the other crawl still hangs, status shows it running
    failed = wait_for("the refused crawl", lambda: query(
        data, "SELECT * FROM schedule_runs WHERE source = 'refused' AND outcome != 'running'"), 90, sched)[0]
    assert failed["outcome"] == "failed" and failed["exit_code"] == 1
    assert failed["message"].startswith("newsmon: source refused: failed:")
    assert [r["status"] for r in runs_of(data, "refused")] == ["failed"]
    assert sched.proc.poll() is None
    by_name = status_by_source(data)
    (running,) = by_name["hangs-long"]["running"]
    assert by_name["hangs-briefly"]["failing"] and not by_name["hangs-briefly"]["running"]

    # SIGTERM: 1 s of grace, then SIGTERM to the crawl, SIGKILL 1 s later at most
    assert sched.stop() < 5
    assert sched.proc.returncode == 0
    assert not alive(running["pid"])
    (stopped,) = query(data, "SELECT * FROM schedule_runs WHERE source = 'hangs-long'")
    assert stopped["outcome"] == "stopped" and stopped["child_pid"] == running["pid"]
    (run,) = runs_of(data, "hangs-long")
    assert run["status"] == "interrupted"


def test_default_shutdown_fits_in_15_seconds() -> None:
    from settings import scrapy_settings as s

    # grace for running crawls + SIGTERM→SIGKILL delay + the 2 s the service allows itself to reap
    assert s.NEWSMON_SCHEDULE_STOP_GRACE_SECONDS + s.NEWSMON_SCHEDULE_KILL_AFTER_SECONDS + 2 <= 15


def test_bad_configuration_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text(yaml.safe_dump({"sources": [{"name": "x", "language": "en", "feeds": ["http://x.test/f"],
                                                "schedule": "every five minutes"}]}), encoding="utf-8")
    out = CliRunner().invoke(main, ["schedule", "--sources", str(bad), "--data", str(tmp_path / "d")])
    assert out.exit_code == 2
    (line,) = out.stderr.strip().splitlines()
    assert line.startswith(f"newsmon: error: {bad}:") and "sources[x].schedule: 'every five minutes': use 'every N'" in line
    assert not (tmp_path / "d").exists(), "a refused start must not create the data directory"
    out = CliRunner().invoke(main, ["schedule", "--sources", str(bad.with_name("missing.yaml"))])
    assert out.exit_code == 2 and "missing.yaml" in out.stderr
    out = CliRunner().invoke(main, ["schedule", "--sources", str(ROOT / "settings" / "sources.yaml"),
                                    "--data", str(tmp_path / "d"), "-s", "NEWSMON_SCHEDULE_DEFAULT=hourly"])
    assert out.exit_code == 2 and "NEWSMON_SCHEDULE_DEFAULT" in out.stderr
    out = CliRunner().invoke(main, ["status", "--data", str(tmp_path / "nothing-here")])
    assert out.exit_code == 2 and "no database yet" in out.stderr
