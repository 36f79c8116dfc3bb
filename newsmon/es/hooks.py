"""The crawl's last step when Elasticsearch is configured: drain the outbox.

Import-light on purpose: `newsmon crawl` loads this at start-up, and the Elasticsearch client
(~0.4 s to import: it pulls in aiohttp) is only imported when a cluster is configured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from newsmon.es.config import load_settings
from newsmon.es.errors import EsError
from newsmon.yamlconf import ConfigError


def sync_after_crawl(data_dir: Path, sources_file: str | Path | None, echo: Callable[[str], None]) -> Any:
    """Sync the outbox; a cluster problem is reported and does not fail the crawl — the
    articles wait in the outbox. Returns the SyncReport, or None when nothing was synced."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        echo(f"newsmon: elasticsearch not synced: {exc}")
        return None
    if settings is None:
        return None
    # deferred: only a configured cluster pays for importing the client
    from newsmon.es.client import connect
    from newsmon.es.sync import source_timezones, sync
    from newsmon.store import Store

    try:
        with connect(settings) as conn, Store(data_dir) as store:
            report = sync(store, conn, timezones=source_timezones(sources_file))
    except EsError as exc:
        echo(f"newsmon: elasticsearch not synced (articles wait in the outbox; run `newsmon es sync`): {exc}")
        return None
    echo(report.summary())
    return report


@contextmanager
def percolation(rules: Iterable[Any], note: Callable[[str], None]) -> Iterator[Any]:
    """The alert engine's Elasticsearch matcher, with ``rules`` registered as percolator
    documents, when a cluster is configured and answers; None otherwise (``note`` says why when
    a configured cluster could not be used: the engine then matches on the embedded index)."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        note(f"elasticsearch not used for alerts: {exc}")
        settings = None
    if settings is None:
        yield None
        return
    # deferred: only a configured cluster pays for importing the client
    from newsmon.es.client import connect
    from newsmon.es.percolate import PercolateMatcher

    matcher = None
    try:
        conn = connect(settings)
    except EsError as exc:
        note(f"alert rules not percolated, matched on the embedded index: {exc}")
        yield None
        return
    with conn:
        try:
            candidate = PercolateMatcher(conn)
            candidate.register(rules)
            matcher = candidate
        except EsError as exc:
            note(f"alert rules not percolated, matched on the embedded index: {exc}")
        yield matcher
