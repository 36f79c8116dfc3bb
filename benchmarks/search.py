"""Indexing speed and query latency of the embedded tantivy index, on a fixed synthetic corpus.

Inputs: the sample site's articles, each repeated with numbered variations of its text until
the corpus holds N documents (default 20,000, ~16 MB of text, all 7 languages), indexed through
the same SearchIndex.add a crawl uses. Then 14 queries (plain words, inflected words, phrases,
OR/NOT, field filters, in every language) are each run 30 times warm; p50/p95 are over all runs.
Query parsing alone (luqum, checks, normalization; included in the query figures) is timed apart.

    .venv/bin/python benchmarks/search.py [N]
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmon.query import parse  # noqa: E402
from newsmon.sample_site.catalog import load_articles  # noqa: E402
from newsmon.search_index import SearchIndex  # noqa: E402

QUERIES = ["Kazakhstan", "marocaines", "Казахстане", "كازاخستان", "بالمغرب", "Қазақстан", "Kazajistán",
           "Kazakistan grano", '"Casablanca"', "Maroc OR Марокко", "Kazakhstan NOT football",
           "title:Kazakhstan", "lang:ru Марокко", "wheat AND (Casablanca OR Astana)"]


def corpus(n: int) -> list[dict]:
    base = [a for a in load_articles()]
    docs = []
    for i in range(n):
        a = base[i % len(base)]
        docs.append({"id": f"d{i}", "source": a.outlet, "lang": a.lang, "title": f"{a.title} {i}",
                     "text": f"{a.text}\n{i} {a.text[: (i * 37) % 400]}",
                     "published_at": a.published.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return docs


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    docs = corpus(n)
    size_mb = sum(len(d["text"].encode()) for d in docs) / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        index = SearchIndex(Path(tmp) / "index", writable=True)
        start = time.perf_counter()
        for chunk in range(0, n, 500):
            index.add(docs[chunk:chunk + 500])
        index.commit()
        took = time.perf_counter() - start
        print(f"index: {n} docs ({size_mb:.1f} MB text) in {took:.1f} s = {n / took:,.0f} docs/s (analysis included)")
        for q in QUERIES:  # warm-up
            index.search(q, limit=20)
        times = []
        for q in QUERIES:
            for _ in range(30):
                t = time.perf_counter()
                index.search(q, limit=20)
                times.append((time.perf_counter() - t) * 1000)
        times.sort()
        p95 = times[int(len(times) * 0.95)]
        print(f"query: p50 {statistics.median(times):.2f} ms, p95 {p95:.2f} ms, max {times[-1]:.2f} ms "
              f"over {len(QUERIES)} queries x 30 runs, top 20")
        index.close()
    parse_times = []
    for q in QUERIES:
        for _ in range(30):
            t = time.perf_counter()
            parse(q)
            parse_times.append((time.perf_counter() - t) * 1000)
    print(f"parse: p50 {statistics.median(parse_times):.3f} ms, max {max(parse_times):.3f} ms (included above)")
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
