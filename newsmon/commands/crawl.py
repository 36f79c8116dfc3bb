"""`newsmon crawl`: crawl the configured sources into the store and index."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from newsmon.commands.common import (data_option, default_data_dir, json_option, parse_overrides, print_json,
                                     printable, table, user_errors)
from newsmon.config import DEFAULT_SOURCES_FILE, DEFAULT_TOPICS_FILE, load_sources, load_topics
from newsmon.crawl import CrawlOptions, run_crawl
from newsmon.es.hooks import sync_after_crawl
from newsmon.frontier import ENV as FRONTIER_ENV, LEASE_ENV, Claims, FrontierFailed, check_reachable
from newsmon.frontier import check_url as check_frontier_url
from crawler.runs import cap_notes, reasons, summarize
from newsmon.errors import StoreFailed
from newsmon.store import Store, StoreError
from settings import scrapy_settings


def check_data_dir(data_dir: Path) -> None:
    """Fail before crawling, in one line, when the data directory cannot be written."""
    Store(data_dir).close()
    probe = data_dir / ".write-test"
    try:
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise StoreError(f"{data_dir}: data directory is not writable: {exc.strerror or exc}") from None


def crawl_summary(data_dir: Path, crawl_id: str) -> list[dict]:
    with Store(data_dir, readonly=True) as store:
        # this crawl's rows only: decoding the stats of every recent run (10,000 after a few days
        # of scheduled polls) cost a crawl's end more the longer newsmon had been running
        rows = store.runs(limit=10_000, crawl_id=crawl_id)
    rows.sort(key=lambda r: r["source"])
    return [{"source": r["source"], "status": r["status"], **summarize(r["stats"]),
             "too_old": sum(int(v) for k, v in r["stats"].items() if k.endswith("/too_old") and isinstance(v, int)),
             "reasons": reasons(r["stats"]), "capped_notes": cap_notes(r["stats"]),
             "quarantined": int(r["stats"].get("quarantined", 0)),
             **({"first_error": r["stats"]["first_error"]} if "first_error" in r["stats"] else {})} for r in rows]


def explain_age_window(summary: list[dict], windows: dict[str, int]) -> None:
    """A source that stored nothing new but skipped entries as too old: say so, with the window
    in force and how to widen it, so an empty crawl is not taken for an empty site."""
    for r in summary:
        if r["new"] or not r.get("too_old"):
            continue
        days = windows.get(r["source"])
        n = r["too_old"]
        click.echo(printable(f"newsmon: source {r['source']}: nothing new; {n} entr{'y' if n == 1 else 'ies'} "
                             f"skipped as older than the age window ({days} day{'' if days == 1 else 's'}): widen it with --max-age DAYS, "
                             "or --max-age 0 for no limit"), err=True)


def print_summary(summary: list[dict], as_json: bool, machine_readable_when_piped: bool = True) -> None:
    if as_json or (machine_readable_when_piped and not sys.stdout.isatty()):
        print_json(summary)
        return
    table(["source", "status", "pages", "new", "skipped", "too old", "capped", "errors"],
          [[r["source"], r["status"], r["pages"], r["new"], r["skipped"], r.get("too_old", 0), r["capped"], r["errors"]]
           for r in summary],
          title="crawl summary")


def report_failures(summary: list[dict]) -> int:
    """One line per capped source naming the caps, one per failed source with its first error;
    exit status 1 if any failed, 130 if the crawl was interrupted (Ctrl-C, SIGTERM) — a script must not take either for success."""
    for r in summary:  # a cap is not a failure, but the user must hear that the run was cut short
        if r.get("capped_notes"):
            click.echo(printable(f"newsmon: source {r['source']}: capped: {'; '.join(r['capped_notes'])}"), err=True)
        if r.get("quarantined"):
            click.echo(printable(f"newsmon: source {r['source']}: {r['quarantined']} page(s) dropped as not articles "
                                 "were quarantined, to be fetched again (see `newsmon runs --dropped`)"), err=True)
    failed = [r for r in summary if r["status"] == "failed"]
    for r in failed:
        errors = f"{r['errors']} error{'s' if r['errors'] != 1 else ''}"
        why = r.get("first_error") or f"{errors}; see `newsmon runs`"
        click.echo(printable(f"newsmon: source {r['source']}: failed: {why}"), err=True)
    if any(r["status"] == "interrupted" for r in summary):
        click.echo("newsmon: crawl interrupted; what was stored is kept (see `newsmon runs`)", err=True)
        return 130
    return 1 if failed else 0


@click.command("crawl")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_SOURCES_FILE, show_default=True, help="Sources file.")
@click.option("--source", "names", multiple=True, metavar="NAME", help="Crawl only this source (repeatable).")
@data_option
@click.option("--topics", "topics_file", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_TOPICS_FILE, show_default=True, help="Topics file.")
@click.option("--alerts", "alerts_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Alert rules file: evaluate its rules on what this crawl stored, and deliver (see `newsmon alerts`).")
@click.option("--keep-all", is_flag=True, help="Store articles that match no topic too.")
@click.option("--max-age", type=click.IntRange(min=0), default=None, metavar="DAYS",
              help="Skip feed/sitemap entries older than DAYS for every source (0: no limit, for a backfill).")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy/newsmon setting for this crawl (repeatable), e.g. -s DOWNLOAD_TIMEOUT=10.")
@click.option("--frontier", "frontier_url", metavar="redis://HOST:PORT/DB", envvar=FRONTIER_ENV, default=None,
              help=f"Share the frontier with other workers on this Redis (or ${FRONTIER_ENV}); see "
                   "'Running on several machines' in the README.")
@json_option
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@user_errors
def crawl(sources_file: Path, names: tuple[str, ...], data_dir: Path | None, topics_file: Path,
          alerts_file: Path | None, keep_all: bool, max_age: int | None, overrides: tuple[str, ...],
          frontier_url: str | None, as_json: bool, verbose: int) -> None:
    """Crawl sources: discover, fetch, extract, date, match, store and index articles.

    Example: newsmon crawl --source hespress-fr --max-age 7
    """
    data_dir = data_dir or default_data_dir()
    sources = load_sources(sources_file, names)
    topics = load_topics(topics_file)
    alert_rules = None
    if alerts_file is not None:
        # Imported only for a crawl given rules: building the rules' models costs ~20 ms of CPU,
        # which every other crawl's start (the scheduler's polls among them) would pay for nothing.
        from newsmon.alerts.config import load_alerts

        alert_rules = load_alerts(alerts_file)
    if not sources:
        raise click.UsageError(f"{sources_file}: no enabled sources")
    if frontier_url:
        check_frontier_url(frontier_url)
        lease = os.environ.get(LEASE_ENV)
        if lease and not any(o.partition("=")[0].strip() == LEASE_ENV for o in overrides):
            overrides = (f"{LEASE_ENV}={lease}", *overrides)  # the environment, below -s
    extra = parse_overrides(overrides)
    check_data_dir(data_dir)
    if frontier_url:
        check_reachable(frontier_url)
    if alert_rules is not None:  # before crawling: a new rule covers what this crawl stores
        from newsmon.alerts.engine import register_rules  # deferred: ~0.2 s of imports (Apprise)

        with Store(data_dir) as store:
            register_rules(store, alert_rules)
    options = CrawlOptions(
        data_dir=data_dir, topics_file=topics_file, topics=topics, keep_all=keep_all, max_age_days=max_age,
        progress=sys.stderr.isatty(), log_level=["WARNING", "INFO", "DEBUG"][min(verbose, 2)],
        extra_settings=extra, frontier=frontier_url or None,
    )
    try:
        crawl_id = run_crawl(sources, options)
    except FrontierFailed as exc:
        # stored articles are kept; exit 1, as for a failed source: the run is not whole
        click.echo(printable(f"newsmon: error: {exc}"), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("newsmon: crawl interrupted before it started; nothing was fetched", err=True)
        sys.exit(130)
    except StoreFailed as exc:  # not a usage error (2): the crawl ran and had to stop
        click.echo(printable(f"newsmon: error: {exc}"), err=True)
        sys.exit(1)
    summary = crawl_summary(data_dir, crawl_id)
    print_summary(summary, as_json)
    default_window = int(float(extra.get("NEWSMON_MAX_AGE_DAYS", scrapy_settings.NEWSMON_MAX_AGE_DAYS)))
    explain_age_window(summary, {s.name: max_age if max_age is not None else
                                 (default_window if s.max_age_days is None else s.max_age_days) for s in sources})
    code = report_failures(summary)
    if code == 130:
        sys.exit(code)  # Ctrl-C: stop now; the next crawl or `alerts run` links stories and alerts
    try:
        # Deferred, not to hide a cycle: the alerts engine and Apprise cost ~0.2 s of imports,
        # which would delay the crawl's start (and its Ctrl-C handling) for every crawl; and
        # only a crawl given rules imports them at all (~25 ms at the end of every other crawl).
        from newsmon.stories import assign_pending as assign_stories

        with Store(data_dir) as store:
            assign_stories(store)
        if alert_rules is not None:
            from newsmon.alerts.engine import run as run_alerts
            from newsmon.commands.alerts import print_report

            claims = Claims(frontier_url) if frontier_url else None  # exactly once across workers
            try:
                report = run_alerts(data_dir, alert_rules, claims=claims)
            finally:
                if claims is not None:
                    claims.close()
            print_report(report, as_json=False)
            code = code or (1 if report.failed or report.dead else 0)
    except KeyboardInterrupt:
        click.echo("newsmon: interrupted after the crawl; `newsmon alerts run` delivers what is pending", err=True)
        code = 130
        sys.exit(code)
    sync_after_crawl(data_dir, sources_file, lambda line: click.echo(printable(line), err=True))  # ES, if configured
    sys.exit(code)
