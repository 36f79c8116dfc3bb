"""`newsmon es setup`, `newsmon es migrate`, `newsmon es status`.

Setup (idempotent, run at every deploy): save the composable template, create
``<alias>-000001`` and point the alias at it if no index exists yet, create the percolator index.
Migrate (after MAPPING_VERSION changed): save the new template, create the next numbered index,
reindex into it server-side, move the alias in ONE ``_aliases`` call (readers never see a
missing or doubled alias), then replay the outbox rows written while the reindex ran — the
writes elasticsearch-py's alias_migration example warns can be lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, NotFoundError

from newsmon.es.client import Connection, explain
from newsmon.es.errors import EsError
from newsmon.es.mapping import MAPPING_VERSION, index_name, index_template, rules_index_body
from newsmon.es.sync import max_outbox_id, pending_count, requeue_after
from newsmon.es.sync import sync as run_sync
from newsmon.store import Store


@dataclass
class SetupReport:
    server: str
    alias: str
    index: str
    created_index: bool
    rules_index: str
    created_rules_index: bool
    mapping_version: int
    index_mapping_version: int | None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _call(conn: Connection, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except EsError:
        raise
    except Exception as exc:
        raise EsError(explain(exc, conn.settings, what)) from None


def alias_indices(conn: Connection, alias: str) -> list[str]:
    try:
        return sorted(conn.client.indices.get_alias(name=alias).body)
    except NotFoundError:
        return []
    except Exception as exc:
        raise EsError(explain(exc, conn.settings, f"read alias {alias}")) from None


def index_mapping_version(conn: Connection, index: str) -> int | None:
    body = _call(conn, f"read mapping of {index}", conn.client.indices.get_mapping, index=index).body
    meta = (body.get(index, {}).get("mappings", {}) or {}).get("_meta") or {}
    version = meta.get("newsmon_mapping")
    return int(version) if version is not None else None


def _number(index: str, alias: str) -> int:
    tail = index[len(alias) + 1:]
    return int(tail) if tail.isdigit() else 0


def setup(conn: Connection) -> SetupReport:
    alias = conn.settings.block.alias
    rules = conn.settings.block.rules_index
    _call(conn, "save index template", conn.client.indices.put_index_template, name=alias, **index_template(alias))
    current = alias_indices(conn, alias)
    created = False
    if not current:
        first = index_name(alias, 1)
        try:
            conn.client.indices.create(index=first, aliases={alias: {"is_write_index": True}})
            created = True
        except ApiError as exc:
            if exc.meta.status != 400 or "resource_already_exists" not in str(exc.body):
                raise EsError(explain(exc, conn.settings, f"create index {first}")) from None
            # the index exists without the alias (a setup interrupted): attach it
            _call(conn, "create alias", conn.client.indices.update_aliases,
                  actions=[{"add": {"index": first, "alias": alias, "is_write_index": True}}])
        current = [first]
    index = current[-1]
    version = index_mapping_version(conn, index)
    rules_created = False
    if not _call(conn, f"check index {rules}", conn.client.indices.exists, index=rules).body:
        _call(conn, f"create percolator index {rules}", conn.client.indices.create, index=rules, **rules_index_body())
        rules_created = True
    else:  # new article fields must be known to the percolator index too (adding is allowed)
        body = rules_index_body()
        _call(conn, f"update percolator mapping of {rules}", conn.client.indices.put_mapping, index=rules,
              properties=body["mappings"]["properties"], _meta=body["mappings"]["_meta"])
    notes = []
    if version is not None and version < MAPPING_VERSION:
        notes.append(f"{index} has mapping v{version}, this newsmon writes v{MAPPING_VERSION}: run `newsmon es migrate`")
    return SetupReport(conn.describe(), alias, index, created, rules, rules_created, MAPPING_VERSION, version, notes)


@dataclass
class MigrateReport:
    old_index: str
    new_index: str
    copied: int
    replayed: int
    synced: int
    pending: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def migrate(conn: Connection, store: Store, *, sync_fn: Any = None, timezones: dict[str, str] | None = None) -> MigrateReport:
    """Next index with the current mapping, reindexed, alias moved atomically, meanwhile-writes replayed."""
    sync_fn = sync_fn or run_sync
    alias = conn.settings.block.alias
    current = alias_indices(conn, alias)
    if not current:
        raise EsError(f"alias {alias} does not exist yet: run `newsmon es setup` first")
    old = current[-1]
    new = index_name(alias, max(_number(i, alias) for i in current) + 1)
    _call(conn, "save index template", conn.client.indices.put_index_template, name=alias, **index_template(alias))
    mark = max_outbox_id(store)  # rows after this may have reached only the old index
    _call(conn, f"create index {new}", conn.client.indices.create, index=new)
    result = _call(conn, f"reindex {old} into {new}", conn.client.reindex,
                   source={"index": old}, dest={"index": new, "op_type": "index"},
                   wait_for_completion=True, refresh=True).body
    failures = result.get("failures") or []
    if failures:
        first = failures[0].get("cause", {}).get("reason", "?") if isinstance(failures[0], dict) else failures[0]
        raise EsError(f"reindex {old} → {new}: {len(failures)} failures (first: {first}); the alias still points at {old}")
    actions: list[dict[str, Any]] = [{"add": {"index": new, "alias": alias, "is_write_index": True}}]
    actions += [{"remove": {"index": i, "alias": alias}} for i in current]
    _call(conn, f"move alias {alias} to {new}", conn.client.indices.update_aliases, actions=actions)
    replayed = requeue_after(store, mark)
    report = sync_fn(store, conn, timezones=timezones)
    return MigrateReport(old, new, int(result.get("total", 0)), replayed, report.indexed, report.pending)


def status(conn: Connection, store: Store | None) -> dict[str, Any]:
    alias = conn.settings.block.alias
    current = alias_indices(conn, alias)
    out: dict[str, Any] = {"server": conn.describe(), "version": conn.version, "alias": alias,
                           "indices": current, "mapping_version": MAPPING_VERSION}
    if current:
        out["index_mapping_version"] = index_mapping_version(conn, current[-1])
        out["documents"] = _call(conn, f"count {alias}", conn.client.count, index=alias).body.get("count")
    if store is not None:
        out["pending"] = pending_count(store)
        errors = store.db.execute("SELECT es_error, COUNT(DISTINCT article_id) FROM outbox WHERE es_synced_at IS NULL "
                                  "AND es_error IS NOT NULL GROUP BY es_error ORDER BY 2 DESC LIMIT 5").fetchall()
        out["rejected"] = {e: n for e, n in errors}
        row = store.db.execute("SELECT value FROM es_state WHERE key = 'last_sync'").fetchone()
        out["last_sync"] = row[0] if row else None
    return out
