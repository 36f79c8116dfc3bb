"""Elasticsearch contract tests: the real client (elasticsearch-py 8.19) against a local server
that answers like ES 8.19 and like ES 9.x (tests/es_fake.py), every test run against both.

They assert the exact requests newsmon sends (template and mapping bodies, bulk lines, query
bodies, percolate calls), per-document outcomes, retries, and that SQLite stays the record.
No real Elasticsearch runs here: tests/test_es_integration.py does that when NEWSMON_ES_URL is set.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.es import admin
from newsmon.es.client import connect
from newsmon.es.config import load_settings
from newsmon.es.dsl import search_body
from newsmon.es.errors import EsError
from newsmon.es.mapping import (BUILTIN_ANALYZERS, KAZAKH_ANALYZER, MAPPING_VERSION, TERMS_ANALYZER, article_document,
                                index_template, rules_index_body)
from newsmon.es.percolate import percolate, percolate_new, register_rules
from newsmon.es.hooks import sync_after_crawl
from newsmon.es.sync import pending_count, sync
from newsmon.sample_site.catalog import load_articles
from newsmon.search import search
from newsmon.search_index import SearchIndex, rebuild
from newsmon.store import Store
from tests.conftest import run_newsmon
from tests.es_fake import FakeES

ALIAS = "newsmon-articles"
NO_SLEEP = {"initial_backoff": 0.001, "sleep": lambda s: None}


@pytest.fixture(params=[8, 9], ids=["es8.19", "es9"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeES]:
    with FakeES(request.param) as server:
        yield server


@pytest.fixture
def env(fake: FakeES, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    for name in ("NEWSMON_ES_API_KEY", "NEWSMON_ES_USER", "NEWSMON_ES_PASSWORD", "NEWSMON_ES_CA_CERTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSMON_ES_URL", fake.url)
    monkeypatch.setenv("NEWSMON_SETTINGS", str(_empty_settings(tmp_path)))
    return {"NEWSMON_ES_URL": fake.url, "NEWSMON_SETTINGS": str(tmp_path / "newsmon.yaml")}


def _empty_settings(tmp_path: Path) -> Path:
    path = tmp_path / "newsmon.yaml"
    path.write_text("# no elasticsearch block: NEWSMON_ES_URL configures it\n", encoding="utf-8")
    return path


def sample_records() -> list[dict]:
    """The sample site's articles as the pipeline would store them (fixture text written by us)."""
    out = []
    for art in load_articles():
        exp = art.expected()
        url = f"https://{art.outlet}.example{art.path}"
        out.append({"id": f"{art.outlet}-{art.slug}"[:60], "url": url, "canonical_url": url, "source": f"sample-{art.outlet}",
                    "title": exp["title"], "text": exp["text"], "lang": exp["lang"], "published_at": exp["published_at"],
                    "modified_at": exp["modified_at"], "fetched_at": "2025-06-01T00:00:00Z", "date_source": "jsonld",
                    "relevant": art.relevant, "topics": ["morocco-kazakhstan"] if art.relevant else [],
                    "matched_terms": {"Kazakhstan": 1} if art.relevant else {}, "content_hash": art.slug})
    return out


def fill(store: Store, records: list[dict]) -> None:
    for rec in records:
        store.upsert_article(rec, [rec["url"]])


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "data") as s:
        yield s


def connected(env: dict[str, str]):
    return connect(load_settings())


# -- connecting ------------------------------------------------------------------------------

def test_connect_reads_the_server_version_and_sends_compat_8(fake: FakeES, env: dict[str, str]) -> None:
    with connected(env) as conn:
        assert conn.version == fake.version and conn.major == fake.major
        assert conn.describe() == f"Elasticsearch {fake.version} (cluster 'newsmon-test') at {fake.url}"
    first = fake.requests[0]
    assert (first.method, first.path) == ("GET", "/")
    assert "compatible-with=8" in first.headers["accept"]


def test_the_fake_checks_the_compat_header_like_the_real_server(fake: FakeES) -> None:
    """Why the 8.x client: a 9.x client's compatible-with=9 is refused by ES 8 (elasticsearch-py #2928)."""
    def get(compat: int) -> int:
        req = urllib.request.Request(fake.url + "/", headers={"Accept": f"application/vnd.elasticsearch+json; compatible-with={compat}"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                assert resp.headers["X-Elastic-Product"] == "Elasticsearch"
                return resp.status
        except urllib.error.HTTPError as exc:
            body = json.loads(exc.read())
            exc.close()
            assert "Invalid media-type value" in body["error"]["reason"]
            return exc.code

    assert get(8) == 200
    assert get(9) == (400 if fake.major == 8 else 200)


def test_es_status_says_which_server_was_reached(fake: FakeES, env: dict[str, str], tmp_path: Path) -> None:
    result = run_newsmon("es", "status", "--data", str(tmp_path / "nodata"), env=env)
    assert result.code == 0, result.stderr
    assert f"Elasticsearch {fake.version}" in result.stderr + result.stdout
    assert "missing: run `newsmon es setup`" in result.stdout


def test_connection_refused_is_one_line_and_exit_2(tmp_path: Path) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = {"NEWSMON_ES_URL": f"http://127.0.0.1:{port}", "NEWSMON_SETTINGS": str(_empty_settings(tmp_path))}
    result = run_newsmon("es", "setup", env=env)
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "connection failed" in lines[0] and f"127.0.0.1:{port}" in lines[0]


def test_a_server_that_is_not_elasticsearch_is_refused(tmp_path: Path) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    class Plain(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = b'{"version": {"number": "9.0.0"}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Plain)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings = load_settings({"NEWSMON_ES_URL": f"http://127.0.0.1:{server.server_address[1]}",
                                  "NEWSMON_SETTINGS": str(_empty_settings(tmp_path))})
        with pytest.raises(EsError, match="not Elasticsearch"):
            connect(settings)
    finally:
        server.shutdown()
        server.server_close()


# -- setup and migrate -----------------------------------------------------------------------

def test_setup_sends_the_template_index_and_percolator_bodies(fake: FakeES, env: dict[str, str]) -> None:
    with connected(env) as conn:
        report = admin.setup(conn)
    assert report.created_index and report.index == "newsmon-articles-000001"
    (tpl,) = fake.calls("PUT", "/_index_template/newsmon-articles")
    assert tpl.json() == index_template(ALIAS)
    body = tpl.json()
    assert body["index_patterns"] == ["newsmon-articles-*"]
    props = body["template"]["mappings"]["properties"]
    assert body["template"]["mappings"]["dynamic"] == "strict"
    for name in ("id", "source", "domain", "lang", "url", "topics", "matched_terms", "date_source", "story_id"):
        assert props[name]["type"] == "keyword", name
    for name in ("published_at", "fetched_at", "modified_at", "published_local"):
        assert props[name]["type"] == "date", name
    for kind in ("title", "text"):
        fields = props[kind]["properties"]
        assert {lang: fields[lang]["analyzer"] for lang in BUILTIN_ANALYZERS} == {
            "ar": "arabic", "fr": "french", "it": "italian", "en": "english", "ru": "russian", "es": "spanish"}
        assert fields["kk"]["analyzer"] == KAZAKH_ANALYZER and fields["std"]["analyzer"] == "standard"
    analyzers = body["template"]["settings"]["analysis"]["analyzer"]
    assert analyzers[KAZAKH_ANALYZER]["tokenizer"] == "standard"
    assert analyzers[KAZAKH_ANALYZER]["filter"][0] == "lowercase"
    assert analyzers[TERMS_ANALYZER] == {"type": "custom", "tokenizer": "whitespace", "filter": []}
    (create,) = fake.calls("PUT", "/newsmon-articles-000001")
    assert create.json() == {"aliases": {ALIAS: {"is_write_index": True}}}
    (rules,) = fake.calls("PUT", "/newsmon-rules")
    assert rules.json() == rules_index_body()
    assert rules.json()["mappings"]["properties"]["query"] == {"type": "percolator"}


def test_setup_twice_creates_nothing_new(fake: FakeES, env: dict[str, str]) -> None:
    with connected(env) as conn:
        admin.setup(conn)
        second = admin.setup(conn)
    assert not second.created_index and not second.created_rules_index
    assert len(fake.calls("PUT", "/newsmon-articles-000001")) == 1
    assert sorted(fake.indices) == ["newsmon-articles-000001", "newsmon-rules"]


def test_migrate_reindexes_and_moves_the_alias_in_one_call(fake: FakeES, env: dict[str, str], store: Store) -> None:
    records = sample_records()[:5]
    fill(store, records)
    with connected(env) as conn:
        admin.setup(conn)
        sync(store, conn, **NO_SLEEP)
        late = dict(records[0], title="Updated while the reindex ran", content_hash="changed")

        real_reindex = conn.client.reindex

        def reindex_and_write(**kw: object):  # a crawl writes while the server copies
            result = real_reindex(**kw)
            store.upsert_article(late, [late["url"]])
            sync(store, conn, **NO_SLEEP)  # reaches only the old index, the alias still points there
            return result

        conn.client.reindex = reindex_and_write  # type: ignore[method-assign]
        report = admin.migrate(conn, store)
    assert (report.old_index, report.new_index, report.copied) == ("newsmon-articles-000001", "newsmon-articles-000002", 5)
    (move,) = fake.calls("POST", "/_aliases")
    assert move.json() == {"actions": [
        {"add": {"index": "newsmon-articles-000002", "alias": ALIAS, "is_write_index": True}},
        {"remove": {"index": "newsmon-articles-000001", "alias": ALIAS}}]}
    (reindex,) = fake.calls("POST", "/_reindex")
    assert reindex.json() == {"source": {"index": "newsmon-articles-000001"},
                              "dest": {"index": "newsmon-articles-000002", "op_type": "index"}}
    assert list(fake.aliases[ALIAS]) == ["newsmon-articles-000002"]
    assert report.replayed == 1  # the write made during the reindex was sent again, to the new index
    new_docs = fake.indices["newsmon-articles-000002"].docs
    assert len(new_docs) == 5 and new_docs[records[0]["id"]]["title"]["std"] == "Updated while the reindex ran"


def test_setup_notes_an_index_with_an_older_mapping(fake: FakeES, env: dict[str, str]) -> None:
    with connected(env) as conn:
        admin.setup(conn)
        fake.indices["newsmon-articles-000001"].mappings["_meta"] = {"newsmon_mapping": MAPPING_VERSION - 1}
        report = admin.setup(conn)
    assert report.notes and "newsmon es migrate" in report.notes[0]


# -- sync ------------------------------------------------------------------------------------

def test_sync_sends_one_bulk_line_pair_per_article_with_its_id(fake: FakeES, env: dict[str, str], store: Store) -> None:
    records = sample_records()[:12]
    fill(store, records)
    with connected(env) as conn:
        admin.setup(conn)
        report = sync(store, conn, timezones={"sample-atlas-fr": "Africa/Casablanca"}, **NO_SLEEP)
    assert (report.indexed, report.failed, report.pending) == (12, 0, 0)
    (bulk,) = fake.calls("PUT|POST", "/_bulk")
    assert bulk.query == {"require_alias": "true"}
    lines = bulk.ndjson()
    assert len(lines) == 24
    stored = store.get_articles([r["id"] for r in records])
    for meta, doc in zip(lines[::2], lines[1::2]):
        art = stored[meta["index"]["_id"]]
        assert meta == {"index": {"_index": ALIAS, "_id": art["id"]}}
        assert doc == article_document(art, "Africa/Casablanca" if art["source"] == "sample-atlas-fr" else None)
        lang = art["lang"]
        assert doc["text"][lang] == art["text"] and doc["text"]["std"] == art["text"]
        assert set(doc["text"]) == {"std", lang}  # routed by language, nothing else
    assert "compatible-with=8" in bulk.headers["content-type"]


def test_sync_before_setup_creates_nothing(fake: FakeES, env: dict[str, str], store: Store) -> None:
    fill(store, sample_records()[:2])
    with connected(env) as conn, pytest.raises(EsError, match="run `newsmon es setup` first"):
        sync(store, conn, **NO_SLEEP)
    assert fake.indices == {} and not fake.calls(None, "/_bulk") and pending_count(store) == 2


def test_published_local_keeps_the_source_offset(fake: FakeES, env: dict[str, str], store: Store) -> None:
    rec = dict(sample_records()[0], published_at="2025-02-21T17:42:00Z", source="sample-atlas-fr")
    fill(store, [rec])
    with connected(env) as conn:
        admin.setup(conn)
        sync(store, conn, timezones={"sample-atlas-fr": "Africa/Casablanca"}, **NO_SLEEP)
    doc = fake.indices["newsmon-articles-000001"].docs[rec["id"]]
    assert doc["published_at"] == "2025-02-21T17:42:00Z"
    assert doc["published_local"] == "2025-02-21T18:42:00+01:00" and doc["published_offset"] == "+01:00"


def test_resending_updates_and_never_duplicates(fake: FakeES, env: dict[str, str], store: Store) -> None:
    records = sample_records()[:4]
    fill(store, records)
    with connected(env) as conn:
        admin.setup(conn)
        sync(store, conn, **NO_SLEEP)
        fill(store, [dict(records[1], title="A new headline", content_hash="new")])  # re-crawled, changed
        second = sync(store, conn, **NO_SLEEP)
    docs = fake.indices["newsmon-articles-000001"].docs
    assert second.indexed == 1 and len(docs) == 4
    assert docs[records[1]["id"]]["title"]["std"] == "A new headline"


def test_per_document_failures_stay_pending_with_their_reason(fake: FakeES, env: dict[str, str], store: Store) -> None:
    records = sample_records()[:6]
    fill(store, records)
    bad, busy = records[2]["id"], records[4]["id"]
    fake.item_faults = {bad: [400], busy: [429]}
    with connected(env) as conn:
        admin.setup(conn)
        report = sync(store, conn, **NO_SLEEP)
        assert (report.indexed, report.failed, report.pending) == (5, 1, 1)
        assert "mapper_parsing_exception" in next(iter(report.errors))
        row = store.db.execute("SELECT es_synced_at, es_error FROM outbox WHERE article_id = ?", (bad,)).fetchone()
        assert row[0] is None and "mapper_parsing_exception" in row[1]
        # the 429 item was resent on its own: two bulk calls, the second with just that document
        bulks = fake.calls(None, "/_bulk")
        assert len(bulks) == 2 and [line["index"]["_id"] for line in bulks[1].ndjson()[::2]] == [busy]
        again = sync(store, conn, **NO_SLEEP)  # next pass: the server accepts it now
    assert (again.indexed, again.pending) == (1, 0)
    assert set(fake.indices["newsmon-articles-000001"].docs) == {r["id"] for r in records}


@pytest.mark.parametrize("status", [429, 503])
def test_whole_bulk_refused_then_accepted(fake: FakeES, env: dict[str, str], store: Store, status: int) -> None:
    fill(store, sample_records()[:3])
    fake.bulk_statuses = [status]
    slept: list[float] = []
    with connected(env) as conn:
        admin.setup(conn)
        report = sync(store, conn, initial_backoff=0.001, sleep=slept.append)
    assert (report.indexed, report.pending, report.stopped) == (3, 0, None)
    assert len(fake.calls(None, "/_bulk")) == 2


def test_outage_mid_sync_loses_nothing(fake: FakeES, env: dict[str, str], store: Store) -> None:
    fill(store, sample_records()[:3])
    with connected(env) as conn:
        admin.setup(conn)
        fake.bulk_statuses = [503] * 1000  # the cluster keeps failing
        report = sync(store, conn, max_retries=2, initial_backoff=0.001, sleep=lambda s: None)
        assert report.indexed == 0 and report.pending == 3 and "unavailable" in report.stopped
        fake.bulk_statuses = []
        later = sync(store, conn, **NO_SLEEP)
    assert (later.indexed, later.pending) == (3, 0)


def test_sync_after_crawl_when_the_cluster_is_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    monkeypatch.setenv("NEWSMON_ES_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NEWSMON_SETTINGS", str(_empty_settings(tmp_path)))
    with Store(tmp_path / "data") as store:
        fill(store, sample_records()[:2])
    lines: list[str] = []
    assert sync_after_crawl(tmp_path / "data", None, lines.append) is None
    assert len(lines) == 1 and "articles wait in the outbox" in lines[0]
    with Store(tmp_path / "data") as store:
        assert pending_count(store) == 2


def test_crawl_syncs_to_elasticsearch_at_the_end(fake: FakeES, env: dict[str, str], sample_site, tmp_path: Path) -> None:
    from newsmon.demo import demo_max_age, demo_sources
    from tests.conftest import FAST, write_sources

    if fake.major == 8:
        pytest.skip("one crawl is enough: the client's requests are the same for both servers")
    sources = [s for s in demo_sources(sample_site.url) if s["name"] == "sample-steppe-en"]
    path = write_sources(tmp_path / "sources.yaml", sources)
    with connect(load_settings()) as conn:
        admin.setup(conn)
    data = tmp_path / "data"
    result = run_newsmon("crawl", "--sources", str(path), "--data", str(data), "--max-age", str(demo_max_age()),
                         "--json", *FAST, env=env)
    assert result.code == 0, result.stderr
    assert "es sync:" in result.stderr and "0 pending" in result.stderr
    with Store(data, readonly=True) as store:
        ids = {a["id"] for a in store.iter_articles()}
    assert ids and set(fake.indices["newsmon-articles-000001"].docs) == ids


# -- search ------------------------------------------------------------------------------------

QUERIES = ["Kazakhstan", "Maroc", "كازاخستان", "Марокко", "Қазақстан", "Kazakistan", "Marruecos", "Maroc Kazakhstan",
           "Kazakhstan OR Казахстан", "Kazakhstan NOT football", "-Kazakhstan Maroc", '"Astana"', "title:Kazakhstan",
           "lang:fr", "source:sample-steppe-en", "(Maroc OR Morocco) AND (blé OR wheat)", "Rabat Astana", "Kazakh*",
           "title:Maro*", "text:(Astana OR Rabat) -title:Kazakhstan", "NOT Kazakhstan", "Maroc AND NOT (football OR Kazakh*)"]


@pytest.fixture
def both_backends(fake: FakeES, env: dict[str, str], tmp_path: Path) -> Path:
    data = tmp_path / "data"
    with Store(data) as store:
        fill(store, sample_records())
        index = SearchIndex(data / "index", writable=True)
        try:
            rebuild(index, store.iter_articles())
        finally:
            index.close()
        with connected(env) as conn:
            admin.setup(conn)
            assert sync(store, conn, **NO_SLEEP).pending == 0
    return data


@pytest.mark.parametrize("filters", [{}, {"lang": "ru"}, {"since": "2025-03-01", "until": "2025-06-30"}])
def test_same_query_same_hits_on_both_backends(both_backends: Path, filters: dict) -> None:
    checked = 0
    for query in QUERIES:
        embedded = {h.article["id"] for h in search(both_backends, query, limit=1000, backend="embedded", **filters)}
        remote = {h.article["id"] for h in search(both_backends, query, limit=1000, backend="elasticsearch", **filters)}
        assert remote == embedded, query
        checked += bool(embedded)
    assert checked >= (8 if not filters else 2)  # equal empty sets would prove nothing


def test_search_result_shape_and_snippets_match(both_backends: Path) -> None:
    args = ("search", "Kazakhstan", "--data", str(both_backends), "--json", "--limit", "50")
    env = {}
    a = run_newsmon(*args, "--backend", "embedded", env=env)
    b = run_newsmon(*args, "--backend", "elasticsearch", env=env)
    assert a.code == b.code == 0, a.stderr + b.stderr
    hits_a = {h["id"]: h for h in json.loads(a.stdout)}
    hits_b = {h["id"]: h for h in json.loads(b.stdout)}
    assert hits_a.keys() == hits_b.keys() and hits_a
    for aid, hit in hits_a.items():
        other = hits_b[aid]
        assert other.keys() == hit.keys()
        assert {k: v for k, v in other.items() if k != "score"} == {k: v for k, v in hit.items() if k != "score"}
    assert sum("«" in h["snippet"] for h in hits_b.values()) >= len(hits_b) // 2


def test_search_sends_a_tree_not_a_query_string(fake: FakeES, env: dict[str, str], tmp_path: Path) -> None:
    with connected(env) as conn:
        admin.setup(conn)
    hits = search(tmp_path, 'Maroc -football title:"Astana Times" lang:fr', since="2025-01-01", until="2025-02-28",
                  limit=7, backend="elasticsearch")
    assert hits == []
    (req,) = fake.calls("POST", "/newsmon-articles/_search")
    body = req.json()
    assert body == search_body('Maroc -football title:"Astana Times" lang:fr', since="2025-01-01", until="2025-02-28",
                               limit=7)
    assert "query_string" not in req.body.decode() and "simple_query_string" not in req.body.decode()
    must = body["query"]["bool"]["must"][0]["bool"]
    assert body["query"]["bool"]["filter"] == [{"range": {"date": {"gte": "2025-01-01T00:00:00Z",
                                                                   "lte": "2025-02-28T23:59:59Z"}}}]
    assert must["must"][0]["bool"]["should"][0] == {"term": {"terms.title_ar": {"value": "maroc", "boost": 2.0}}}
    assert {"term": {"lang": "fr"}} in must["must"]
    phrase = must["must"][1]["bool"]["should"]
    assert {"match_phrase": {"terms.title_any": {"query": "astana times", "boost": 2.0}}} in phrase
    assert all("text_" not in json.dumps(c) for c in phrase)  # title: only
    assert must["must_not"][0]["bool"]["should"][0]["term"]["terms.title_ar"]["value"] == "football"
    assert body["size"] == 7 and body["_source"] == {"excludes": ["terms"]}


def test_search_exit_codes_match(both_backends: Path) -> None:
    for backend in ("embedded", "elasticsearch"):
        none = run_newsmon("search", "zzqxnothing", "--data", str(both_backends), "--backend", backend)
        assert (none.code, none.stdout, none.stderr.strip()) == (0, "", "no matches"), backend
        bad = run_newsmon("search", "x", "--since", "yesterday", "--data", str(both_backends), "--backend", backend)
        assert bad.code == 2, backend


# -- percolator ------------------------------------------------------------------------------

RULES = [("kazakh-wheat", "Kazakhstan (blé OR wheat OR пшеница)"), ("morocco", "Maroc OR Morocco OR المغرب"),
         ("astana-not-sport", "Astana -football")]


def test_rules_are_percolator_documents_keyed_by_name(fake: FakeES, env: dict[str, str]) -> None:
    with connected(env) as conn:
        admin.setup(conn)
        assert register_rules(conn, RULES) == {"registered": 3, "removed": 0}
        assert register_rules(conn, RULES[:2]) == {"registered": 2, "removed": 1}
    bulk = fake.calls(None, "/_bulk")[0].ndjson()
    assert bulk[0] == {"index": {"_index": "newsmon-rules", "_id": "kazakh-wheat"}}
    assert bulk[1]["rule"] == "kazakh-wheat" and bulk[1]["query_string"] == RULES[0][1]
    assert bulk[1]["query"] == search_body(RULES[0][1])["query"]
    assert fake.calls(None, "/_bulk")[1].ndjson()[-1] == {"delete": {"_index": "newsmon-rules", "_id": "astana-not-sport"}}
    assert sorted(fake.indices["newsmon-rules"].docs) == ["kazakh-wheat", "morocco"]


def test_percolate_matches_what_search_finds(both_backends: Path, fake: FakeES, env: dict[str, str]) -> None:
    with connected(env) as conn, Store(both_backends) as store:
        register_rules(conn, RULES)
        ids = [a["id"] for a in store.iter_articles()]
        result = percolate(conn, store, ids)
    for name, query in RULES:
        expected = {h.article["id"] for h in search(both_backends, query, limit=1000, backend="embedded")}
        assert {aid for aid, rules in result.items() if name in rules} == expected, name
    call = fake.calls("POST", "/newsmon-rules/_search")[-1].json()
    assert set(call["query"]["percolate"]) == {"field", "documents"} and call["query"]["percolate"]["field"] == "query"
    assert len(call["query"]["percolate"]["documents"]) == min(200, len(ids))


def test_percolate_new_uses_the_outbox_id_cursor(fake: FakeES, env: dict[str, str], store: Store) -> None:
    records = sample_records()
    with connected(env) as conn:
        admin.setup(conn)
        register_rules(conn, RULES)
        fill(store, records[:10])
        first, cursor = percolate_new(conn, store)
        again, same = percolate_new(conn, store)
        assert again == {} and same == cursor
        # an article stored late, with an old publication date, is still percolated next time
        late = dict(records[20], published_at="2019-01-01T00:00:00Z")
        fill(store, [late])
        fill(store, [dict(records[0], title=records[0]["title"] + " Kazakhstan wheat Maroc", content_hash="x")])
        sent_before = len(fake.calls("POST", "/newsmon-rules/_search"))
        later, newer = percolate_new(conn, store)
    assert newer > cursor
    docs = fake.calls("POST", "/newsmon-rules/_search")[sent_before].json()["query"]["percolate"]["documents"]
    assert sorted(d["id"] for d in docs) == sorted([late["id"], records[0]["id"]])
    assert "morocco" in later.get(records[0]["id"], [])


# -- secrets ---------------------------------------------------------------------------------

def test_secrets_never_appear_in_errors_or_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key, password = "c2VjcmV0LWtleS0xMjM0NQ==", "pa55-word-s3cret"
    with FakeES(9, api_key="the-right-key") as fake:
        env = {"NEWSMON_ES_URL": fake.url, "NEWSMON_ES_API_KEY": key, "NEWSMON_SETTINGS": str(_empty_settings(tmp_path))}
        result = run_newsmon("es", "setup", "-h", env=env)
        assert key not in result.stdout
        result = run_newsmon("es", "setup", env=env)
        assert result.code == 2 and "authentication failed (401)" in result.stderr
        assert key not in result.stdout + result.stderr
        url = fake.url.replace("http://", f"http://elastic:{password}@")
        env = {"NEWSMON_ES_URL": url, "NEWSMON_SETTINGS": env["NEWSMON_SETTINGS"]}
        result = run_newsmon("es", "status", "-v", env=env) if False else run_newsmon("es", "status", env=env)
        assert result.code == 2 and "user 'elastic'" in result.stderr
        assert password not in result.stdout + result.stderr
        with caplog.at_level(logging.DEBUG):
            settings = load_settings(env)
            assert password not in repr(settings) and settings.url == fake.url
            with pytest.raises(EsError) as err:
                connect(settings)
        assert password not in str(err.value) and password not in caplog.text
        auth = fake.requests[-1].headers["authorization"]
        assert auth.startswith("Basic ")  # the password went where it belongs, and only there


def test_basic_auth_and_api_key_are_sent(tmp_path: Path) -> None:
    with FakeES(8, basic=("newsmon", "pw-123")) as fake:
        settings = load_settings({"NEWSMON_ES_URL": fake.url, "NEWSMON_ES_USER": "newsmon", "NEWSMON_ES_PASSWORD": "pw-123",
                                  "NEWSMON_SETTINGS": str(_empty_settings(tmp_path))})
        with connect(settings) as conn:
            assert conn.version == "8.19.3"
    with FakeES(9, api_key="k3y") as fake:
        settings = load_settings({"NEWSMON_ES_URL": fake.url, "NEWSMON_ES_API_KEY": "k3y",
                                  "NEWSMON_SETTINGS": str(_empty_settings(tmp_path))})
        with connect(settings) as conn:
            assert conn.version == fake.version
        assert fake.requests[0].headers["authorization"] == "ApiKey k3y"
