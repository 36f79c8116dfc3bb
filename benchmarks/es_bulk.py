"""Elasticsearch indexing costs that do not depend on the cluster: bulk payload build rate and
the outbox's overhead per article in the crawl; plus a whole sync pass against the local fake
server (tests/es_fake.py), which measures newsmon's side of a sync (HTTP on 127.0.0.1 included)
and says nothing about a real cluster's indexing speed.

Inputs: the sample site's articles, repeated with numbered variations of their text until the
corpus holds N documents (default 5,000, all 7 languages).

1. payload: article → document (title/text routed by language + the shared analyzer's tokens for
   the 8 token fields) → the NDJSON lines the bulk helper sends, in docs/s.
2. outbox overhead: the crawl's Store.upsert_article, timed with migration 030 applied (the
   es_synced_at/es_error columns and the partial index of pending rows) and with that index
   dropped — the difference is what ES support adds to storing one article (target < 0.5 ms).
3. sync: `sync()` of N pending articles into the fake server, in docs/s.

    .venv/bin/python benchmarks/es_bulk.py [N]
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmon.es.client import connect  # noqa: E402
from newsmon.es.config import load_settings  # noqa: E402
from newsmon.es import admin  # noqa: E402
from newsmon.es.mapping import article_document  # noqa: E402
from newsmon.es.sync import sync  # noqa: E402
from newsmon.sample_site.catalog import load_articles  # noqa: E402
from newsmon.store import Store  # noqa: E402
from tests.es_fake import FakeES  # noqa: E402


def corpus(n: int) -> list[dict]:
    base = load_articles()
    docs = []
    for i in range(n):
        a = base[i % len(base)]
        url = f"https://{a.outlet}.example{a.path}?v={i}"
        docs.append({"id": f"d{i:07d}", "url": url, "canonical_url": url, "source": f"sample-{a.outlet}", "lang": a.lang,
                     "title": f"{a.title} {i}", "text": f"{a.text}\n{i} {a.text[: (i * 37) % 400]}",
                     "published_at": a.published.strftime("%Y-%m-%dT%H:%M:%SZ"), "fetched_at": "2025-06-01T00:00:00Z",
                     "relevant": True, "topics": ["morocco-kazakhstan"], "matched_terms": {"Kazakhstan": 2},
                     "content_hash": f"h{i}", "date_source": "jsonld"})
    return docs


def payload_rate(docs: list[dict]) -> tuple[float, float]:
    start = time.perf_counter()
    size = 0
    for d in docs:
        meta = json.dumps({"index": {"_index": "newsmon-articles", "_id": d["id"]}})
        body = json.dumps(article_document(d, "Africa/Casablanca"), ensure_ascii=False)
        size += len(meta) + len(body) + 2
    elapsed = time.perf_counter() - start
    return len(docs) / elapsed, size / len(docs)


def upsert_ms(docs: list[dict], drop_es_index: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp, Store(tmp) as store:
        if drop_es_index:
            store.db.execute("DROP INDEX outbox_pending_es")
        start = time.perf_counter()
        for d in docs:
            store.upsert_article(d, [d["url"]])
        return (time.perf_counter() - start) * 1000 / len(docs)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    docs = corpus(n)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"corpus: {n} articles from the sample site, 7 languages")
    payload_rate(docs[:500])  # warm the analyzer's caches, as a running crawl has them
    rate, avg = payload_rate(docs)
    print(f"bulk payload build: {rate:,.0f} docs/s ({avg / 1024:.1f} KiB per document, action line included)")
    with_index, without = [], []
    for _ in range(5):  # interleaved, median of five each: disk noise hits both alike
        with_index.append(upsert_ms(docs[:2000], drop_es_index=False))
        without.append(upsert_ms(docs[:2000], drop_es_index=True))
    a, b = statistics.median(with_index), statistics.median(without)
    spread = statistics.pstdev(with_index + without)
    print(f"store upsert per article (median of 5 × 2,000): {a:.3f} ms with the ES outbox index, {b:.3f} ms without "
          f"→ outbox overhead {a - b:+.3f} ms/article (run-to-run spread ±{spread:.3f} ms; target < 0.5 ms)")
    with FakeES(9) as fake, tempfile.TemporaryDirectory() as tmp:
        os.environ["NEWSMON_ES_URL"] = fake.url
        os.environ["NEWSMON_SETTINGS"] = str(Path(tmp) / "none.yaml")
        Path(os.environ["NEWSMON_SETTINGS"]).write_text("# none\n")
        with connect(load_settings()) as conn, Store(Path(tmp) / "data") as store:
            admin.setup(conn)
            for d in docs:
                store.upsert_article(d, [d["url"]])
            start = time.perf_counter()
            report = sync(store, conn)
            elapsed = time.perf_counter() - start
    print(f"sync into the local fake server: {report.indexed / elapsed:,.0f} docs/s "
          f"({report.indexed} indexed, {report.pending} pending; newsmon's side only, not a cluster's speed)")


if __name__ == "__main__":
    main()
