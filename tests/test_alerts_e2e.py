"""End to end: crawl the sample site with --alerts, real receivers get exactly one message per
rule and channel; a second crawl sends nothing new."""

from __future__ import annotations

import json
from pathlib import Path

from newsmon.demo import demo_max_age, demo_sources
from newsmon.sample_site.catalog import load_articles
from tests.alerts_receivers import HttpReceiver
from tests.conftest import FAST, Served, run_newsmon, write_sources

OUTLETS = ("sample-steppe-en", "sample-atlas-fr", "sample-atlas-ar")


def test_crawl_with_alerts_delivers_once_per_rule_and_channel(sample_site: Served, tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "sources.yaml",
                            [s for s in demo_sources(sample_site.url) if s["name"] in OUTLETS])
    data = tmp_path / "data"
    with HttpReceiver() as hook, HttpReceiver() as notify:
        port = notify.server.server_port
        alerts = tmp_path / "alerts.yaml"
        alerts.write_text(f"""
rules:
  - name: wheat
    query: 'wheat OR blé OR القمح'
    topics: [morocco-kazakhstan]
    channels:
      - {{type: webhook, url: '{hook.url}/wheat'}}
      - {{type: apprise, url: 'json://127.0.0.1:{port}/wheat'}}
  - name: astana-en
    query: Astana
    languages: [en]
    per: story
    channels:
      - {{type: webhook, url: '{hook.url}/astana'}}
  - name: nothing
    query: 'zzyzx-no-such-word'
    channels:
      - {{type: webhook, url: '{hook.url}/nothing'}}
""", encoding="utf-8")
        crawl = run_newsmon("crawl", "--sources", str(sources), "--data", str(data), "--alerts", str(alerts),
                            "--max-age", str(demo_max_age()), "--json", *FAST)
        assert crawl.code == 0, crawl.stderr
        assert "2 new message(s); 3 delivered, 0 failed" in crawl.stderr
        assert sorted(r.path for r in hook.requests) == ["/astana", "/wheat"]
        assert [r.path for r in notify.requests] == ["/wheat"]

        # the message lists exactly what `newsmon alerts test` finds through the main index
        tested = run_newsmon("alerts", "test", "wheat", "--alerts", str(alerts), "--data", str(data), "--json")
        assert tested.code == 0, tested.stderr
        expected = {row["url"] for row in json.loads(tested.stdout)}
        wheat = next(r.json() for r in hook.requests if r.path == "/wheat")
        assert {a["url"] for a in wheat["articles"]} == expected
        titles = {a["title"] for a in wheat["articles"]}
        catalog = {a.title for a in load_articles() if a.slug in ("wheat-cargo-casablanca", "khareetat-tariq-alqamh")}
        assert catalog <= titles and {a["lang"] for a in wheat["articles"]} >= {"en", "ar"}
        assert all(a["matched_terms"] and a["story_id"] for a in wheat["articles"])
        astana = next(r.json() for r in hook.requests if r.path == "/astana")
        assert astana["articles"] and {a["lang"] for a in astana["articles"]} == {"en"}
        assert notify.requests[0].json()["title"].startswith(f"[newsmon] wheat: {len(expected)} new article")

        again = run_newsmon("crawl", "--sources", str(sources), "--data", str(data), "--alerts", str(alerts),
                            "--max-age", str(demo_max_age()), "--json", *FAST)
        assert again.code == 0, again.stderr
        assert "0 new message(s); 0 delivered" in again.stderr
        assert len(hook.requests) == 2 and len(notify.requests) == 1
        log = run_newsmon("alerts", "log", "--data", str(data), "--json")
        assert sorted((r["rule"], r["status"]) for r in json.loads(log.stdout)) == [
            ("astana-en", "sent"), ("wheat", "sent"), ("wheat", "sent")]
        feed = run_newsmon("alerts", "feed", "wheat", "--alerts", str(alerts), "--data", str(data))
        assert feed.code == 0 and feed.stdout.count("<entry>") == len(expected)
