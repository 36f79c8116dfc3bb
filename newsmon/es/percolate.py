"""Alert rules as percolator queries; new articles percolated in batches, by outbox id.

A rule is stored in the rules index with its name as ``_id`` and its query string compiled by
the same emitter as `newsmon search` (so a rule matches exactly what searching for it finds).
Articles are percolated by sending their documents (built from the store, as indexed) in one
``percolate`` query with ``documents`` — no refresh wait, no time window. The cursor is the
outbox row id, persisted in ``es_state``: an article stored late, whatever its dates, has a
higher row id than everything already percolated, so it cannot fall between two polls
(ElastAlert's gap with time-windowed queries).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from elasticsearch import helpers

from newsmon.es.client import Connection, explain
from newsmon.es.dsl import query_clause
from newsmon.es.errors import EsError
from newsmon.es.mapping import article_document
from newsmon.query import parse
from newsmon.store import Store

CURSOR_KEY = "percolate_outbox_id"
BATCH = 200


def rule_document(name: str, query: str) -> dict[str, Any]:
    return {"rule": name, "query_string": query, "query": query_clause(parse(query))}


def register_rules(conn: Connection, rules: Iterable[tuple[str, str]], *, replace: bool = True) -> dict[str, int]:
    """Store (name, query string) pairs as percolator documents keyed by name. ``replace``
    deletes rules no longer listed, so the index mirrors the rules file."""
    index = conn.settings.block.rules_index
    rules = list(rules)
    names = [n for n, _ in rules]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise EsError(f"duplicate rule names: {', '.join(sorted(dupes))}")
    ops: list[dict[str, Any]] = [{"_op_type": "index", "_index": index, "_id": name, "_source": rule_document(name, q)}
                                 for name, q in rules]
    removed = 0
    try:
        if replace:
            found = conn.client.search(index=index, query={"match_all": {}}, _source=False, size=10_000).body
            existing = {h["_id"] for h in found.get("hits", {}).get("hits", [])}
            stale = sorted(existing - set(names))
            ops += [{"_op_type": "delete", "_index": index, "_id": n} for n in stale]
            removed = len(stale)
        ok, errors = helpers.bulk(conn.client, ops, raise_on_error=False, refresh="wait_for")
    except Exception as exc:
        raise EsError(explain(exc, conn.settings, "register alert rules")) from None
    if errors:
        first = next(iter(errors[0].values()), {}).get("error")
        raise EsError(f"{len(errors)} rules rejected by Elasticsearch (first: {first})")
    return {"registered": len(rules), "removed": removed}


def percolate_documents(conn: Connection, docs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """{article id: [rule names]} for already built documents (one request per BATCH)."""
    out: dict[str, list[str]] = {d["id"]: [] for d in docs}
    index = conn.settings.block.rules_index
    for start in range(0, len(docs), BATCH):
        chunk = docs[start:start + BATCH]
        body = {"query": {"percolate": {"field": "query", "documents": chunk}},
                "_source": ["rule"], "size": 10_000}
        try:
            result = conn.client.search(index=index, **body).body
        except Exception as exc:
            raise EsError(explain(exc, conn.settings, "percolate")) from None
        for hit in result.get("hits", {}).get("hits", []):
            rule = (hit.get("_source") or {}).get("rule") or hit.get("_id")
            slots = (hit.get("fields") or {}).get("_percolator_document_slot") or ([0] if len(chunk) == 1 else [])
            for slot in slots:
                out[chunk[slot]["id"]].append(rule)
    return {k: sorted(v) for k, v in out.items()}


def percolate(conn: Connection, store: Store, article_ids: list[str],
              timezones: dict[str, str] | None = None) -> dict[str, list[str]]:
    """{article id: [names of the rules it matches]} for stored articles (unknown ids: [])."""
    timezones = timezones or {}
    articles = store.get_articles(list(dict.fromkeys(article_ids)))
    docs = [article_document(a, timezones.get(a.get("source") or "")) for a in articles.values()]
    result = percolate_documents(conn, docs)
    return {aid: result.get(aid, []) for aid in article_ids}


def percolate_new(conn: Connection, store: Store, *, limit: int = 10_000,
                  timezones: dict[str, str] | None = None) -> tuple[dict[str, list[str]], int]:
    """Percolate articles whose outbox rows come after the cursor; move the cursor only after
    the batch was answered. Returns ({article id: rules}, new cursor)."""
    row = store.db.execute("SELECT value FROM es_state WHERE key = ?", (CURSOR_KEY,)).fetchone()
    cursor = int(row[0]) if row else 0
    rows = store.db.execute("SELECT id, article_id FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
                            (cursor, limit)).fetchall()
    if not rows:
        return {}, cursor
    ids = list(dict.fromkeys(r[1] for r in rows))
    matches = percolate(conn, store, ids, timezones)
    new_cursor = rows[-1][0]
    with store.transaction() as db:
        db.execute("INSERT INTO es_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   (CURSOR_KEY, str(new_cursor)))
    return {k: v for k, v in matches.items() if v}, new_cursor


class PercolateMatcher:
    """The alert engine's matcher on Elasticsearch (:class:`newsmon.alerts.match.Matcher`): the
    rules are registered as percolator documents once per run, then each batch of candidate
    articles is percolated in one request per ``BATCH`` documents. Built from the stored articles
    with the same document builder as the sync, so a rule matches what `newsmon search
    --backend elasticsearch` finds."""

    backend = "elasticsearch"

    def __init__(self, conn: Connection, timezones: dict[str, str] | None = None):
        self.conn = conn
        self.timezones = timezones or {}

    def register(self, rules: Iterable[Any]) -> dict[str, int]:
        return register_rules(self.conn, [(rule.name, rule.query) for rule in rules])

    def matches(self, rules: Any, articles: Any) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {rule.name: set() for rule in rules}
        if not out or not articles:
            return out
        docs = [article_document(a, self.timezones.get(a.get("source") or "")) for a in articles]
        for article_id, names in percolate_documents(self.conn, docs).items():
            for name in names:
                if name in out:
                    out[name].add(article_id)
        return out
