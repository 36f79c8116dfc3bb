"""`newsmon es …`: set up, migrate, sync and inspect the Elasticsearch index.

The CLI imports every command module at start-up, so the Elasticsearch client (~0.4 s to
import) is imported inside the commands that talk to a cluster, not here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsmon.commands.common import data_option, default_data_dir, json_option, print_json, printable, user_errors
from newsmon.config import DEFAULT_SOURCES_FILE
from newsmon.es.config import EsSettings, load_settings
from newsmon.es.errors import EsError
from newsmon.store import Store


def require_settings() -> EsSettings:
    settings = load_settings()
    if settings is None:
        raise EsError("Elasticsearch is not configured: set NEWSMON_ES_URL (or url: in the elasticsearch: "
                      "block of settings/newsmon.yaml)")
    return settings


def open_connection():  # -> newsmon.es.client.Connection
    from newsmon.es.client import connect

    conn = connect(require_settings())
    click.echo(f"connected to {conn.describe()}", err=True)
    return conn


@click.group("es")
def es() -> None:
    """Elasticsearch 8.x/9.x: index setup, migration, outbox sync, status.

    Configure with NEWSMON_ES_URL plus NEWSMON_ES_API_KEY (or NEWSMON_ES_USER and
    NEWSMON_ES_PASSWORD), NEWSMON_ES_CA_CERTS; see the README's Elasticsearch section.
    """


@es.command("setup")
@json_option
@user_errors
def setup_command(as_json: bool) -> None:
    """Create (or update) the index template, the first index behind the alias, and the
    percolator index for alert rules. Safe to run at every deploy.

    Example: NEWSMON_ES_URL=https://localhost:9200 newsmon es setup
    """
    from newsmon.es import admin

    with open_connection() as conn:
        report = admin.setup(conn)
    if as_json:
        print_json(report.to_json())
        return
    click.echo(f"server: {report.server}")
    click.echo(f"template {report.alias}: saved (mapping v{report.mapping_version})")
    click.echo(f"alias {report.alias} → {report.index}" + (" (created)" if report.created_index else ""))
    click.echo(f"percolator index {report.rules_index}" + (" (created)" if report.created_rules_index else ": mapping updated"))
    for note in report.notes:
        click.echo(f"note: {note}")


@es.command("migrate")
@data_option
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_SOURCES_FILE,
              show_default=True, help="Sources file (for each source's timezone).")
@json_option
@user_errors
def migrate_command(data_dir: Path | None, sources_file: Path, as_json: bool) -> None:
    """Move to a new index with the current mapping: create the next numbered index, reindex,
    switch the alias in one atomic call, then replay what was written meanwhile.

    Example: newsmon es migrate
    """
    from newsmon.es import admin
    from newsmon.es.sync import source_timezones

    with open_connection() as conn, Store(data_dir or default_data_dir()) as store:
        report = admin.migrate(conn, store, timezones=source_timezones(sources_file))
    if as_json:
        print_json(report.to_json())
        return
    click.echo(f"{report.old_index} → {report.new_index}: {report.copied} documents copied, "
               f"{report.replayed} outbox rows replayed, {report.pending} pending")


@es.command("sync")
@data_option
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_SOURCES_FILE,
              show_default=True, help="Sources file (for each source's timezone).")
@click.option("--all", "resend_all", is_flag=True, help="Resend every stored article (after losing the cluster).")
@json_option
@user_errors
def sync_command(data_dir: Path | None, sources_file: Path, resend_all: bool, as_json: bool) -> None:
    """Send articles waiting in the outbox to Elasticsearch and report what is still pending.
    Exit status 1 when documents were rejected or the cluster became unreachable.

    Example: newsmon es sync --data ./data
    """
    from newsmon.es.sync import requeue_all, source_timezones, sync

    with open_connection() as conn, Store(data_dir or default_data_dir()) as store:
        if resend_all:
            requeue_all(store)
        report = sync(store, conn, timezones=source_timezones(sources_file))
    if as_json:
        print_json(report.to_json())
    else:
        click.echo(printable(report.summary()))
    sys.exit(1 if report.failed or report.stopped else 0)


@es.command("status")
@data_option
@json_option
@user_errors
def status_command(data_dir: Path | None, as_json: bool) -> None:
    """Which server was reached, where the alias points, documents, and what is pending.

    Example: newsmon es status
    """
    from newsmon.es import admin

    data_dir = data_dir or default_data_dir()
    with open_connection() as conn:
        if (data_dir / "newsmon.db").exists():
            with Store(data_dir) as store:
                info = admin.status(conn, store)
        else:
            info = admin.status(conn, None)
    if as_json:
        print_json(info)
        return
    click.echo(f"server: {info['server']}")
    click.echo(f"alias {info['alias']} → {', '.join(info['indices']) or '(missing: run `newsmon es setup`)'}")
    if "documents" in info:
        click.echo(f"documents: {info['documents']} (mapping v{info.get('index_mapping_version')}, "
                   f"this newsmon writes v{info['mapping_version']})")
    if "pending" in info:
        click.echo(f"pending in outbox: {info['pending']} (last sync: {info['last_sync'] or 'never'})")
        for reason, n in info["rejected"].items():
            click.echo(printable(f"  rejected: {n}× {reason}"))
