"""`newsmon stats`: what the store holds, per source, per language and per day."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from newsmon.commands.common import (data_option, date_option_value, default_data_dir, json_option, print_json,
                                     table, user_errors)
from newsmon.store import Store

SPARKS = "▁▂▃▄▅▆▇█"
DEFAULT_DAYS = 30


def sparkline(values: list[int]) -> str:
    """One block character per value, scaled to the largest; a zero is a space-like lowest bar."""
    top = max(values, default=0)
    if top == 0:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[min(len(SPARKS) - 1, round(v / top * (len(SPARKS) - 1)))] if v else " " for v in values)


def collect(data_dir: Path, since: str | None) -> dict[str, Any]:
    """Counts of stored articles (dated by publication, else by fetch time) on or after ``since``;
    the per-day series covers ``since`` (default: the last 30 days that end with the newest day)
    up to the newest day, with the days without articles as zeros."""
    day_sql = "substr(COALESCE(published_at, fetched_at), 1, 10)"
    where, args = ("WHERE COALESCE(published_at, fetched_at) >= ?", [since]) if since else ("", [])
    with Store(data_dir, readonly=True) as store:
        db = store.db
        total = db.execute(f"SELECT COUNT(*) FROM articles {where}", args).fetchone()[0]
        relevant = db.execute(f"SELECT COUNT(*) FROM articles {where} {'AND' if where else 'WHERE'} relevant = 1",
                              args).fetchone()[0]
        undated = db.execute(f"SELECT COUNT(*) FROM articles {where} {'AND' if where else 'WHERE'} "
                             "published_at IS NULL", args).fetchone()[0]
        per_source = [{"source": s, "articles": n, "relevant": r, "newest": newest} for s, n, r, newest in db.execute(
            f"SELECT source, COUNT(*), SUM(relevant), MAX(published_at) FROM articles {where} "
            "GROUP BY source ORDER BY COUNT(*) DESC, source", args)]
        per_lang = [{"lang": lang or "?", "articles": n} for lang, n in db.execute(
            f"SELECT lang, COUNT(*) FROM articles {where} GROUP BY lang ORDER BY COUNT(*) DESC, lang", args)]
        by_day = {d: n for d, n in db.execute(f"SELECT {day_sql}, COUNT(*) FROM articles {where} GROUP BY 1", args)}
    days: list[dict[str, Any]] = []
    valid = sorted(d for d in by_day if _is_day(d))
    if valid:
        last = date.fromisoformat(valid[-1])
        first = date.fromisoformat(since[:10]) if since else max(date.fromisoformat(valid[0]),
                                                                 last - timedelta(days=DEFAULT_DAYS - 1))
        day = first
        while day <= last:
            days.append({"day": day.isoformat(), "articles": by_day.get(day.isoformat(), 0)})
            day += timedelta(days=1)
    return {"since": since, "articles": total, "relevant": relevant, "undated": undated,
            "per_source": per_source, "per_lang": per_lang, "per_day": days}


def _is_day(text: str | None) -> bool:
    try:
        date.fromisoformat(text or "")
    except ValueError:
        return False
    return True


@click.command("stats")
@data_option
@click.option("--since", default=None, callback=date_option_value,
              help="Only articles published (or, undated, fetched) on or after this date (YYYY-MM-DD).")
@json_option
@user_errors
def stats(data_dir: Path | None, since: str | None, as_json: bool) -> None:
    """Count stored articles per source, per language and per day (dated by publication, else by
    fetch time), with a per-day sparkline on a terminal. Without --since, the days shown are the
    last 30 up to the newest article.

    Example: newsmon stats --since 2025-01-01
    """
    report = collect(data_dir or default_data_dir(), since)
    if as_json:
        print_json(report)
        return
    click.echo(f"{report['articles']} articles ({report['relevant']} relevant, {report['undated']} undated)"
               + (f" since {since}" if since else ""))
    if not report["articles"]:
        return
    table(["source", "articles", "relevant", "newest"],
          [[r["source"], r["articles"], r["relevant"], r["newest"] or "-"] for r in report["per_source"]],
          title="per source")
    table(["lang", "articles"], [[r["lang"], r["articles"]] for r in report["per_lang"]], title="per language")
    days = report["per_day"]
    if days and sys.stdout.isatty():
        counts = [d["articles"] for d in days]
        click.echo(f"per day {days[0]['day']} {sparkline(counts)} {days[-1]['day']} (max {max(counts)})")
    table(["day", "articles"], [[d["day"], d["articles"]] for d in days], title="per day")
