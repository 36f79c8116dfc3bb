"""`newsmon schedule`: crawl every source on its own schedule, in the foreground, until stopped."""

from __future__ import annotations

import gc
import logging
import os
import sys
from pathlib import Path

import click

from newsmon.commands.common import data_option, default_data_dir, parse_overrides, user_errors
from newsmon.config import DEFAULT_SOURCES_FILE, load_sources, load_topics
from newsmon.alerts.config import load_alerts


@click.command("schedule")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_SOURCES_FILE, show_default=True,
              help="Sources file; a change to it (or SIGHUP) reloads the schedule.")
@data_option
@click.option("--topics", "topics_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Topics file passed to every crawl (default: the crawl's default).")
@click.option("--alerts", "alerts_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Alert rules file passed to every crawl, which delivers the alerts for its new articles; "
                   "digests are sent on their cron lines and failed deliveries retried between crawls.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a setting (repeatable): NEWSMON_SCHEDULE_* for the scheduler, any other for every crawl.")
@click.option("-v", "--verbose", count=True, help="Log more (-v: APScheduler's own messages too).")
@user_errors
def schedule(sources_file: Path, data_dir: Path | None, topics_file: Path | None, alerts_file: Path | None,
             overrides: tuple[str, ...], verbose: int) -> None:
    """Run the scheduler in the foreground: each source is crawled on its `schedule` in a child process.

    Stop it with SIGTERM or Ctrl-C (running crawls get a grace period); SIGHUP reloads the sources.
    See `newsmon status` for next runs and health, `newsmon runs` for the history.

    Example: newsmon schedule --sources settings/sources.yaml --data /var/lib/newsmon
    """
    # APScheduler and SQLAlchemy are imported here, not at the top: every other command would pay
    # for them at start-up, since the CLI group imports all command modules.
    from newsmon.schedule.service import ScheduleConfig, SchedulerService, ScheduleSettings

    data_dir = (data_dir or default_data_dir()).resolve()
    load_sources(sources_file)  # a broken file is a one-line error now, not at the first run
    if topics_file is not None:
        load_topics(topics_file)
    if alerts_file is not None:
        load_alerts(alerts_file)  # a bad rule: one line with its name and reason, exit 2, before any crawl
    extra = parse_overrides(overrides)
    config = ScheduleConfig(
        sources_file=sources_file.resolve(), data_dir=data_dir,
        topics_file=topics_file.resolve() if topics_file else None,
        alerts_file=alerts_file.resolve() if alerts_file else None,
        crawl_settings=extra, settings=ScheduleSettings.load(extra),
    )
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose else logging.ERROR)
    service = SchedulerService(config)
    service.start()
    click.echo(f"newsmon schedule: running (pid {os.getpid()}); "
               f"SIGTERM or Ctrl-C stops, SIGHUP reloads {sources_file}", err=True)
    service.serve()
    click.echo("newsmon schedule: stopped", err=True)
    # The crawls are reaped, the stop is recorded and every file is closed. What is left is the
    # interpreter's teardown, whose full collections over this process's ~100,000 objects cost
    # ~0.4 s of CPU: seconds of wall time on a loaded machine between "stopped" and the exit a
    # supervisor waits for. Frozen objects are not collected; the process's exit frees them
    # (~0.05 s).
    gc.freeze()
