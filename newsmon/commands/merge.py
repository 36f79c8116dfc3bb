"""`newsmon merge DIR…`: combine the SQLite stores of several crawl workers into one."""

from __future__ import annotations

from pathlib import Path

import click

from newsmon.commands.common import data_option, default_data_dir, json_option, print_json, user_errors
from newsmon.frontier import merge


@click.command("merge")
@click.argument("dirs", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True, path_type=Path))
@data_option
@json_option
@user_errors
def merge_command(dirs: tuple[Path, ...], data_dir: Path | None, as_json: bool) -> None:
    """Copy the articles of the workers' data directories DIR… into --data, one per article id.

    Workers of a shared frontier without Elasticsearch each keep their own store; an article
    that two of them stored (a replayed lease) is merged into one row. Then run `newsmon reindex`
    or search the merged store.

    Example: newsmon merge /mnt/worker1/data /mnt/worker2/data --data ./data
    """
    counts = merge(data_dir or default_data_dir(), dirs)
    if as_json:
        print_json(counts)
        return
    click.echo(f"read {counts['read']} articles from {len(dirs)} stores: {counts['created']} new, "
               f"{counts['updated']} updated, {counts['unchanged']} unchanged; the store now holds "
               f"{counts['articles']} articles")
