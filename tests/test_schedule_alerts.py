"""`newsmon schedule --alerts`: a bad rule refuses the start; a failed delivery is retried between
crawls (no crawl needed); digests have their own job on their cron line. The same run checks the
global cap (1 here: two sources due together run one after the other) and SIGINT.

Real scheduler process, a local feed (benchmarks/freshness.py's newsroom) and a local webhook
receiver that fails its first request.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks.freshness import Newsroom, serve
from newsmon.cli import main
from tests.alerts_receivers import HttpReceiver
from tests.conftest import write_sources
from tests.test_schedule import Scheduler, query, scheduler_factory, wait_for  # noqa: F401 - fixture

_ = scheduler_factory


def test_a_bad_rule_refuses_the_start_in_one_line(tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "sources.yaml", [
        {"name": "wire", "language": "en", "feeds": ["http://127.0.0.1:9/feed.xml"], "schedule": "every 1h"}])
    alerts = tmp_path / "alerts.yaml"
    alerts.write_text("rules:\n  - name: broken\n    query: 'wheat AND ('\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["schedule", "--sources", str(sources), "--data", str(tmp_path / "d"),
                                    "--alerts", str(alerts)])
    assert out.exit_code == 2
    (line,) = out.stderr.strip().splitlines()
    assert "broken" in line and "bad query" in line
    assert not (tmp_path / "d").exists()


def test_failed_delivery_is_retried_between_crawls_and_digests_have_their_cron_job(
        tmp_path: Path, scheduler_factory: Callable[..., Scheduler], monkeypatch: pytest.MonkeyPatch) -> None:
    token = "hook-secret-4f1c9a"
    monkeypatch.setenv("HOOK_TOKEN", token)  # the scheduler and its children inherit it
    newsroom = Newsroom()
    newsroom.publish(1)
    site = serve(newsroom)
    base = f"http://127.0.0.1:{site.server_address[1]}"
    data = tmp_path / "data"
    try:
        with HttpReceiver(fail_first=1) as hook:
            alerts = tmp_path / "alerts.yaml"
            alerts.write_text(f"""
retry_base_seconds: 1
rules:
  - name: accords
    query: 'Kazakhstan AND accord'
    channels:
      - {{type: webhook, url: '{hook.url}/accords/${{HOOK_TOKEN}}'}}
  - name: morning
    query: 'Kazakhstan'
    digest: '0 8 * * *'
    channels:
      - {{type: webhook, url: '{hook.url}/morning'}}
""", encoding="utf-8")
            sources = write_sources(tmp_path / "sources.yaml", [
                {"name": "wire", "language": "en", "feeds": [f"{base}/feed.xml"], "schedule": "every 1h"}])
            sched = scheduler_factory(sources, data, "--alerts", str(alerts), "-s", "NEWSMON_SCHEDULE_JITTER_SECONDS=0",
                                      "-s", "NEWSMON_SCHEDULE_ALERTS_RETRY_SECONDS=1")
            wait_for("the retried delivery", lambda: "alerts run (retry) ended" in sched.output(), 60, sched)
            assert sched.stop() < 15 and sched.proc.returncode == 0
            log = sched.output()
            # the crawl's delivery failed (HTTP 500); the retry job sent it, without a second crawl
            assert hook.attempts == 2 and [r.path for r in hook.requests] == [f"/accords/{token}"]
            # the secret in the URL reached the receiver, never the log (the failure is logged)
            assert "HTTP 500" in log and token not in log
            assert "alerts run (retry) ended: exit 0" in log, log
            # that crawl is ok: a channel failing is not the source failing
            (crawl,) = query(data, "SELECT outcome, exit_code, message FROM schedule_runs")
            assert crawl["outcome"] == "ok" and crawl["exit_code"] == 1 and "1 failed (will retry)" in crawl["message"]
            (delivery,) = query(data, "SELECT status, attempts FROM alert_deliveries")
            assert delivery == {"status": "sent", "attempts": 2}
            # the digest waits for its cron line, in its own persisted job; no message before it
            jobs = {r["id"]: r["next_run_time"] for r in query(data, "SELECT id, next_run_time FROM apscheduler_jobs")}
            now = datetime.now(timezone.utc)
            eight = now.replace(hour=8, minute=0, second=0, microsecond=0)
            expected = eight if eight > now else eight + timedelta(days=1)
            assert jobs["alerts:digest"] == expected.timestamp() and "alerts:retry" in jobs and "crawl:wire" in jobs
    finally:
        site.shutdown()
        site.server_close()


def test_the_global_cap_runs_due_crawls_one_after_another_and_sigint_stops(
        tmp_path: Path, scheduler_factory: Callable[..., Scheduler]) -> None:
    newsroom = Newsroom()
    newsroom.publish(1)
    site = serve(newsroom)
    base = f"http://127.0.0.1:{site.server_address[1]}"
    data = tmp_path / "data"
    try:
        sources = write_sources(tmp_path / "sources.yaml", [
            {"name": name, "language": "en", "feeds": [f"{base}/feed.xml"], "schedule": "every 1h"}
            for name in ("wire", "wire-copy")])
        sched = scheduler_factory(sources, data, "-s", "NEWSMON_SCHEDULE_JITTER_SECONDS=0",
                                  "-s", "NEWSMON_SCHEDULE_MAX_CONCURRENT=1")
        wait_for("both crawls", lambda: len(query(
            data, "SELECT id FROM schedule_runs WHERE outcome != 'running'")) == 2, 60, sched)
        started = time.monotonic()
        sched.proc.send_signal(signal.SIGINT)  # Ctrl-C: the same prompt, clean stop as SIGTERM
        sched.proc.wait(timeout=20)
        assert time.monotonic() - started < 15 and sched.proc.returncode == 0
        assert "newsmon schedule: stopped" in sched.output()
        crawls = query(data, "SELECT * FROM schedule_runs ORDER BY started_at")
        # both were due at the same moment; with a cap of 1 the second started after the first ended
        assert [c["outcome"] for c in crawls] == ["ok", "ok"]
        assert crawls[0]["scheduled_for"][:19] == crawls[1]["scheduled_for"][:19]
        assert crawls[1]["started_at"] >= crawls[0]["finished_at"]
        assert sum(c["new"] for c in crawls) == 1  # the same feed: stored once
    finally:
        site.shutdown()
        site.server_close()
