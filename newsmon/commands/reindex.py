"""`newsmon reindex`: rebuild the search index from the store of record."""

from __future__ import annotations

from pathlib import Path

import click

from newsmon.commands.common import data_option, default_data_dir, user_errors
from newsmon.search_index import SearchIndex, rebuild
from newsmon.store import DB_NAME, Store, StoreError


@click.command("reindex")
@data_option
@user_errors
def reindex(data_dir: Path | None) -> None:
    """Rebuild the embedded index from SQLite (after an upgrade, or if the index was lost).

    Example: newsmon reindex --data ./data
    """
    data_dir = data_dir or default_data_dir()
    if not (data_dir / DB_NAME).is_file():  # a misspelt --data must not become a new, empty store
        raise StoreError(f"{data_dir / DB_NAME}: no database yet, nothing to index "
                         "(run `newsmon crawl` or `newsmon demo` first)")
    with Store(data_dir) as store:
        index = SearchIndex(data_dir / "index", writable=True, recreate=True)
        try:
            count = rebuild(index, store.iter_articles())
            pending = store.pending_index(1_000_000)
            store.mark_indexed([outbox_id for outbox_id, _ in pending])
        finally:
            index.close()
    click.echo(f"indexed {count} articles")
