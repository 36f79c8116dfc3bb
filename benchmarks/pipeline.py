"""Per-stage cost of the item pipeline, on the frozen extraction corpus (documents per second).

Inputs: the 59 article pages of tests/fixtures/extract (7 languages, 3 themes), each run through
the same stage objects a crawl builds: extract → language → dates → relevance → dedupe → store
(SQLite in a temp dir) → index (tantivy, committed once at the end, as in a crawl's batch).
Each stage is timed over the whole corpus, warm (one untimed pass first), 5 rounds; the best
round is reported, per document and per second. The store and index rounds use fresh ids each
round so every write is an insert.

    .venv/bin/python benchmarks/pipeline.py
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.extract import load_corpus, machine  # noqa: E402
from pipelines.items import Article  # noqa: E402
from newsmon.search_index import SearchIndex  # noqa: E402
from newsmon.store import Store  # noqa: E402
from pipelines.dates import DatesStage  # noqa: E402
from pipelines.dedupe import DedupePipeline  # noqa: E402
from pipelines.extract import ExtractStage, decode_html  # noqa: E402
from pipelines.language import LanguageStage  # noqa: E402
from pipelines.relevance import RelevanceStage  # noqa: E402
from pipelines.store import StorePipeline  # noqa: E402
from newsmon.config import DEFAULT_TOPICS_FILE  # noqa: E402
from newsmon.config import load_topics  # noqa: E402

ROUNDS = 5


def items() -> list[Article]:
    out = []
    for page in load_corpus():
        out.append(Article(
            url=page.url, request_url=page.url, source=page.name.split("/")[0], source_language=None,
            source_locale=page.meta.get("locale"), source_timezone=page.meta.get("timezone") or "UTC",
            fetched_at=datetime.fromisoformat(page.meta["fetched_at"].replace("Z", "+00:00")),
            html=decode_html(page.body, page.meta["content_type"]), discovered_via="feed"))
    return out


def timed(stage, batch: list[Article], fresh=None) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for round_ in range(ROUNDS + 1):
        work = [copy.deepcopy(i) for i in batch]
        if fresh:
            fresh(work, round_)
        start = time.perf_counter()
        for item in work:
            stage.process_item(item)
        elapsed = time.perf_counter() - start
        if round_:  # round 0 warms caches and models
            best = min(best, elapsed)
    return best


def main() -> None:
    batch = items()
    n = len(batch)
    rows: list[tuple[str, float]] = []
    extract = ExtractStage()
    rows.append(("extract", timed(extract, batch)))
    for item in batch:
        extract.process_item(item)
    language = LanguageStage()
    rows.append(("language", timed(language, batch)))
    for item in batch:
        language.process_item(item)
    dates = DatesStage()
    rows.append(("dates", timed(dates, batch)))
    for item in batch:
        dates.process_item(item)
    relevance = RelevanceStage(load_topics(DEFAULT_TOPICS_FILE), keep_all=True)
    rows.append(("relevance", timed(relevance, batch)))
    for item in batch:
        relevance.process_item(item)

    def renumber(work: list[Article], round_: int) -> None:
        for item in work:
            item["canonical_url"] = f"{item['url']}?r={round_}"
            item["text"] = f"{item['text']}\n{round_}"

    with tempfile.TemporaryDirectory() as tmp:
        rows.append(("dedupe", timed(DedupePipeline(Store(tmp)), batch, renumber)))
        deduped = []
        dedupe = DedupePipeline(None)
        for item in batch:
            deduped.append(dedupe.process_item(copy.deepcopy(item)))
        rows.append(("store", timed(StorePipeline(tmp), deduped, _ids)))
        with Store(tmp) as store:
            articles = list(store.iter_articles())
        index = SearchIndex(Path(tmp) / "index", writable=True)
        best = float("inf")
        for round_ in range(ROUNDS + 1):
            start = time.perf_counter()
            index.add({**a, "id": f"{a['id']}-{round_}"} for a in articles[:n])
            index.commit()
            if round_:
                best = min(best, time.perf_counter() - start)
        index.close()
        rows.append(("index (incl. commit)", best))
    total = sum(t for _, t in rows)
    print(f"{n} article pages, best of {ROUNDS} warm rounds, one core")
    print(f"{'stage':<22}{'ms/doc':>9}{'docs/s':>10}")
    for name, seconds in rows:
        print(f"{name:<22}{seconds / n * 1000:>9.2f}{n / seconds:>10.0f}")
    print(f"{'all stages':<22}{total / n * 1000:>9.2f}{n / total:>10.0f}")
    print(f"machine: {machine()}")


def _ids(work: list[Article], round_: int) -> None:
    for item in work:
        item["id"] = f"{item['id']}-{round_}"
        item["canonical_url"] = f"{item['canonical_url']}#{round_}"


if __name__ == "__main__":
    main()
