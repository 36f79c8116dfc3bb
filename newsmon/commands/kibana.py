"""`newsmon kibana setup`: import the data view, saved search and dashboard into Kibana."""

from __future__ import annotations

from pathlib import Path

import click

from newsmon.commands.common import json_option, print_json, user_errors
from newsmon.es.config import load_settings
from newsmon.es.errors import EsError
from newsmon.es.kibana import NDJSON_FILE, import_saved_objects, read_ndjson


@click.group("kibana")
def kibana() -> None:
    """Kibana: import newsmon's saved objects (data view, saved search, dashboard)."""


@kibana.command("setup")
@click.option("--kibana-url", default=None, metavar="URL",
              help="Kibana base URL. Default: $NEWSMON_KIBANA_URL, elasticsearch.kibana_url, or http://localhost:5601.")
@click.option("--file", "ndjson_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help=f"Saved objects to import. Default: {NDJSON_FILE.relative_to(NDJSON_FILE.parents[2])}.")
@json_option
@user_errors
def setup(kibana_url: str | None, ndjson_file: Path | None, as_json: bool) -> None:
    """Import the data view on the articles alias (time field published_at), the saved search
    "Morocco–Kazakhstan mentions" and the dashboard, overwriting earlier copies. Uses the
    Elasticsearch credentials from the environment.

    Example: newsmon kibana setup --kibana-url http://localhost:5601
    """
    settings = load_settings()
    url = kibana_url or (settings.block.kibana_url if settings else None) or "http://localhost:5601"
    if not url.startswith(("http://", "https://")):
        raise EsError(f"--kibana-url {url!r}: not an http(s) URL")
    result = import_saved_objects(url, settings, read_ndjson(ndjson_file))
    if as_json:
        print_json(result)
        return
    click.echo(f"imported {result.get('successCount', 0)} saved objects into {url}")
