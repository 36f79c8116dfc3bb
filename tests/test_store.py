"""The SQLite store of record: upserts by canonical id, URL memory, outbox, runs, read-only use."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from newsmon.store import Store, migrations, StoreError
from pipelines.dedupe import article_id


def record(url: str, text: str = "Le Maroc et le Kazakhstan.", **extra: object) -> dict:
    return {"id": article_id(url), "url": url, "canonical_url": url, "source": "s", "title": "T", "text": text,
            "lang": "fr", "published_at": "2025-02-21T17:42:00Z", "fetched_at": "2025-02-22T08:00:00Z",
            "relevant": True, "topics": ["morocco-kazakhstan"], "matched_terms": {"Maroc": 1}, **extra}


def test_upsert_is_idempotent_and_remembers_every_url(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        first = store.upsert_article(record("https://a.ma/x"), ["https://a.ma/x?utm_source=f", "https://a.ma/x"])
        again = store.upsert_article(record("https://a.ma/x", text="Texte corrigé."), ["https://a.ma/x"])
        assert first.created and not again.created and first.article_id == again.article_id
        assert store.count_articles() == 1
        assert store.get_article(first.article_id)["text"] == "Texte corrigé."
        assert store.known_url("https://a.ma/x?utm_source=f") == first.article_id
        assert store.known_url("https://a.ma/other") is None
        # both writes queued for the index, in order
        assert [aid for _, aid in store.pending_index()] == [first.article_id, first.article_id]


def test_json_fields_and_dates_round_trip(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        rid = store.upsert_article(record("https://a.ma/y", published_at="2025-02-21"), []).article_id
        got = store.get_article(rid)
    assert got["topics"] == ["morocco-kazakhstan"] and got["matched_terms"] == {"Maroc": 1}
    assert got["relevant"] is True and got["published_at"] == "2025-02-21"


def test_outbox_marks_indexed(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.upsert_article(record("https://a.ma/1"), [])
        store.upsert_article(record("https://a.ma/2"), [])
        pending = store.pending_index()
        store.mark_indexed([pending[0][0]])
        assert len(store.pending_index()) == 1


def test_runs_and_stale_runs(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        run = store.start_run("c1", "src")
        store.start_run("c0", "old")
        store.finish_run(run, status="ok", pages_fetched=3, articles_stored=2, skipped=1, errors=0, stats={"pages": 3})
        assert store.close_stale_runs() == 1
        rows = {r["source"]: r for r in store.runs()}
    assert rows["src"]["status"] == "ok" and rows["src"]["stats"] == {"pages": 3}
    assert rows["old"]["status"] == "interrupted"


def test_migrations_apply_once(tmp_path: Path) -> None:
    Store(tmp_path).close()
    Store(tmp_path).close()
    with closing(sqlite3.connect(tmp_path / "newsmon.db")) as db:
        assert db.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == len(migrations())
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_readonly_refuses_writes_and_missing_db(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no database yet"):
        Store(tmp_path / "nowhere", readonly=True)
    Store(tmp_path).close()
    with Store(tmp_path, readonly=True) as ro, pytest.raises(sqlite3.OperationalError):
        ro.upsert_article(record("https://a.ma/z"), [])


def test_unusable_data_dir_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match=str(blocker)):
        Store(blocker / "data")


def test_seen_pages_are_remembered(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.mark_seen(["https://a.ma/sport", None], "s", "not_relevant@t1")
        assert store.seen_outcome("https://a.ma/sport") == "not_relevant@t1"
        assert store.seen_outcome("https://a.ma/other") is None
        store.mark_seen(["https://a.ma/old-verdict"], "s", "not_relevant")  # as an older newsmon wrote it
        store.mark_seen(["https://a.ma/wall"], "s", "not_an_article_challenge")
        assert store.seen_outcome("https://a.ma/old-verdict") is None and store.seen_outcome("https://a.ma/wall") is None


def test_a_concurrent_crawls_runs_are_not_marked_interrupted(tmp_path: Path) -> None:
    import subprocess
    import sys

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with Store(tmp_path) as store:
            live = store.start_run("other", "src")
            store.db.execute("UPDATE runs SET pid = ? WHERE id = ?", (other.pid, live))
            dead = store.start_run("dead", "src")
            store.db.execute("UPDATE runs SET pid = ? WHERE id = ?", (2**22 + 12345, dead))
            assert store.close_stale_runs() == 1
            status = {r["id"]: r["status"] for r in store.runs()}
        assert status == {live: "running", dead: "interrupted"}
    finally:
        other.kill()
        other.wait()


def test_unchanged_refetch_is_not_queued_again_and_keeps_known_fields(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        rid = store.upsert_article(record("https://a.ma/u", content_hash="h1", author="A. Auteur"), ["https://a.ma/u"]).article_id
        store.mark_indexed([i for i, _ in store.pending_index()])
        again = store.upsert_article(record("https://a.ma/u", content_hash="h1", author=None, published_at=None,
                                            fetched_at="2025-03-01T00:00:00Z"), ["https://a.ma/u"])
        assert again.unchanged and not store.pending_index()
        got = store.get_article(rid)
        assert got["author"] == "A. Auteur" and got["published_at"] == "2025-02-21T17:42:00Z"
        assert store.known_fetched_at("https://a.ma/u") == "2025-03-01T00:00:00Z"
        assert store.known_fetched_at("https://a.ma/new") is None
        edited = store.upsert_article(record("https://a.ma/u", content_hash="h2"), [])
        assert not edited.unchanged and len(store.pending_index()) == 1
        store.mark_indexed([i for i, _ in store.pending_index()])
        redated = store.upsert_article(record("https://a.ma/u", content_hash="h2", published_at="2025-03-01"), [])
        assert not redated.unchanged and len(store.pending_index()) == 1  # same text, new date: re-indexed


def test_seen_verdicts_expire_and_follow_the_topics(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.mark_seen(["https://a.ma/foot"], "s", "not_relevant@abc")
        store.mark_seen(["https://a.ma/old"], "s", "too_old")
        assert store.seen_outcome("https://a.ma/foot", topics="abc") == "not_relevant@abc"
        assert store.seen_outcome("https://a.ma/foot", topics="def") is None  # topics edited since
        assert store.seen_outcome("https://a.ma/old", topics="def") == "too_old"
        assert store.seen_outcome("https://a.ma/old", since="2999-01-01T00:00:00Z") is None  # expired


def test_touch_fetched_moves_a_stored_articles_fetch_time(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.upsert_article(record("https://a.ma/t"), ["https://a.ma/t?ref=feed"])
        store.touch_fetched("https://a.ma/t?ref=feed")
        assert store.known_fetched_at("https://a.ma/t?ref=feed") > "2025-02-22T08:00:00Z"
