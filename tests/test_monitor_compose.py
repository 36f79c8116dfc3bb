"""The three monitoring features together, as a user runs them: `newsmon schedule --alerts` with
Elasticsearch configured. A feed publishes a new article while the scheduler runs; each
article is alerted exactly once (webhook receiver), its rule matched by percolation in ES, and
every scheduled crawl syncs the outbox to ES.

Real everything: the scheduler and its crawls are processes, the feed and the webhook are local
HTTP servers, Elasticsearch is tests/es_fake.py (answers like ES 9).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.freshness import Newsroom, serve
from newsmon.es import admin
from newsmon.es.client import connect
from newsmon.es.config import load_settings
from newsmon.es.sync import pending_count
from newsmon.store import Store
from tests.alerts_receivers import HttpReceiver
from tests.conftest import run_newsmon, write_sources
from tests.es_fake import FakeES
from tests.test_es_contract import _empty_settings
from tests.test_schedule import Scheduler, query, scheduler_factory, wait_for  # noqa: F401 - fixture

_ = scheduler_factory


def test_scheduled_crawls_alert_once_percolate_and_sync_es_after_each_crawl(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler_factory: Callable[..., Scheduler]) -> None:
    newsroom = Newsroom()
    newsroom.publish(1)
    site = serve(newsroom)
    base = f"http://127.0.0.1:{site.server_address[1]}"
    for name in ("NEWSMON_ES_API_KEY", "NEWSMON_ES_USER", "NEWSMON_ES_PASSWORD", "NEWSMON_ES_CA_CERTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSMON_SETTINGS", str(_empty_settings(tmp_path)))
    data = tmp_path / "data"
    try:
        with FakeES(9) as fake, HttpReceiver() as hook:
            monkeypatch.setenv("NEWSMON_ES_URL", fake.url)  # the scheduler and its crawls inherit it
            with connect(load_settings()) as conn:
                admin.setup(conn)
            alerts = tmp_path / "alerts.yaml"
            alerts.write_text(f"""
rules:
  - name: accords
    query: 'Kazakhstan AND accord'
    channels:
      - {{type: webhook, url: '{hook.url}/accords'}}
  - name: never
    query: 'zzyzx-no-such-word'
    channels:
      - {{type: webhook, url: '{hook.url}/never'}}
""", encoding="utf-8")
            sources = write_sources(tmp_path / "sources.yaml", [
                {"name": "wire", "language": "en", "feeds": [f"{base}/feed.xml"], "schedule": "every 2s"}])
            sched = scheduler_factory(sources, data, "--alerts", str(alerts),
                                      "-s", "NEWSMON_SCHEDULE_JITTER_SECONDS=0")

            def ok_crawls() -> list[dict]:
                return query(data, "SELECT * FROM schedule_runs WHERE outcome = 'ok' ORDER BY id")

            wait_for("the first alert", lambda: hook.requests, 60, sched)
            newsroom.publish(2)
            wait_for("the second alert", lambda: len(hook.requests) >= 2, 60, sched)
            # one more crawl finds nothing new (the second one may still be writing its run row)
            wait_for("a crawl after the second alert", lambda: len(ok_crawls()) >= 3, 60, sched)
            assert sched.stop() < 15 and sched.proc.returncode == 0, sched.output()
            log = sched.output()

            # exactly once: one message per new article, each listing only that article
            assert [r.path for r in hook.requests] == ["/accords", "/accords"], log
            bodies = [r.json() for r in hook.requests]
            assert [[a["url"] for a in b["articles"]] for b in bodies] == [[f"{base}/news/1.html"],
                                                                            [f"{base}/news/2.html"]]
            assert len({r.headers["Idempotency-Key"] for r in hook.requests}) == 2
            crawls = ok_crawls()
            assert sum(c["new"] for c in crawls) == 2 and len(crawls) >= 3 and crawls[-1]["new"] == 0

            # the rules were percolated in ES (not only on the embedded index)
            assert sorted(fake.indices["newsmon-rules"].docs) == ["accords", "never"]
            percolated = {d["url"] for c in fake.calls("POST", "/newsmon-rules/_search")
                          for d in (c.json().get("query", {}).get("percolate") or {}).get("documents", [])}
            assert percolated == {f"{base}/news/1.html", f"{base}/news/2.html"}

            # every scheduled crawl synced ES at its end, and nothing waits in the outbox
            syncs = [line for line in log.splitlines() if "wire | es sync:" in line]
            assert len(syncs) >= len(crawls), log
            with Store(data, readonly=True) as store:
                stored = {a["id"] for a in store.iter_articles()}
                assert pending_count(store) == 0
            assert len(stored) == 2 and set(fake.indices["newsmon-articles-000001"].docs) == stored

            # the delivery log agrees, and `alerts run` afterwards has nothing left to send
            out = run_newsmon("alerts", "log", "--data", str(data), "--json")
            assert [(r["rule"], r["status"]) for r in json.loads(out.stdout)] == [("accords", "sent")] * 2
            again = run_newsmon("alerts", "run", "--alerts", str(alerts), "--data", str(data))
            assert again.code == 0 and "0 new message(s); 0 delivered" in again.stderr, again.stderr
            assert len(hook.requests) == 2
    finally:
        site.shutdown()
        site.server_close()
