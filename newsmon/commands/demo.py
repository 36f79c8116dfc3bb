"""`newsmon demo`: serve the sample site, crawl it for real, show the summary and searches."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import click

from newsmon.commands.common import printable, user_errors
from newsmon.commands.crawl import check_data_dir, crawl_summary, print_summary
from newsmon.config import DEFAULT_TOPICS_FILE, load_sources
from newsmon.crawl import CrawlOptions, run_crawl
from newsmon.demo import DEMO_PORT, DEMO_SEARCHES, demo_max_age, write_demo_sources
from newsmon.sample_site.server import start_in_thread
from newsmon.search import search


DEMO_SHOWN = 3
DEMO_DATA = Path("newsmon-demo")  # never the user's ./data or $NEWSMON_DATA: a demo must not mix into real data


@click.command("demo")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=DEMO_DATA,
              show_default=True, help="Data directory for the demo's store and index (not ./data, not $NEWSMON_DATA).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port for the sample site (default 8765, or any free one).")
@user_errors
def demo(data_dir: Path | None, port: int | None) -> None:
    """Crawl the bundled sample news site (offline) into its own data dir, then search it.

    The demo writes to ./newsmon-demo unless --data says otherwise, so it never mixes sample
    articles into the data a real crawl uses.

    Example: newsmon demo --data /tmp/newsmon-demo
    """
    try:
        site = start_in_thread(port=DEMO_PORT if port is None else port)
    except OSError as exc:
        if port is not None:  # the user asked for this port: say so rather than pick another (exit 2, as serve)
            click.echo(f"newsmon: error: cannot serve the sample site on 127.0.0.1:{port}: {exc.strerror or exc} "
                       "(choose another --port, or leave it out for any free one)", err=True)
            sys.exit(2)
        site = start_in_thread(port=0)  # the usual port is taken: any free one will do
    with site:
        check_data_dir(data_dir)  # after the port: a port refused leaves no empty data directory behind
        click.echo(f"sample news site on {site.url}", err=True)
        sources_file = write_demo_sources(site.url, data_dir / "demo-sources.yaml")
        sources = load_sources(sources_file)
        options = CrawlOptions(data_dir=data_dir, topics_file=DEFAULT_TOPICS_FILE, max_age_days=demo_max_age(),
                               progress=sys.stderr.isatty(),
                               extra_settings={"DOWNLOAD_TIMEOUT": 10, "RETRY_TIMES": 1, "AUTOTHROTTLE_ENABLED": False,
                                               "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": True})
        crawl_id = run_crawl(sources, options)
    print_summary(crawl_summary(data_dir, crawl_id), as_json=False, machine_readable_when_piped=False)
    click.echo("")
    for query in DEMO_SEARCHES:
        hits = search(data_dir, query, limit=1000)
        shown = f" (first {DEMO_SHOWN})" if len(hits) > DEMO_SHOWN else ""
        click.echo(f"search {query!r}: {len(hits)} hit{'s' if len(hits) != 1 else ''}{shown}")
        for hit in hits[:DEMO_SHOWN]:
            a = hit.article
            click.echo(printable(f"  [{a['lang']}] {a['published_at'] or '(no date)'}  {a['title']}"))
            click.echo(printable(f"        {hit.snippet.plain('«', '»')[:160]}"))
    cli = "newsmon" if shutil.which("newsmon") else ".venv/bin/newsmon"
    where = shlex.quote(str(data_dir))
    click.echo(f"\nstored in {data_dir}: try `{cli} search Kazakhstan --data {where}`, "
               f"`{cli} stats --data {where}` or `{cli} export --data {where}`", err=True)
