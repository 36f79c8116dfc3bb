"""`newsmon status`: next scheduled runs, running crawls, and each source's health."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from newsmon.commands.common import data_option, default_data_dir, json_option, print_json, table, user_errors
from newsmon.schedule.health import HealthOptions, status_report
from settings import scrapy_settings


def _ago(ts: str | None, now: datetime) -> str:
    if not ts:
        return "-"
    try:
        moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return ts
    seconds = (moment - now).total_seconds()
    span = abs(seconds)
    text = (f"{span:.0f}s" if span < 90 else f"{span / 60:.0f}m" if span < 5400
            else f"{span / 3600:.1f}h" if span < 172800 else f"{span / 86400:.1f}d")
    return f"in {text}" if seconds > 0 else f"{text} ago"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


@click.command("status")
@data_option
@click.option("--days", type=click.IntRange(1, 3650), default=None,
              help="Window for rates and articles per day (default: NEWSMON_STATUS_WINDOW_DAYS).")
@click.option("--silent-hours", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Flag a crawled source with no new article for this long (default: NEWSMON_STATUS_SILENT_HOURS).")
@json_option
@user_errors
def status(data_dir: Path | None, days: int | None, silent_hours: float | None, as_json: bool) -> None:
    """Show the scheduler, each source's next run and running crawl, and its health.

    Health over the window: new articles per day, share of article pages without a body, share
    of new articles without a date, error and HTTP 403 rates, time since the last new article,
    and a SILENT flag for a source that is crawled but brings nothing new.

    Example: newsmon status --json
    """
    options = HealthOptions(window_days=days or int(scrapy_settings.NEWSMON_STATUS_WINDOW_DAYS),
                            silent_hours=silent_hours or float(scrapy_settings.NEWSMON_STATUS_SILENT_HOURS))
    report = status_report(data_dir or default_data_dir(), options)
    if as_json:
        print_json(report)
        return
    now = datetime.now(timezone.utc)
    sched = report["scheduler"]
    if sched["running"]:
        click.echo(f"scheduler: running (pid {sched['pid']}, since {sched['started_at']}, "
                   f"heartbeat {_ago(sched['heartbeat_at'], now)})")
    else:
        click.echo("scheduler: not running" + (f" (stopped {sched['stopped_at']})" if sched.get("stopped_at") else ""))
    rows: list[list[Any]] = []
    for s in report["sources"]:
        flags = [f for f in ("silent", "failing") if s[f]]
        last = s["last_run"]
        rows.append([
            s["source"], s["schedule"] or "-", _ago(s["next_run"], now),
            ", ".join(f"pid {c['pid']} ({_ago(c['started_at'], now)})" for c in s["running"]) or "-",
            f"{last['status']} {_ago(last['started_at'], now)}" if last else "-",
            f"{s['articles_per_day']:g}", _pct(s["no_body_share"]), _pct(s["no_date_share"]),
            _pct(s["error_rate"]), _pct(s["rate_403"]), _ago(s["last_new_article_at"], now),
            " ".join(f.upper() for f in flags) or "ok",
        ])
    table(["source", "schedule", "next run", "running", "last run", "new/day", "no body", "no date", "errors", "403",
           "last new", "health"], rows, title=f"sources (last {report['window_days']} days)")
