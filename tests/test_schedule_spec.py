"""Schedules as written in sources.yaml, the triggers they become, and the child-process runner.

Trigger arithmetic is checked with fixed times (no waiting); the runner runs real processes.
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from newsmon.config import load_sources
from newsmon.schedule.service import ChildResult, ScheduleSettings, judge, run_child
from newsmon.schedule.spec import ScheduleError, parse_duration, parse_schedule
from newsmon.yamlconf import ConfigError

UTC = timezone.utc


def fire_times(text: str, start: datetime, count: int, tz: str = "UTC") -> list[datetime]:
    trigger = parse_schedule(text).trigger(tz)
    out: list[datetime] = []
    previous = None
    now = start
    for _ in range(count):
        nxt = trigger.get_next_fire_time(previous, now)
        assert nxt is not None
        out.append(nxt.astimezone(UTC))
        previous, now = nxt, nxt
    return out


@pytest.mark.parametrize("text, seconds", [
    ("every 10s", 10), ("every 30m", 1800), ("every 2h", 7200), ("every 1d", 86400), ("every  90 seconds", 90),
    ("Every 1.5m", 90),
])
def test_every_is_an_interval(text: str, seconds: float) -> None:
    spec = parse_schedule(text)
    assert spec.interval == seconds and spec.cron is None and spec.period() == seconds


def test_cron_weekdays_mean_what_crontab_says() -> None:
    """APScheduler 3 numbers weekdays from Monday = 0; crontab from Sunday = 0 (and 7)."""
    monday = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
    weekdays = fire_times("0 6 * * 1-5", monday, 6)
    assert [d.strftime("%a %H:%M") for d in weekdays] == [
        "Mon 06:00", "Tue 06:00", "Wed 06:00", "Thu 06:00", "Fri 06:00", "Mon 06:00"]
    assert [d.strftime("%a") for d in fire_times("30 7 * * 0", monday, 2)] == ["Sun", "Sun"]
    assert [d.strftime("%a") for d in fire_times("30 7 * * 7", monday, 1)] == ["Sun"]
    assert [d.strftime("%a") for d in fire_times("0 0 * * */2", monday, 4)] == ["Tue", "Thu", "Sat", "Sun"]
    assert [d.strftime("%a") for d in fire_times("0 0 * * sat,sun", monday, 2)] == ["Sat", "Sun"]


def test_cron_steps_and_timezone() -> None:
    start = datetime(2026, 3, 2, 10, 7, tzinfo=UTC)
    assert [d.strftime("%H:%M") for d in fire_times("*/15 * * * *", start, 3)] == ["10:15", "10:30", "10:45"]
    # read in the scheduler's zone: 06:00 in Casablanca (UTC+1) is 05:00 UTC
    (first,) = fire_times("0 6 * * *", start, 1, tz="Africa/Casablanca")
    assert first == datetime(2026, 3, 3, 6, 0, tzinfo=ZoneInfo("Africa/Casablanca")).astimezone(UTC)


def test_cron_across_a_dst_change_keeps_the_wall_clock() -> None:
    start = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)  # Paris moves to summer time at 02:00 on 29 March 2026
    times = fire_times("0 6 * * *", start, 3, tz="Europe/Paris")
    assert [t.astimezone(ZoneInfo("Europe/Paris")).strftime("%d %H:%M") for t in times] == ["28 06:00", "29 06:00",
                                                                                          "30 06:00"]
    assert [t.strftime("%H:%M") for t in times] == ["05:00", "04:00", "04:00"]


def test_jitter_is_capped_by_the_period() -> None:
    assert parse_schedule("every 10s").jitter(30) == 1.0
    assert parse_schedule("every 2h").jitter(30) == 30
    assert parse_schedule("*/15 * * * *").jitter(30) == 30
    assert parse_schedule("* * * * *").jitter(30) == 6
    assert parse_schedule("every 10s").trigger(jitter=1).jitter == 1
    assert parse_schedule("every 10s").trigger(jitter=0.5).jitter is None
    first = parse_schedule("every 2h").first_delay(30)
    assert first is not None and 0 <= first <= 30
    assert parse_schedule("0 * * * *").first_delay(30) is None  # a cron line runs when it says


@pytest.mark.parametrize("text, message", [
    ("every 5", "use 'every N' with a unit"),
    ("every 0s", "interval shorter than 1s"),
    ("hourly", "not 'every N<s|m|h|d>' nor a 5-field cron line"),
    ("0 6 * *", "got 4 fields"),
    ("61 * * * *", "bad cron line"),
    ("0 6 * * 8", "bad weekday '8'"),
    ("0 6 * * 5-1", "bad weekday range"),
    ("", "empty schedule"),
])
def test_bad_schedules_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message.replace("(", r"\(").replace("|", r"\|").replace("*", r"\*")):
        parse_schedule(text)


def test_durations() -> None:
    assert parse_duration(90) == 90 and parse_duration("90s") == 90 and parse_duration("20m") == 1200
    assert parse_duration("2h") == 7200 and parse_duration("1d") == 86400 and parse_duration("2.5") == 2.5
    for bad in ("soon", "0", -3, True, "5 minutes"):
        with pytest.raises(ScheduleError):
            parse_duration(bad)


def test_the_registry_schedules_all_parse(tmp_path: Path) -> None:
    """Every schedule in the shipped registry is valid, and a bad one is a located config error."""
    for source in load_sources():
        parse_schedule(source.schedule or "every 1h")
    bad = tmp_path / "sources.yaml"
    bad.write_text(yaml.safe_dump({"sources": [
        {"name": "ok", "language": "en", "feeds": ["http://x.test/f"], "schedule": "*/10 * * * *",
         "crawl_timeout": "15m"},
        {"name": "bad", "language": "en", "feeds": ["http://x.test/f"], "crawl_timeout": "later"},
    ]}, sort_keys=False), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sources.yaml:\d+: sources\[bad\].crawl_timeout: 'later': not a duration"):
        load_sources(bad)
    good = bad.read_text().replace("later", "45s")
    bad.write_text(good)
    assert [s.crawl_timeout for s in load_sources(bad)] == [900, 45]


def test_settings_overrides_are_typed() -> None:
    s = ScheduleSettings.load({"NEWSMON_SCHEDULE_MAX_CONCURRENT": "3", "NEWSMON_SCHEDULE_STOP_GRACE_SECONDS": "1.5"})
    assert s.max_concurrent == 3 and s.stop_grace_seconds == 1.5 and s.default == "every 1h"
    for bad in ({"NEWSMON_SCHEDULE_MAX_CONCURRENT": "0"}, {"NEWSMON_SCHEDULE_TIMEZONE": "Mars/Base"},
                {"NEWSMON_SCHEDULE_DEFAULT": "daily"}, {"NEWSMON_SCHEDULE_JITTER_SECONDS": "a lot"}):
        with pytest.raises(ConfigError):
            ScheduleSettings.load(bad)


# -- the child runner ---------------------------------------------------------------------------

STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout() -> None:
    started = time.monotonic()
    pids: list[int] = []
    result = run_child([sys.executable, "-c", STUBBORN], timeout=1.0, kill_after=0.5, terminate=threading.Event(),
                       on_start=pids.append)
    elapsed = time.monotonic() - started
    assert result.ended_by == "timeout" and result.exit_code == -9 and result.pid == pids[0]
    assert result.stdout == "up\n"
    assert 1.4 <= elapsed < 4
    assert judge(result)[0] == "timeout"


def test_terminate_stops_a_child_that_honours_sigterm() -> None:
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    result = run_child([sys.executable, "-c", "import time; time.sleep(60)"], timeout=60, kill_after=5, terminate=stop)
    assert result.ended_by == "stopped" and result.exit_code == -15
    assert time.monotonic() - started < 3
    assert judge(result)[:1] == ("stopped",)


@pytest.mark.parametrize("code, stdout, stderr, outcome, message", [
    (0, '[{"source": "a", "status": "ok", "pages": 3, "new": 2, "errors": 0}]', "", "ok", None),
    (0, '[{"source": "a", "status": "partial", "pages": 3, "new": 1, "errors": 2}]', "", "partial", None),
    (1, '[{"source": "a", "status": "failed", "pages": 0, "new": 0, "errors": 1}]',
     "newsmon: source a: failed: http://x/feed: HTTP 500\n", "failed", "newsmon: source a: failed: http://x/feed: HTTP 500"),
    (1, '[{"source": "a", "status": "ok", "pages": 3, "new": 2, "errors": 0}]',
     "alerts: 2 article(s) evaluated, 1 match(es), 1 new message(s); 0 delivered, 1 failed (will retry), 0 given up\n",
     "ok", "alerts: 2 article(s) evaluated, 1 match(es), 1 new message(s); 0 delivered, 1 failed (will retry), 0 given up"),
    (2, "", "newsmon: error: sources.yaml:3: bad\n", "error", "newsmon: error: sources.yaml:3: bad"),
    (130, "[]", "newsmon: crawl interrupted\n", "interrupted", "newsmon: crawl interrupted"),
    (-11, "", "", "crashed", "killed by SIGSEGV"),
    (3, "not json", "Traceback …\nRuntimeError: boom\n", "crashed", "exit status 3: RuntimeError: boom"),
])
def test_judge_reads_exit_status_and_summary(code: int, stdout: str, stderr: str, outcome: str,
                                             message: str | None) -> None:
    got_outcome, counts, got_message = judge(ChildResult(1, code, None, stdout, stderr))
    assert (got_outcome, got_message) == (outcome, message)
    if outcome == "ok":
        assert counts == {"pages": 3, "new": 2, "errors": 0}
