"""Per-stage cost of the page path and the crawl's store steps, on the frozen extraction corpus.

Inputs: the 59 article pages of tests/fixtures/extract (7 languages, 3 themes). The page stages
are the objects :class:`pipelines.page.PageProcessor` builds, timed one by one on the tree parsed
once (extract on a copy, as process_page does), then ``process_page`` end to end; the store steps
are the crawl's item pipelines (``crawler/itempipelines.py``) over a real
:class:`newsmon.sink.CrawlSink` in a temp dir: dedupe → store (SQLite) → index (tantivy, one
commit per round, as a crawl's batch). Warm (one untimed pass first), 5 rounds, best round
reported per document and per second; store rounds use fresh ids so every write is an insert.

    .venv/bin/python benchmarks/pipeline.py
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scrapy.statscollectors import MemoryStatsCollector  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

from benchmarks.extract import load_corpus, machine  # noqa: E402
from crawler.itempipelines import DedupePipeline, StorePipeline  # noqa: E402
from newsmon.config import load_topics  # noqa: E402
from newsmon.sink import CrawlSink  # noqa: E402
from pipelines.html import decode_html, parse  # noqa: E402
from pipelines.page import Hints, PageProcessor, process_page  # noqa: E402

ROUNDS = 5


def best_of(run: Callable[[int], Any]) -> float:
    best = float("inf")
    for round_ in range(ROUNDS + 1):
        start = time.perf_counter()
        run(round_)
        if round_:  # round 0 warms caches and models
            best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    pages = load_corpus()
    n = len(pages)
    process = PageProcessor(load_topics(), keep_all=True)
    hints = [Hints(content_type=p.meta["content_type"], source=p.name.split("/")[0], locale=p.meta.get("locale"),
                   timezone=p.meta.get("timezone") or "UTC",
                   fetched_at=datetime.fromisoformat(p.meta["fetched_at"].replace("Z", "+00:00")))
             for p in pages]
    results = [process_page(p.body, p.url, h, process) for p, h in zip(pages, hints)]
    articles = [r.article for r in results if r.article is not None]
    assert len(articles) == n, [str(r.dropped) for r in results if r.dropped]
    htmls = [a["html"] for a in articles]
    trees = [parse(h) for h in htmls]
    rows: list[tuple[str, float]] = [
        ("decode", best_of(lambda _: [decode_html(p.body, p.meta["content_type"]) for p in pages])),
        ("parse (once)", best_of(lambda _: [parse(h) for h in htmls])),
        ("extract (tree copy)", best_of(lambda _: [process.extract.process_item(copy.copy(a), copy.deepcopy(t))
                                                   for a, t in zip(articles, trees)])),
        ("language", best_of(lambda _: [process.language.process_item(copy.copy(a)) for a in articles])),
        ("dates", best_of(lambda _: [process.dates.process_item(copy.copy(a), t) for a, t in zip(articles, trees)])),
        ("relevance", best_of(lambda _: [process.relevance.process_item(copy.copy(a)) for a in articles])),
    ]
    page_total = best_of(lambda _: [process_page(p.body, p.url, h, process) for p, h in zip(pages, hints)])

    def fresh(round_: int) -> list[dict]:
        out = []
        for a in articles:
            item = copy.copy(a)
            item["canonical_url"] = f"{a['canonical_url']}?r={round_}"
            item["text"] = f"{a['text']}\n{round_}"
            out.append(item)
        return out

    with tempfile.TemporaryDirectory() as tmp:
        sink = CrawlSink(tmp)
        stats = MemoryStatsCollector(get_crawler())
        dedupe, store = DedupePipeline(sink, stats), StorePipeline(sink, stats)
        batches = {r: [dedupe.process_item(i) for i in fresh(r + 100)] for r in range(ROUNDS + 1)}
        rows.append(("dedupe", best_of(lambda r: [DedupePipeline(sink, stats).process_item(i) for i in fresh(r)])))
        rows.append(("store (SQLite)", best_of(lambda r: [store.process_item(i) for i in batches[r]])))
        sink.sync_index()  # what the store rounds queued
        best = float("inf")
        for round_ in range(ROUNDS + 1):  # each round indexes a freshly stored batch from the outbox
            for item in fresh(round_ + 200):
                store.process_item(dedupe.process_item(item))
            start = time.perf_counter()
            indexed = sink.sync_index()
            if round_:
                best = min(best, time.perf_counter() - start)
            assert indexed == n, indexed
        rows.append(("index (incl. commit)", best))
        sink.close()
    print(f"{n} article pages, best of {ROUNDS} warm rounds, one core")
    print(f"{'stage':<22}{'ms/doc':>9}{'docs/s':>10}")
    for name, seconds in rows:
        print(f"{name:<22}{seconds / n * 1000:>9.2f}{n / seconds:>10.0f}")
    print(f"{'process_page, whole':<22}{page_total / n * 1000:>9.2f}{n / page_total:>10.0f}")
    print(f"machine: {machine()}")


if __name__ == "__main__":
    main()
