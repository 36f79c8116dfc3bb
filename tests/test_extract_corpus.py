"""Quality gate on the frozen golden corpus (tests/fixtures/extract/), scored by benchmarks/extract.py.

Floors from the issue: mean token F1 ≥ 0.98, no page below 0.95, zero boilerplate leaks, every
headline exact, and never worse than plain trafilatura on any page. Regenerate the corpus with
scripts/freeze_extract_fixtures.py and review the diff.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from newsmon.config import load_topics
from pipelines.extract import extract
from pipelines.html import decode_html
from pipelines.page import Hints, PageProcessor

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_extract", ROOT / "benchmarks" / "extract.py")
bench = importlib.util.module_from_spec(_spec)
sys.modules["bench_extract"] = bench  # dataclasses look their module up while the file executes
_spec.loader.exec_module(bench)

ARTICLES = bench.load_corpus()
ALL_PAGES = bench.load_corpus(kind=None)
SCORES = bench.score_corpus(ARTICLES)
MEAN_F1, MIN_F1 = 0.98, 0.95


def test_corpus_covers_what_the_issue_asks():
    assert len(ARTICLES) >= 30, f"only {len(ARTICLES)} article pages"
    langs = {p.expected["lang"] for p in ARTICLES}
    assert {"ar", "fr", "it", "en", "ru", "kk", "es"} <= langs
    assert len({p.meta["theme"] for p in ARTICLES}) >= 3
    charsets = {(p.meta.get("content_type") or "").lower() for p in ARTICLES}
    raw = [p.body for p in ARTICLES]
    assert any("windows-1256" in c for c in charsets) or any(b"windows-1256" in b for b in raw)
    assert any("cp1251" in c or "windows-1251" in c for c in charsets) or any(
        b'charset="cp1251"' in b.lower() or b"windows-1251" in b.lower() for b in raw)
    assert any("<script>" in p.expected["text"] for p in ARTICLES), "no article quoting <script> as text"
    kinds = {p.expected["page_kind"] for p in ALL_PAGES}
    assert {"listing", "search", "tag", "challenge", "not-found"} <= kinds
    for page in ARTICLES:
        for key in ("title", "text", "lang", "published_at"):
            assert page.expected.get(key), f"{page.name}: empty expected {key}"


def test_mean_text_f1_at_least_098():
    mean = statistics.fmean(per["newsmon"].f1 for per in SCORES.values())
    assert mean >= MEAN_F1


@pytest.mark.parametrize("name", sorted(SCORES))
def test_page_quality(name):
    mine, plain = SCORES[name]["newsmon"], SCORES[name]["trafilatura"]
    assert mine.f1 >= MIN_F1, f"{name}: F1 {mine.f1:.3f}"
    assert mine.leaked == [], f"{name}: boilerplate leaked {mine.leaked}"
    assert mine.title_ok, f"{name}: headline differs"
    assert mine.f1 >= plain.f1, f"{name}: {mine.f1:.3f} below plain trafilatura {plain.f1:.3f}"


@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda p: p.name)
def test_page_kind_and_canonical(page):
    result = extract(page.html, page.url)
    assert result.page_kind == page.expected["page_kind"]
    if "canonical_url" in page.expected:
        assert result.canonical_url == page.expected["canonical_url"]


def test_frozen_json_is_sorted_and_complete():
    for spec in sorted((ROOT / "tests" / "fixtures" / "extract").rglob("*.json")):
        text = spec.read_text(encoding="utf-8")
        record = json.loads(text)
        assert json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n" == text, f"{spec}: not normalized"
        assert spec.with_suffix(".html.gz").exists(), f"{spec}: page missing"
        assert {"url", "content_type", "fetched_at"} <= set(record["meta"])


def test_script_text_survives_as_text():
    page = next(p for p in ARTICLES if "<script>" in p.expected["text"])
    line = next(line for line in page.expected["text"].split("\n") if "<script>" in line)
    assert line in extract(page.html, page.url).text.split("\n")


def test_decoding_single_byte_pages():
    """The windows-1256 and cp1251 pages (charset in the header, in <meta> only, or nowhere)."""
    single_byte = [p for p in ARTICLES if _not_utf8(p.body)]
    assert {p.expected["lang"] for p in single_byte} >= {"ar", "ru"}, "corpus lost its windows-1256/cp1251 pages"
    for page in single_byte:
        text = decode_html(page.body, page.meta["content_type"])
        assert page.expected["title"] in text, f"{page.name}: mis-decoded"


def _not_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def test_100kb_page_extracts_fast_enough():
    # The issue's budget is 25 ms median on one core. CPU time, not wall time: a test machine
    # shared with other jobs stretches wall time but not the CPU one extraction uses. The gate is
    # still loose (4x); the benchmark reports the real number.
    ms, size = bench.median_ms_100kb(ARTICLES, runs=9, clock=time.process_time)
    assert size >= 100_000
    assert ms < 100


def test_pipeline_records_dates_and_language():
    process = PageProcessor(load_topics(), keep_all=True)
    for page in ARTICLES:
        hints = Hints(content_type=page.meta["content_type"], timezone=page.meta["timezone"], locale=page.meta["locale"],
                      fetched_at=datetime.fromisoformat(page.meta["fetched_at"].replace("Z", "+00:00")))
        record = process(page.body, page.url, hints).record()
        assert record["lang"] == page.expected["lang"], page.name
        assert record["title"] == page.expected["title"], page.name
        assert "html" not in record


def test_gz_files_are_reproducible():
    # mtime=0 gzip: re-freezing unchanged pages produces identical bytes, so diffs show real changes.
    for gz in sorted((ROOT / "tests" / "fixtures" / "extract").rglob("*.html.gz"))[:5]:
        assert gz.read_bytes()[4:8] == b"\x00\x00\x00\x00"
        gzip.decompress(gz.read_bytes())
