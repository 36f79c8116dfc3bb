"""Alerts with Elasticsearch configured: the rules are percolated, and match exactly what the
embedded index matches; a cluster that is down or fails mid-run delays no alert.

The cluster is tests/es_fake.py (a local HTTP server answering like ES 8.19 and 9.x), the
receiver a real local HTTP server; the engine runs on a real SQLite store.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newsmon.alerts import engine
from newsmon.alerts.config import load_alerts
from newsmon.alerts.match import EmbeddedMatcher
from newsmon.es import admin
from newsmon.es.client import connect
from newsmon.es.config import load_settings
from newsmon.es.percolate import PercolateMatcher
from newsmon.store import Store
from tests.alerts_receivers import HttpReceiver
from tests.es_fake import FakeES
from tests.test_es_contract import _empty_settings, fill, sample_records

T0 = datetime(2026, 11, 20, 7, 0, tzinfo=timezone.utc)

RULES = """
rules:
  - name: kazakhstan
    query: 'Kazakhstan OR Казахстан OR Қазақстан OR كازاخستان'
  - name: wheat-fr-ar
    query: 'blé OR القمح OR wheat'
    languages: [fr, ar]
  - name: maroc-not-football
    query: '(Maroc OR Marocco) AND NOT (football OR visas)'
    topics: [morocco-kazakhstan]
  - name: astana-title
    query: 'title:Astana OR "Astana"'
    sources: [sample-steppe-en, sample-atlas-fr]
  - name: prefix
    query: 'Kazakh*'
  - name: nothing
    query: 'zzyzx-no-such-word'
"""


@pytest.fixture(params=[8, 9], ids=["es8.19", "es9"])
def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeES]:
    for name in ("NEWSMON_ES_API_KEY", "NEWSMON_ES_USER", "NEWSMON_ES_PASSWORD", "NEWSMON_ES_CA_CERTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSMON_SETTINGS", str(_empty_settings(tmp_path)))
    with FakeES(request.param) as server:
        monkeypatch.setenv("NEWSMON_ES_URL", server.url)
        with connect(load_settings()) as conn:
            admin.setup(conn)
        yield server


def test_every_rule_matches_the_same_articles_on_both_backends(fake: FakeES, tmp_path: Path) -> None:
    rules_file = tmp_path / "alerts.yaml"
    rules_file.write_text(RULES, encoding="utf-8")
    config = load_alerts(rules_file)
    with Store(tmp_path / "data") as store:
        fill(store, sample_records())
        articles = list(store.get_articles([a["id"] for a in store.iter_articles()]).values())
    embedded = engine.find_matches(config.rules, articles, EmbeddedMatcher())
    with connect(load_settings()) as conn:
        matcher = PercolateMatcher(conn)
        matcher.register(config.rules)
        percolated = engine.find_matches(config.rules, articles, matcher)

    def by_rule(matches: list[engine.Match]) -> dict[str, set[str]]:
        return {r.name: {m.article["id"] for m in matches if m.rule == r.name} for r in config.rules}

    assert by_rule(percolated) == by_rule(embedded)
    found = by_rule(embedded)
    assert not found["nothing"]
    assert all(found[r.name] for r in config.rules if r.name != "nothing"), {k: len(v) for k, v in found.items()}
    # the rules are percolator documents, the articles went to ES in percolate requests
    assert sorted(fake.indices["newsmon-rules"].docs) == sorted(r.name for r in config.rules)
    calls = [c.json() for c in fake.calls("POST", "/newsmon-rules/_search")]
    percolates = [c["query"]["percolate"] for c in calls if "percolate" in c.get("query", {})]
    assert percolates and sum(len(p["documents"]) for p in percolates) >= len(articles)


def write_rules(tmp_path: Path, hook: HttpReceiver) -> Path:
    path = tmp_path / "alerts.yaml"
    path.write_text(f"""
rules:
  - name: kazakhstan
    query: 'Kazakhstan OR Казахстан'
    channels:
      - {{type: webhook, url: '{hook.url}/kz'}}
  - name: stale
    query: 'zzyzx-no-such-word'
""", encoding="utf-8")
    return path


def test_engine_percolates_when_es_is_configured_and_delivers_once(fake: FakeES, tmp_path: Path) -> None:
    records = sample_records()
    data = tmp_path / "data"
    with HttpReceiver() as hook:
        config = load_alerts(write_rules(tmp_path, hook))
        with Store(data) as store:
            engine.register_rules(store, config, T0)
            fill(store, records[:10])
        first = engine.run(data, config, now=T0)
        assert first.backend == "elasticsearch" and not first.notes, first.notes
        assert first.evaluated == 10 and first.messages == 1 and first.sent == 1
        # the rules index mirrors the rules file; every evaluated article was percolated
        assert sorted(fake.indices["newsmon-rules"].docs) == ["kazakhstan", "stale"]
        sent_docs = {d["id"] for c in fake.calls("POST", "/newsmon-rules/_search")
                     for d in (c.json().get("query", {}).get("percolate") or {}).get("documents", [])}
        assert sent_docs == {r["id"] for r in records[:10]}
        again = engine.run(data, config, now=T0)  # nothing new: no message, no percolation
        assert (again.evaluated, again.messages, again.sent) == (0, 0, 0)
        assert len(hook.requests) == 1
        expected = {r["url"] for r in records[:10] if "Kazakhstan" in r["text"] + r["title"]
                    or "Казахстан" in r["text"] + r["title"]}
        assert {a["url"] for a in hook.requests[0].json()["articles"]} == expected and expected


def test_a_cluster_that_is_down_delays_no_alert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("NEWSMON_SETTINGS", str(_empty_settings(tmp_path)))
    monkeypatch.setenv("NEWSMON_ES_URL", f"http://127.0.0.1:{port}")
    data = tmp_path / "data"
    with HttpReceiver() as hook:
        config = load_alerts(write_rules(tmp_path, hook))
        with Store(data) as store:
            engine.register_rules(store, config, T0)
            fill(store, sample_records()[:10])
        report = engine.run(data, config, now=T0)
        assert report.backend == "embedded" and report.sent == 1 and len(hook.requests) == 1
        (note,) = report.notes
        assert note.startswith("alert rules not percolated, matched on the embedded index:") and str(port) in note


def test_a_cluster_failing_mid_run_falls_back_for_the_rest_of_it(fake: FakeES, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with HttpReceiver() as hook:
        config = load_alerts(write_rules(tmp_path, hook))
        with Store(data) as store:
            engine.register_rules(store, config, T0)
            fill(store, sample_records()[:10])
        # the rules index disappears right after the rules were registered: percolating answers 404
        original = PercolateMatcher.register

        def register_then_lose_the_index(self: PercolateMatcher, rules: object) -> dict[str, int]:
            out = original(self, rules)
            fake.indices.pop("newsmon-rules", None)
            return out

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(PercolateMatcher, "register", register_then_lose_the_index)
            report = engine.run(data, config, now=T0)
        assert report.backend == "embedded" and report.sent == 1 and len(hook.requests) == 1
        (note,) = report.notes
        assert note.startswith("percolation failed, matching on the embedded index for the rest of this run:")
