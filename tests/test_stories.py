"""Syndicated copies become one story; independent reports of the same event do not.

The fixtures (tests/fixtures/stories/) are invented dispatches with edited reprints: a new
headline, paragraphs reordered, one cut, a sentence added; and reports of the same event
written independently, which must stay apart.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipelines import analysis
from pipelines import stories as sketch
from newsmon import stories
from newsmon.sink import CrawlSink
from newsmon.store import Store
from tests.conftest import ROOT, run_newsmon

FIXTURES = Path(__file__).parent / "fixtures" / "stories"


def dispatch(name: str) -> dict[str, dict[str, str]]:
    """title/text of every version in a fixture file."""
    spec = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))
    paras = spec["original"]["paragraphs"]
    out = {"original": {"title": spec["original"]["title"], "text": "\n\n".join(paras)}}
    for key, version in spec.items():
        if key in ("original", "distinct"):
            continue
        body = [paras[i] for i in version["paragraphs"]]
        if "insert" in version:
            body.insert(version["insert"]["at"], version["insert"]["text"])
        out[key] = {"title": version["title"], "text": "\n\n".join(body)}
    for i, other in enumerate(spec.get("distinct", [])):
        out[f"distinct{i}"] = {"title": other["title"], "text": " ".join(other["text"].split())}
    return out


EN = dispatch("wire_en.yaml")
FR = dispatch("wire_fr.yaml")


def record(key: str, version: dict[str, str], source: str, lang: str, day: int) -> dict:
    url = f"https://{source}.example/{key}"
    return {"id": f"{source}-{key}"[:16].ljust(16, "0"), "url": url, "canonical_url": url, "source": source,
            "title": version["title"], "text": version["text"], "lang": lang,
            "published_at": f"2026-11-{day:02d}T09:00:00Z", "fetched_at": f"2026-11-{day:02d}T10:00:00Z",
            "content_hash": str(hash(version["text"])), "relevant": True, "topics": ["morocco-kazakhstan"]}


def test_edited_reprints_are_near_duplicates_and_independent_reports_are_not() -> None:
    original = sketch.signature(EN["original"]["text"])
    assert original is not None
    for copy in ("reprint_reordered", "reprint_added"):
        score = sketch.similarity(original, sketch.signature(EN[copy]["text"]))
        assert score >= sketch.THRESHOLD, (copy, score)
    for other in ("distinct0", "distinct1"):
        score = sketch.similarity(original, sketch.signature(EN[other]["text"]))
        assert score < 0.15, (other, score)
    score = sketch.similarity(sketch.signature(EN["distinct0"]["text"]), sketch.signature(EN["distinct1"]["text"]))
    assert score < 0.15
    fr = sketch.similarity(sketch.signature(FR["original"]["text"]), sketch.signature(FR["reprint"]["text"]))
    assert fr >= sketch.THRESHOLD


def test_signature_ignores_case_accents_and_layout_and_round_trips() -> None:
    text = FR["original"]["text"]
    shouted = text.upper().replace("\n\n", "\n")
    a, b = sketch.signature(text), sketch.signature(shouted)
    assert sketch.similarity(a, b) == 1.0
    assert sketch.similarity(a, sketch.from_bytes(sketch.to_bytes(a))) == 1.0
    assert sketch.signature("Trop court pour être comparé.") is None
    bands, rows = sketch.lsh_shape()
    assert len(sketch.band_keys(a)) == bands and bands * rows <= sketch.NUM_PERM


def test_known_lsh_shape_is_the_searched_one_and_words_give_the_text_signature() -> None:
    for (threshold, num_perm), shape in sketch.KNOWN_SHAPES.items():
        assert sketch.search_shape(threshold, num_perm) == shape
    text = FR["original"]["text"]
    by_words = sketch.signature_of(analysis.analyze_twice(text, "fr")[1])  # what the index has at hand
    assert by_words is not None and sketch.to_bytes(by_words) == sketch.to_bytes(sketch.signature(text))
    others = [sketch.signature(EN[k]["text"]) for k in ("original", "reprint_reordered", "distinct0")]
    stored = [sketch.to_bytes(o) for o in [by_words, *others]]
    assert sketch.similarities_to_stored(by_words, stored) == [sketch.similarity(by_words, sketch.from_bytes(b)) for b in stored]
    assert sketch.similarities_to_stored(by_words, stored)[0] == 1.0
    assert sketch.similarities_to_stored(by_words, []) == []


def store_all(data: Path, items: list[dict]) -> None:
    with Store(data) as store:
        for item in items:
            store.upsert_article(item, [item["url"]])


def story_of(data: Path) -> dict[str, str]:
    with Store(data, readonly=True) as store:
        return {r[0]: r[1] for r in store.db.execute("SELECT source, story_id FROM articles")}


def test_copies_share_a_story_across_processes_and_distinct_reports_stay_apart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store_all(data, [
        record("original", EN["original"], "wire-en", "en", 20),
        record("reordered", EN["reprint_reordered"], "outlet-a", "en", 20),
        record("d0", EN["distinct0"], "outlet-b", "en", 21),
        record("d1", EN["distinct1"], "outlet-c", "en", 21),
        record("fr", FR["original"], "agence-fr", "fr", 18),
    ])
    with Store(data) as store:
        assert stories.assign_pending(store) == 5
        assert stories.assign_pending(store) == 0  # nothing left to do: no rework on a second pass
    first = story_of(data)
    assert first["outlet-a"] == first["wire-en"]
    assert len({first["wire-en"], first["outlet-b"], first["outlet-c"], first["agence-fr"]}) == 4
    # a week later, another process: the LSH bands in SQLite still find the original
    store_all(data, [record("added", EN["reprint_added"], "outlet-d", "en", 27),
                     record("fr-copy", FR["reprint"], "journal-fr", "fr", 27)])
    code = ("import sys; from newsmon.store import Store; from newsmon.stories import assign_pending; "
            "s = Store(sys.argv[1]); print(assign_pending(s)); s.close()")
    proc = subprocess.run([sys.executable, "-c", code, str(data)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2"
    later = story_of(data)
    assert later["outlet-d"] == first["wire-en"]
    assert later["journal-fr"] == first["agence-fr"]
    assert {k: later[k] for k in first} == first  # earlier assignments never move


def test_a_candidates_story_read_from_the_table_or_from_the_pass_is_the_same(tmp_path: Path, monkeypatch) -> None:
    """Linking keeps the stories it gave in a pass for the next articles' candidates; read back
    from the articles table instead (one article a chunk, nothing kept), the stories are the same."""
    items = [record("original", EN["original"], "wire-en", "en", 20),
             record("reordered", EN["reprint_reordered"], "outlet-a", "en", 20),
             record("added", EN["reprint_added"], "outlet-d", "en", 21),
             record("d0", EN["distinct0"], "outlet-b", "en", 21),
             record("fr", FR["original"], "agence-fr", "fr", 18),
             record("fr-copy", FR["reprint"], "journal-fr", "fr", 19)]
    kept, read = tmp_path / "kept", tmp_path / "read"
    store_all(kept, items)
    with Store(kept) as store:
        assert stories.assign_pending(store) == 6
    store_all(read, items)
    monkeypatch.setattr(stories, "BATCH", 1)
    monkeypatch.setattr(stories, "KNOWN_STORIES", -1)
    with Store(read) as store:
        assert stories.assign_pending(store) == 6
    linked = story_of(kept)
    assert linked == story_of(read)
    assert linked["outlet-a"] == linked["outlet-d"] == linked["wire-en"] and linked["journal-fr"] == linked["agence-fr"]


def test_signatures_taken_at_indexing_link_the_same_stories_and_are_used_once(tmp_path: Path) -> None:
    items = [record("original", EN["original"], "wire-en", "en", 20),
             record("reordered", EN["reprint_reordered"], "outlet-a", "en", 20),
             record("d0", EN["distinct0"], "outlet-b", "en", 21),
             record("fr", FR["original"], "agence-fr", "fr", 18),
             record("fr-copy", FR["reprint"], "journal-fr", "fr", 19)]
    plain, crawled = tmp_path / "plain", tmp_path / "crawled"
    store_all(plain, items)
    with Store(plain) as store:
        stories.assign_pending(store)
    store_all(crawled, items)
    with CrawlSink(crawled) as sink:  # the crawl's writer: indexing keeps each article's signature
        assert sink.sync_index() == 5
        kept = dict(sink.db.execute("SELECT article_id, signature FROM story_sketches").fetchall())
        assert len(kept) == 5 and all(kept.values())
        # an article edited after it was indexed: its kept signature no longer counts
        edited = {**items[2], "text": EN["distinct1"]["text"], "content_hash": "edited"}
        sink.upsert_article(edited, [edited["url"]])
        assert stories.assign_pending(sink) == 5
        assert sink.db.execute("SELECT COUNT(*) FROM story_sketches").fetchone()[0] == 0  # used once
        stored = dict(sink.db.execute("SELECT article_id, signature FROM story_signatures").fetchall())
    assert story_of(crawled) == story_of(plain)
    for item in items:
        if item["source"] != "outlet-b":
            assert stored[item["id"]] == kept[item["id"]]
    assert stored[items[2]["id"]] == sketch.to_bytes(sketch.signature(EN["distinct1"]["text"]))


def test_export_and_search_show_the_story(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store_all(data, [record("original", EN["original"], "wire-en", "en", 20),
                     record("reordered", EN["reprint_reordered"], "outlet-a", "en", 20)])
    with Store(data) as store:
        stories.assign_pending(store)
    exported = run_newsmon("export", "--data", str(data))
    assert exported.code == 0, exported.stderr
    rows = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len({r["story_id"] for r in rows}) == 1 and rows[0]["story_id"]
    reindexed = run_newsmon("reindex", "--data", str(data))
    assert reindexed.code == 0, reindexed.stderr
    found = run_newsmon("search", "Caspian wheat", "--data", str(data), "--json")
    assert found.code == 0, found.stderr
    hits = json.loads(found.stdout)
    assert len(hits) == 2 and {h["story_id"] for h in hits} == {rows[0]["story_id"]}


@pytest.mark.parametrize("version", ["reprint_reordered", "reprint_added"])
def test_headline_is_not_part_of_the_signature(version: str) -> None:
    # the same body under a different headline is the same story; the headline alone is not
    assert sketch.signature(EN[version]["title"]) is None


def test_finding_the_articles_to_link_reads_an_index_not_the_articles_texts(tmp_path: Path) -> None:
    """After every crawl, linking looks for the articles with no story or a changed text: from an
    index of four short columns, not by reading every stored article (texts included)."""
    data = tmp_path / "data"
    store_all(data, [record("original", EN["original"], "wire-en", "en", 20),
                     record("d0", EN["distinct0"], "outlet-b", "en", 21)])
    with Store(data) as store:
        plan = " | ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + stories.PENDING_SQL))
        assert "SCAN a USING COVERING INDEX articles_story_pending" in plan, plan
        assert "TEMP B-TREE" not in plan  # already in first-seen order
        assert sorted([r[0] for r in stories.pending(store)]) == ["outlet-b-d000000", "wire-en-original"]
        stories.assign_pending(store)
        assert [r[0] for r in stories.pending(store)] == []
        edited = {**record("d0", EN["distinct1"], "outlet-b", "en", 21), "content_hash": "edited"}
        store.upsert_article(edited, [edited["url"]])
        assert [r[0] for r in stories.pending(store)] == [edited["id"]]  # its text changed since its signature


def test_linking_reads_texts_only_without_a_kept_signature_and_skips_an_article_deleted_meanwhile(
        tmp_path: Path, monkeypatch) -> None:
    """Linking after a crawl takes each article's signature kept at indexing and reads no text;
    an article without one (stored by another writer) has its text read; an article deleted
    by another process after the pending list was read is left out, the others linked."""
    items = [record("original", EN["original"], "wire-en", "en", 20),
             record("reordered", EN["reprint_reordered"], "outlet-a", "en", 20),
             record("d0", EN["distinct0"], "outlet-b", "en", 21)]
    data = tmp_path / "data"
    store_all(data, items[:2])
    with CrawlSink(data) as sink:
        assert sink.sync_index() == 2
    late = record("added", EN["reprint_added"], "outlet-c", "en", 22)
    store_all(data, [late, items[2]])  # no signatures kept for these two
    statements: list[str] = []
    listed = stories.pending

    def then_deleted(store: Store) -> list:
        rows = listed(store)
        with store.transaction() as db:
            db.execute("DELETE FROM articles WHERE id = ?", (items[2]["id"],))
        return rows

    monkeypatch.setattr(stories, "pending", then_deleted)
    with Store(data) as store:
        store.db.set_trace_callback(statements.append)
        assert stories.assign_pending(store) == 4
        store.db.set_trace_callback(None)
    texts_read = [s for s in statements if "text" in s.split("FROM")[0] and s.startswith("SELECT")]
    assert len(texts_read) == 1 and texts_read[0].count("?") == 0  # one query, for the one unsigned article left
    assert late["id"] in texts_read[0] and items[0]["id"] not in texts_read[0]
    linked = story_of(data)
    assert set(linked) == {"wire-en", "outlet-a", "outlet-c"} and len(set(linked.values())) == 1
