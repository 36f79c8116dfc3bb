"""`newsmon runs`: what each crawl did, per source."""

from __future__ import annotations

from pathlib import Path

import click

from newsmon.commands.common import data_option, default_data_dir, json_option, print_json, table, user_errors
from newsmon.store import Store


@click.command("runs")
@data_option
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--dropped", is_flag=True,
              help="List the quarantined pages instead: fetched, dropped for a reason that may hide an article "
                   "(challenge, soft 404, login wall, too short), fetched again by later crawls.")
@json_option
@user_errors
def runs(data_dir: Path | None, limit: int, dropped: bool, as_json: bool) -> None:
    """List crawl runs, newest first: source, times, status, pages, articles, errors.

    Example: newsmon runs --json; newsmon runs --dropped
    """
    with Store(data_dir or default_data_dir(), readonly=True) as store:
        if dropped:
            pages = store.quarantined(limit=limit)
            if as_json:
                print_json(pages)
            else:
                table(["source", "reason", "attempts", "last_seen", "url", "title"],
                      [[p["source"], p["reason"], p["attempts"], p["last_seen"], p["url"], p["title"] or ""]
                       for p in pages])
            return
        rows = store.runs(limit)
    if as_json:
        print_json(rows)
        return
    table(["id", "source", "started_at", "finished_at", "status", "pages", "stored", "skipped", "errors"],
          [[r["id"], r["source"], r["started_at"], r["finished_at"] or "", r["status"], r["pages_fetched"],
            r["articles_stored"], r["skipped"], r["errors"]] for r in rows])
