"""Source health as `newsmon status` computes it, from run counters and articles (spidermon style:
stats in, verdicts out, no crawl). The rows are written through the store's own API into a real
SQLite file; the command runs in-process through click."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner

from newsmon.cli import main
from newsmon.schedule.health import HealthOptions, status_report
from newsmon.schedule.journal import Journal
from newsmon.store import Store, iso_utc

NOW = datetime.now(timezone.utc).replace(microsecond=0)  # the command reads the real clock


def add_run(store: Store, source: str, started: datetime, status: str, stats: dict) -> None:
    run_id = store.start_run("c", source)
    store.db.execute("UPDATE runs SET started_at = ?, pid = 0 WHERE id = ?", (iso_utc(started), run_id))
    store.finish_run(run_id, status=status, pages_fetched=stats.get("pages", 0), articles_stored=stats.get("stored", 0),
                     skipped=0, errors=stats.get("errors", 0), stats=stats)


def add_article(store: Store, source: str, n: int, first_seen: datetime, published: str | None) -> None:
    store.upsert_article({"id": f"{source}-{n}", "url": f"https://{source}.test/{n}", "canonical_url":
                          f"https://{source}.test/{n}", "source": source, "title": f"t{n}", "text": "x",
                          "published_at": published, "fetched_at": iso_utc(first_seen)}, [])
    store.db.execute("UPDATE articles SET first_seen_at = ? WHERE id = ?", (iso_utc(first_seen), f"{source}-{n}"))


def make_store(data: Path) -> None:
    with Store(data) as store:
        # lively: 14 new articles in the window (2 undated), a few 403s retried then given up
        for day in range(7):
            add_run(store, "lively", NOW - timedelta(days=day, hours=1), "partial" if day == 0 else "ok", {
                "pages": 20, "errors": 2 if day == 0 else 0, "articles_fetched": 10, "dropped/too_short": 1,
                **({"blocked/403": 3, "error/http_403": 1} if day == 0 else {})})
        for n in range(14):
            add_article(store, "lively", n, NOW - timedelta(hours=5 * n + 1), None if n in (3, 7) else "2026-01-01")
        add_article(store, "lively", 99, NOW - timedelta(days=30), "2026-01-02")  # outside the window
        # quiet: crawled every day, nothing new for four days
        for day in range(5):
            add_run(store, "quiet", NOW - timedelta(days=day, hours=2), "ok",
                    {"pages": 3, "articles_fetched": 0, "errors": 0})
        add_article(store, "quiet", 1, NOW - timedelta(days=4), "2026-01-03")
        # broken: every run failed, never stored anything
        for day in range(3):
            add_run(store, "broken", NOW - timedelta(days=day, hours=3), "failed",
                    {"errors": 1, "error/http_500": 1, "first_error": "https://broken.test/feed: HTTP 500"})
    journal = Journal(data)
    journal.set_sources([("lively", "every 30m", "crawl:lively", 1800.0), ("quiet", "every 2h", "crawl:quiet", 600.0)])


def test_health_from_counters_and_articles(tmp_path: Path) -> None:
    make_store(tmp_path)
    report = status_report(tmp_path, HealthOptions(window_days=7, silent_hours=72), now=NOW)
    by_name = {s["source"]: s for s in report["sources"]}
    assert list(by_name) == ["broken", "lively", "quiet"]
    lively = by_name["lively"]
    assert lively["schedule"] == "every 30m" and lively["scheduled"] and lively["timeout_seconds"] == 1800
    assert lively["runs"] == 7 and lively["failed_runs"] == 0
    assert lively["new_articles"] == 14 and lively["articles_per_day"] == 2.0
    assert lively["no_date_share"] == round(2 / 14, 4)
    assert lively["no_body_share"] == 0.1  # 7 too-short bodies of 70 article pages
    assert lively["error_rate"] == round(2 / 142, 4)  # 2 errors, 140 pages answered
    # 3 answers of 403 (two retried, the third given up as an error) among 144 answers
    assert lively["http_403"] == 3 and lively["rate_403"] == round(3 / 144, 4)
    assert lively["hours_since_new_article"] == 1 and not lively["silent"] and not lively["failing"]

    quiet = by_name["quiet"]
    assert quiet["hours_since_new_article"] == 96 and quiet["silent"] and not quiet["failing"]
    assert quiet["articles_per_day"] == round(1 / 7, 2) and quiet["no_body_share"] is None

    broken = by_name["broken"]
    assert broken["failing"] and broken["silent"] and broken["failed_runs"] == 3 and broken["error_rate"] == 1.0
    assert broken["last_new_article_at"] is None and not broken["scheduled"] and broken["next_run"] is None
    assert report["scheduler"] == {"running": False}

    # a longer silence threshold clears the quiet source, not the one that never brought anything
    relaxed = {s["source"]: s for s in status_report(tmp_path, HealthOptions(silent_hours=100), now=NOW)["sources"]}
    assert not relaxed["quiet"]["silent"] and relaxed["broken"]["silent"]


def test_status_command_json_and_table(tmp_path: Path) -> None:
    make_store(tmp_path)
    out = CliRunner().invoke(main, ["status", "--data", str(tmp_path), "--json", "--days", "30"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["window_days"] == 30 and {s["source"] for s in report["sources"]} == {"broken", "lively", "quiet"}
    table = CliRunner().invoke(main, ["status", "--data", str(tmp_path)])
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0] == "scheduler: not running"
    assert lines[1].split("\t") == ["source", "schedule", "next run", "running", "last run", "new/day", "no body",
                                    "no date", "errors", "403", "last new", "health"]
    broken = next(line for line in lines if line.startswith("broken\t")).split("\t")
    assert broken[1] == "-" and broken[-1] == "SILENT FAILING"
