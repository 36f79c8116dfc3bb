"""Integration suite against a REAL Elasticsearch 8.x or 9.x cluster.

Runs only when NEWSMON_ES_URL is set (plus NEWSMON_ES_API_KEY or NEWSMON_ES_USER/PASSWORD and
NEWSMON_ES_CA_CERTS as needed); otherwise every test is skipped and the reason is printed in
the summary (-rs). It works in its own randomly named alias, template and percolator index and
deletes them at the end, so it can run against a cluster that holds real data:

    docker compose -f deploy/docker-compose.yml up -d
    NEWSMON_ES_URL=https://localhost:9200 NEWSMON_ES_USER=elastic NEWSMON_ES_PASSWORD=… \\
    NEWSMON_ES_CA_CERTS=deploy/certs/ca/ca.crt .venv/bin/python -m pytest tests/test_es_integration.py -rs

Run it alone: with NEWSMON_ES_URL set, `newsmon search` in other test modules would also go to
the cluster.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.es import admin
from newsmon.es.client import Connection, connect
from newsmon.es.config import load_settings
from newsmon.es.mapping import KAZAKH_ANALYZER
from newsmon.es.percolate import percolate, register_rules
from newsmon.es.sync import requeue_all, sync
from newsmon.es.search import EsBackend
from newsmon.query import parse
from newsmon.search import EmbeddedBackend, search
from newsmon.search_index import SearchIndex, rebuild
from newsmon.search_types import Filters
from newsmon.store import Store
from tests.test_es_contract import QUERIES, RULES, fill, sample_records
from tests.test_serve import Server, start_server, stop

REASON = ("NEWSMON_ES_URL is not set: the integration suite needs a real Elasticsearch 8.x/9.x cluster "
          "(see deploy/docker-compose.yml); the contract tests in tests/test_es_contract.py ran against the fake")
pytestmark = pytest.mark.skipif(not os.environ.get("NEWSMON_ES_URL"), reason=REASON)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Connection, Path]]:
    tag = uuid.uuid4().hex[:8]
    cfg = tmp_path_factory.mktemp("cfg") / "newsmon.yaml"
    cfg.write_text(f"elasticsearch:\n  alias: newsmon-it-{tag}\n  rules_index: newsmon-it-rules-{tag}\n", encoding="utf-8")
    old = os.environ.get("NEWSMON_SETTINGS")
    os.environ["NEWSMON_SETTINGS"] = str(cfg)
    conn = connect(load_settings())
    data = tmp_path_factory.mktemp("it") / "data"
    try:
        yield conn, data
    finally:
        alias, rules = conn.settings.block.alias, conn.settings.block.rules_index
        conn.client.options(ignore_status=404).indices.delete(index=f"{alias}-*,{rules}")
        conn.client.options(ignore_status=404).indices.delete_index_template(name=alias)
        conn.close()
        if old is None:
            os.environ.pop("NEWSMON_SETTINGS", None)
        else:
            os.environ["NEWSMON_SETTINGS"] = old


@pytest.fixture(scope="module")
def synced(cluster: tuple[Connection, Path]) -> tuple[Connection, Path]:
    conn, data = cluster
    admin.setup(conn)
    with Store(data) as store:
        fill(store, sample_records())
        index = SearchIndex(data / "index", writable=True)
        try:
            rebuild(index, store.iter_articles())
        finally:
            index.close()
        report = sync(store, conn)
    assert (report.failed, report.pending) == (0, 0), report.errors
    conn.client.indices.refresh(index=conn.settings.block.alias)
    return conn, data


def test_server_version_is_8_or_9(cluster: tuple[Connection, Path]) -> None:
    conn, _ = cluster
    assert conn.major in (8, 9), conn.describe()


def test_setup_and_analyzers(synced: tuple[Connection, Path]) -> None:
    conn, _ = synced
    alias = conn.settings.block.alias
    assert admin.alias_indices(conn, alias) == [f"{alias}-000001"]
    tokens = conn.client.indices.analyze(index=alias, analyzer=KAZAKH_ANALYZER, text="Қазақстанның делегациясымен")
    assert [t["token"] for t in tokens["tokens"]][0] == "қазақстан"
    fr = conn.client.indices.analyze(index=alias, field="text.fr", text="marocaines")
    assert fr["tokens"][0]["token"] != "marocaines"  # stemmed by the built-in french analyzer


def test_sync_indexed_every_article(synced: tuple[Connection, Path]) -> None:
    conn, data = synced
    with Store(data, readonly=True) as store:
        assert conn.client.count(index=conn.settings.block.alias)["count"] == store.count_articles()


def test_same_hits_as_the_embedded_index(synced: tuple[Connection, Path]) -> None:
    _, data = synced
    for query in QUERIES:
        embedded = {h.article["id"] for h in search(data, query, limit=1000, backend="embedded")}
        remote = {h.article["id"] for h in search(data, query, limit=1000, backend="elasticsearch")}
        assert remote == embedded, query


def test_percolation(synced: tuple[Connection, Path]) -> None:
    conn, data = synced
    register_rules(conn, RULES)
    with Store(data) as store:
        result = percolate(conn, store, [a["id"] for a in store.iter_articles()])
    for name, query in RULES:
        expected = {h.article["id"] for h in search(data, query, limit=1000, backend="embedded")}
        assert {a for a, rules in result.items() if name in rules} == expected, name


def test_resend_is_idempotent_and_migration_moves_the_alias(synced: tuple[Connection, Path]) -> None:
    conn, data = synced
    alias = conn.settings.block.alias
    with Store(data) as store:
        requeue_all(store)
        assert sync(store, conn).pending == 0
        conn.client.indices.refresh(index=alias)
        count = conn.client.count(index=alias)["count"]
        assert count == store.count_articles()
        report = admin.migrate(conn, store)
    conn.client.indices.refresh(index=alias)
    assert admin.alias_indices(conn, alias) == [report.new_index]
    assert conn.client.count(index=alias)["count"] == count


def test_web_search_same_as_embedded(synced: tuple[Connection, Path]) -> None:
    """The search page's call (totals, facets, day histogram, hits) on the cluster and on the
    embedded index, then `newsmon serve` itself answering /api/search from the cluster."""
    conn, data = synced
    embedded = EmbeddedBackend(data)
    remote = EsBackend(conn, data)  # not closed here: the module's connection
    for query in QUERIES:
        for filters in (Filters(), Filters(lang="fr"), Filters(since="2025-03-01", until="2025-06-30"),
                        Filters(topic="morocco-kazakhstan")):
            a = embedded.page(parse(query), filters, per_page=200)
            b = remote.page(parse(query), filters, per_page=200)
            assert (b.total, b.facets) == (a.total, a.facets), (query, filters)
            assert {h.article["id"] for h in b.hits} == {h.article["id"] for h in a.hits}, (query, filters)
    marked = remote.page(parse("Kazakhstan"), Filters())
    assert any("<mark>" in h.snippet.html() for h in marked.hits)  # the real highlighter's markers came back
    proc = start_server("--data", str(data))
    try:
        assert proc.stdout is not None
        server = Server(proc.stdout.readline().strip(), data, proc)
        answer = server.json("api/search?q=Kazakhstan")
        expected = embedded.page(parse("Kazakhstan"), Filters())
        assert answer["backend"] == "elasticsearch"
        assert (answer["total"], answer["facets"]) == (expected.total, expected.facets)
    finally:
        stop(proc)
