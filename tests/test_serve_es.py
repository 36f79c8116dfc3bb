"""`newsmon serve` on Elasticsearch: the page and /api/search answer from the cluster when it is
configured, with the same totals, facets and hits as the embedded index over the same articles.

The cluster is tests/es_fake.py answering as ES 8.19 and as ES 9.x (every test runs against
both); the real-cluster version of the comparison is in tests/test_es_integration.py. The
articles are the sample site's (written for this project), a story of two copies, and a hostile
article whose title and text carry <script> and <img onerror>.
"""

from __future__ import annotations

import json
import os
import re
import socket
import urllib.parse
from collections.abc import Iterator
from datetime import date
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from newsmon.es import admin
from newsmon.es.client import connect
from newsmon.es.config import load_settings
from newsmon.es.search import CLOSE, OPEN, EsBackend, fragment_snippet
from newsmon.es.sync import requeue_all, sync
from newsmon.query import parse
from newsmon.search import EmbeddedBackend
from newsmon.search_index import SearchIndex, rebuild
from newsmon.search_types import Filters
from newsmon.store import Store
from newsmon.stories import assign_pending
from newsmon.web.chart import MAX_DAYS
from tests.conftest import run_newsmon
from tests.es_fake import FakeES
from tests.test_es_contract import QUERIES, fill, sample_records
from tests.test_serve import (CHROMIUM, HOSTILE_TEXT, HOSTILE_TITLE, Server, Watched, add_hostile_article,  # noqa: F401
                              browser, click_language_facet, page, shots, start_server, stop)

NO_SLEEP = {"initial_backoff": 0.001, "sleep": lambda s: None}
API_QUERIES = ["", "Kazakhstan", "Maroc OR Марокко OR المغرب", "Kazakh*", "Kazakhstan -football", "title:Astana"]
WIRE_SOURCE = "fixture-wire"


@dataclass
class World:
    data: Path
    settings: Path  # an empty settings file: NEWSMON_ES_URL alone configures the cluster

    def env(self, url: str | None) -> dict[str, str]:
        env = {"NEWSMON_SETTINGS": str(self.settings)}
        if url:
            env["NEWSMON_ES_URL"] = url
        return env


@dataclass
class Cluster:
    fake: FakeES
    es: Server
    embedded: Server
    world: World


def add_wire_copy(store: Store) -> str:
    """A wire agency's copy of a sample article: the two become one story."""
    record = next(r for r in sample_records() if r["relevant"] and r["lang"] == "en")
    copy = {**record, "id": record["id"][:50] + "-wire", "url": record["url"] + "?wire", "source": WIRE_SOURCE,
            "canonical_url": record["url"] + "?wire", "title": record["title"] + " (wire)",
            "text": record["text"] + "\nReporting by the wire desk.", "content_hash": "wire-copy"}
    store.upsert_article(copy, [copy["url"]])
    assign_pending(store)
    return copy["id"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("serve-es")
    settings = root / "newsmon.yaml"
    settings.write_text("# no elasticsearch block: NEWSMON_ES_URL configures it\n", encoding="utf-8")
    data = root / "data"
    with Store(data) as store:
        fill(store, sample_records())
        add_wire_copy(store)
    add_hostile_article(data)
    with Store(data) as store:
        index = SearchIndex(data / "index", writable=True)
        try:
            rebuild(index, store.iter_articles())
        finally:
            index.close()
    return World(data, settings)


def _serve(args: list[str], env: dict[str, str]) -> Server:
    proc = start_server(*args, env=env)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not re.match(r"^http://127\.0\.0\.1:\d+/$", url):
        stop(proc)
        pytest.fail(f"serve did not start: {url!r}")
    return Server(url, Path(args[args.index("--data") + 1]), proc)


@pytest.fixture(scope="module", params=[8, 9], ids=["es8.19", "es9"])
def cluster(request: pytest.FixtureRequest, world: World) -> Iterator[Cluster]:
    with FakeES(request.param) as fake:
        with connect(load_settings(env=world.env(fake.url))) as conn, Store(world.data) as store:
            admin.setup(conn)
            requeue_all(store)  # the other flavour's module run marked them sent
            report = sync(store, conn, **NO_SLEEP)
            assert (report.failed, report.pending) == (0, 0), report.errors
            count = store.count_articles()
        assert len(fake.indices[fake._write_index("newsmon-articles")].docs) == count
        base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_ES_")}
        es = _serve(["--data", str(world.data)], {**base, **world.env(fake.url)})
        embedded = _serve(["--data", str(world.data), "--backend", "embedded"], {**base, **world.env(None)})
        try:
            yield Cluster(fake, es, embedded, world)
        finally:
            stop(es.process)
            stop(embedded.process)


def every_page(server: Server, query: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The first page's answer and the hits of all pages, walked through ``page=``."""
    first = server.json("api/search?" + urllib.parse.urlencode(query))
    hits = list(first["hits"])
    for number in range(2, first["pages"] + 1):
        hits += server.json("api/search?" + urllib.parse.urlencode({**query, "page": str(number)}))["hits"]
    assert len(hits) == first["total"]
    return first, hits


# -- the API: the same answers from both backends ------------------------------------------------

def test_api_search_answers_like_the_embedded_index(cluster: Cluster) -> None:
    sources = cluster.embedded.json("api/search")["facets"]["source"]
    assert WIRE_SOURCE in sources and "fixture-hostile" in sources
    a_source = max((s for s in sources if s.startswith("sample-")), key=lambda s: sources[s])
    filter_sets: list[dict[str, str]] = [{}, {"lang": "fr"}, {"since": "2025-03-01", "until": "2025-06-30"},
                                         {"source": a_source}, {"lang": "en", "topic": "morocco-kazakhstan"}]
    compared = 0
    for q in API_QUERIES:
        for filters in filter_sets:
            query = {"q": q, **filters}
            mine, mine_hits = every_page(cluster.es, query)
            theirs, their_hits = every_page(cluster.embedded, query)
            where = f"{query} on ES {cluster.fake.major}"
            assert (mine["backend"], theirs["backend"]) == ("elasticsearch", "embedded")
            assert mine["total"] == theirs["total"], where
            assert mine["pages"] == theirs["pages"], where
            assert mine["facets"] == theirs["facets"], where
            assert sorted(h["id"] for h in mine_hits) == sorted(h["id"] for h in their_hits), where
            by_id = {h["id"]: h for h in their_hits}
            for hit in mine_hits:
                other = by_id[hit["id"]]
                same = ("url", "title", "source", "lang", "published_at", "story_id", "story_size", "topics")
                assert {k: hit[k] for k in same} == {k: other[k] for k in same}, where
            compared += bool(mine_hits)
            # newest first: the same dates in the same order, page after page
            _, mine_dated = every_page(cluster.es, {**query, "sort": "date"})
            _, their_dated = every_page(cluster.embedded, {**query, "sort": "date"})
            assert [h["published_at"] for h in mine_dated] == [h["published_at"] for h in their_dated], where
    assert compared >= 20  # equal empty answers would prove nothing


def test_facets_days_and_story_sizes(cluster: Cluster) -> None:
    kz = urllib.parse.quote("Kazakhstan OR Казахстан OR Қазақстан OR كازاخستان OR Kazajistán")
    result = cluster.es.json(f"api/search?q={kz}")
    facets = result["facets"]
    assert set(facets) == {"lang", "source", "topic", "days"}
    assert len(facets["lang"]) >= 4, facets["lang"]  # a multilingual story
    per_day = {}
    for day, langs in facets["days"].items():
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", day)
        for lang, n in langs.items():
            per_day[lang] = per_day.get(lang, 0) + n
    assert per_day == facets["lang"]  # every article is dated: the histogram adds up to the facet
    # a language chosen: the other languages stay on offer with their counts, the days narrow
    french = cluster.es.json(f"api/search?q={kz}&lang=fr")
    assert french["facets"]["lang"] == facets["lang"]
    assert {lang for langs in french["facets"]["days"].values() for lang in langs} == {"fr"}
    assert french["total"] == facets["lang"]["fr"]
    story = cluster.es.json("api/search?q=" + urllib.parse.quote('"Reporting by the wire desk"'))
    assert story["total"] == 1 and story["hits"][0]["story_size"] == 2


def test_the_request_asks_for_aggregations_and_a_marker_highlight(cluster: Cluster) -> None:
    before = len(cluster.fake.requests)
    cluster.es.json("api/search?q=Kazakhstan&lang=fr&sort=date&page=1")
    sent = [r.json() for r in cluster.fake.requests[before:] if r.path.endswith("/_search")]
    body = sent[0]
    assert "query_string" not in json.dumps(body)
    assert body["post_filter"] == {"bool": {"filter": [{"term": {"lang": "fr"}}]}}
    assert body["aggs"]["lang"]["filter"] == {"match_all": {}}  # a facet ignores its own filter
    assert body["aggs"]["source"]["filter"] == body["post_filter"]
    assert body["aggs"]["days"]["aggs"]["per_day"]["date_histogram"]["calendar_interval"] == "day"
    assert body["aggs"]["days"]["aggs"]["per_day"]["aggs"]["lang"]["terms"]["field"] == "lang"
    assert body["sort"][0] == {"date": {"order": "desc", "missing": "_last"}}
    assert body["track_total_hits"] is True
    tags = body["highlight"]["pre_tags"] + body["highlight"]["post_tags"]
    assert tags == [OPEN, CLOSE] and not any("<" in t for t in tags)


def test_highlights_are_escaped_and_marked(cluster: Cluster) -> None:
    result = cluster.es.json("api/search?q=Officials%20Kazakhstan")
    hostile = next(h for h in result["hits"] if h["source"] == "fixture-hostile")
    html = hostile["snippet_html"]
    assert "<mark>Officials</mark>" in html and "<mark>Kazakhstan</mark>" in html
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#x27;text&#x27;)&lt;/script&gt;" in html
    assert re.sub(r"</?mark>", "", html).count("<") == 0  # the only tags are ours
    assert "<script>alert('text')</script>" in hostile["snippet"]  # the plain snippet is the text
    # the embedded index marks the same words in the same text
    embedded = cluster.embedded.json("api/search?q=Officials%20Kazakhstan")
    same = next(h for h in embedded["hits"] if h["source"] == "fixture-hostile")
    assert re.findall(r"<mark>(.*?)</mark>", same["snippet_html"]) == re.findall(r"<mark>(.*?)</mark>", html)


def test_fragment_markers_in_crawled_text_never_make_markup() -> None:
    text = f"a {OPEN}<b>bold</b>{CLOSE} claim and {CLOSE}Kazakhstan{OPEN} <script>x</script>"
    snippet = fragment_snippet(f"{OPEN}a{CLOSE} {text[2:]}", text)
    html = snippet.html()
    assert "<b>" not in html and "<script>" not in html
    assert re.sub(r"</?mark>", "", html).count("<") == 0
    assert html.count("<mark>") == html.count("</mark>")


def test_article_view_reads_the_store_else_the_cluster(cluster: Cluster, tmp_path: Path) -> None:
    hit = cluster.es.json("api/search?q=" + urllib.parse.quote('"Reporting by the wire desk"'))["hits"][0]
    from_store = cluster.es.json(f"api/articles/{hit['id']}")
    assert from_store["text"].endswith("Reporting by the wire desk.") and len(from_store["story"]) == 1
    # a machine with no store: search and articles come from the cluster alone
    empty = tmp_path / "nodata"
    base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_ES_")}
    remote = _serve(["--data", str(empty)], {**base, **cluster.world.env(cluster.fake.url)})
    try:
        assert remote.json("api/search?q=Kazakhstan")["total"] == cluster.es.json("api/search?q=Kazakhstan")["total"]
        from_cluster = remote.json(f"api/articles/{hit['id']}")
        keep = ("id", "title", "source", "lang", "published_at", "text", "story_id", "story_size", "topics")
        assert {k: from_cluster[k] for k in keep} == {k: from_store[k] for k in keep}
        assert [m["id"] for m in from_cluster["story"]] == [m["id"] for m in from_store["story"]]
        status, _, body = remote.get(f"articles/{hit['id']}?q=wire")
        assert status == 200 and b"<mark>wire</mark>" in body
        assert remote.get("api/articles/nope")[0] == 404
        assert remote.get("api/runs")[0] == 503  # crawl runs live in a store: said, not invented
    finally:
        stop(remote.process)


def test_backend_library_contract(cluster: Cluster) -> None:
    """Every query of the ES contract suite through both backends' ``page``: same totals, facets
    and hits (the same call the page makes)."""
    embedded = EmbeddedBackend(cluster.world.data)
    with connect(load_settings(env=cluster.world.env(cluster.fake.url))) as conn:
        remote = EsBackend(conn, cluster.world.data)
        for query in QUERIES:
            for filters in (Filters(), Filters(lang="ru"), Filters(since="2025-03-01", until="2025-06-30")):
                a = embedded.page(parse(query), filters, per_page=200)
                b = remote.page(parse(query), filters, per_page=200)
                assert (b.total, b.facets) == (a.total, a.facets), (query, filters)
                assert {h.article["id"] for h in b.hits} == {h.article["id"] for h in a.hits}, (query, filters)
    embedded.close()


def test_unreachable_cluster_is_one_line_and_exit_2(world: World) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = run_newsmon("serve", "--data", str(world.data), "--port", "0",
                         env=world.env(f"http://127.0.0.1:{port}"))
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "connection failed" in result.stderr
    forced = run_newsmon("serve", "--data", str(world.data), "--port", "0", "--backend", "elasticsearch",
                         env={**world.env(None), "NEWSMON_ES_URL": ""})
    assert forced.code == 2 and "not configured" in forced.stderr


# -- the browser, on the Elasticsearch backend --------------------------------------------------

@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (scripts/system-deps)")
def test_page_on_elasticsearch_in_chromium(cluster: Cluster, page: Watched, shots: Path, tmp_path: Path) -> None:
    tab = page.page
    tab.goto(cluster.es.url)
    expect(tab.locator("#backend")).to_have_text(f"Elasticsearch {cluster.fake.version}")
    tab.fill("#q", "Kazakhstan")
    tab.press("#q", "Enter")
    tab.wait_for_load_state("load")
    api = cluster.es.json("api/search?q=Kazakhstan")
    expect(tab.locator("#total")).to_contain_text(f"{api['total']} article")
    assert tab.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.id)") == [h["id"] for h in api["hits"]]
    assert tab.locator("li.hit .snippet mark").count() > 0
    # the chart: one bar segment per day and language, as the day histogram says (its latest year)
    bars = tab.locator("svg.chart rect title").evaluate_all("els => els.map(e => e.textContent)")
    drawn = {tuple(text.split(" · ")[0:1] + text.split(" · ")[1].split(": ")[:1]): int(text.rsplit(": ", 1)[1])
             for text in bars}
    days = api["facets"]["days"]
    latest = date.fromisoformat(max(days))
    expected = {(day, lang): n for day, langs in days.items() for lang, n in langs.items()
                if (latest - date.fromisoformat(day)).days < MAX_DAYS}
    assert drawn == expected and len(drawn) >= 5
    tab.screenshot(path=str(shots / f"es{cluster.fake.major}-search.png"), full_page=True)
    # a facet: the list narrows to that language, with the count the facet announced
    click_language_facet(tab, "fr")
    # the hostile article: shown as text, in the list and on its page; nothing of it runs
    tab.goto(cluster.es.url + "?q=leak")
    hit = tab.locator('li.hit[data-id]', has_text="Kazakhstan wheat").first
    expect(hit.locator("a.title")).to_have_text(HOSTILE_TITLE)
    assert tab.locator("li.hit img, li.hit script").count() == 0
    hit.locator("a.title").click()
    tab.wait_for_load_state("load")
    expect(tab.locator("#article-title")).to_have_text(HOSTILE_TITLE)
    assert HOSTILE_TEXT.split("<script>")[0] in tab.locator(".text").inner_text()
    assert tab.locator("article img, article script").count() == 0
    tab.screenshot(path=str(shots / f"es{cluster.fake.major}-hostile.png"), full_page=True)
    # the same article read from the cluster's _source, on a machine with no store
    hostile_id = tab.url.split("/articles/")[1].split("?")[0]
    base = {k: v for k, v in os.environ.items() if not k.startswith("NEWSMON_ES_")}
    remote = _serve(["--data", str(tmp_path / "nodata")], {**base, **cluster.world.env(cluster.fake.url)})
    try:
        tab.goto(remote.url + f"articles/{hostile_id}?q=leak")
        expect(tab.locator("#article-title")).to_have_text(HOSTILE_TITLE)
        expect(tab.locator("#article-title mark")).to_have_text("leak")
        assert HOSTILE_TEXT.split("<script>")[0] in tab.locator(".text").inner_text()
        assert tab.locator("article img, article script").count() == 0
        assert tab.locator("#original").count() == 0  # its javascript: URL is never a link
    finally:
        stop(remote.process)
    tab.wait_for_timeout(200)
    assert page.dialogs == [] and page.errors == [], (page.dialogs, page.errors)


def test_the_fake_answers_in_elasticsearch_shapes(cluster: Cluster) -> None:
    """The documented response shapes the backend reads, from the fake through the real client."""
    with connect(load_settings(env=cluster.world.env(cluster.fake.url))) as conn:
        body = conn.client.search(index="newsmon-articles", size=0, aggs={
            "top": {"terms": {"field": "lang", "size": 1}},
            "per_day": {"date_histogram": {"field": "date", "calendar_interval": "day"}},
        }).body
        hits = conn.client.search(index="newsmon-articles", size=2, sort=[{"date": {"order": "desc"}}],
                                  query={"match_all": {}}, track_total_hits=3).body["hits"]
    top = body["aggregations"]["top"]
    assert set(top) == {"doc_count_error_upper_bound", "sum_other_doc_count", "buckets"}
    (bucket,) = top["buckets"]
    assert set(bucket) == {"key", "doc_count"}
    assert bucket["doc_count"] + top["sum_other_doc_count"] == body["hits"]["total"]["value"]  # one lang each
    days = body["aggregations"]["per_day"]["buckets"]
    keys = [b["key"] for b in days]
    assert keys == list(range(keys[0], keys[-1] + 86_400_000, 86_400_000))  # empty days too (min_doc_count 0)
    assert any(b["doc_count"] == 0 for b in days)
    assert re.match(r"^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$", days[0]["key_as_string"])
    assert hits["total"] == {"value": 3, "relation": "gte"}
    assert [h["_score"] for h in hits["hits"]] == [None, None] and len(hits["hits"][0]["sort"]) == 1
