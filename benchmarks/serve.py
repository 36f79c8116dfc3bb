"""Search latency through `newsmon serve`'s JSON API on a large generated store, on one core.

Inputs: N articles (default 100,000) generated from the sample site's articles in all 7
languages: each takes its language's paragraphs in a seeded shuffle (so no two texts are equal),
a numbered title, one of 27 sources (the 9 sample outlets × 3), a publication time spread over
a year, and one or two topics. They are written the way a crawl writes them: one
``Store.upsert_article`` transaction each (article, URLs and outbox row), then the outbox is
drained into the tantivy index by ``newsmon.sink.sync_outbox``.

Then `python -m newsmon.cli serve` runs as a child process pinned to one CPU (sched_setaffinity),
and each query of QUERIES is sent to /api/search 20 times over one keep-alive connection after a
warm-up. Every answer is a full page: total, 20 hits with snippets and story sizes, the
lang/source/topic facets and the per-day, per-language histogram. p50/p95 are over all requests.

    .venv/bin/python benchmarks/serve.py [N] [--data DIR]   (DIR kept and reused when it holds N articles)
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmon.sample_site.catalog import load_articles  # noqa: E402
from newsmon.search_index import SearchIndex  # noqa: E402
from newsmon.sink import sync_outbox  # noqa: E402
from newsmon.store import Store, iso_utc  # noqa: E402
from pipelines.dedupe import article_id  # noqa: E402

QUERIES: list[dict[str, str]] = [
    {"q": ""},
    {"q": "Kazakhstan"},
    {"q": "marocaines"},
    {"q": "كازاخستان"},
    {"q": "Қазақстан"},
    {"q": "Марокко", "lang": "ru"},
    {"q": "Maroc OR Marruecos OR Marocco"},
    {"q": '"Casablanca"', "sort": "date"},
    {"q": "wheat AND (Casablanca OR Astana)"},
    {"q": "Kazakhstan NOT football", "since": "2025-06-01", "until": "2025-09-30"},
    {"q": "title:Kazakhstan", "page": "3"},
    {"q": "Kazakh*"},
    {"q": "", "topic": "wheat", "sort": "date"},
    {"q": "phosphate OR фосфат OR الفوسفاط", "source": "sample-steppe-en-1"},
]
RUNS = 20
EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)


def generate(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    base = load_articles()
    by_lang: dict[str, list] = {}
    for a in base:
        by_lang.setdefault(a.lang, []).append(a)
    out = []
    for i in range(n):
        a = base[i % len(base)]
        pool = [p for other in by_lang[a.lang] for p in other.body]
        paragraphs = list(a.body) + rng.sample(pool, min(3, len(pool)))
        rng.shuffle(paragraphs)
        url = f"https://bench.example/{a.outlet}/{i}/{a.slug}"
        when = EPOCH + timedelta(days=rng.randrange(365), minutes=rng.randrange(24 * 60))
        topics = ["morocco-kazakhstan"] + (["wheat"] if i % 3 == 0 else []) + (["phosphates"] if i % 5 == 0 else [])
        out.append({
            "id": article_id(url), "url": url, "canonical_url": url, "source": f"sample-{a.outlet}-{i % 3}",
            "title": f"{a.title} ({i})", "text": "\n".join(paragraphs), "lang": a.lang, "author": a.author,
            "published_at": iso_utc(when), "date_source": "jsonld", "fetched_at": iso_utc(when + timedelta(hours=1)),
            "relevant": True, "topics": topics, "matched_terms": {"Kazakhstan": 1}, "relevance_score": 1.0,
            "content_hash": f"bench-{i}",
        })
    return out


def build(data: Path, n: int) -> None:
    if (data / "newsmon.db").exists():
        with Store(data, readonly=True) as store:
            have = store.count_articles()
        if have == n and (data / "index").exists():
            print(f"store: reusing {data} ({n:,} articles)")
            return
        raise SystemExit(f"{data} holds {have:,} articles, not {n:,}: give an empty --data directory")
    t = time.perf_counter()
    articles = generate(n)
    size = sum(len(a["text"].encode()) for a in articles) / 1e6
    print(f"generate: {n:,} articles ({size:.0f} MB of text, 7 languages) in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    with Store(data) as store:
        for a in articles:
            store.upsert_article(a, [a["url"]])
        took = time.perf_counter() - t
        print(f"store: {n:,} upserts (one transaction each) in {took:.1f} s = {n / took:,.0f}/s")
        t = time.perf_counter()
        index = SearchIndex(data / "index", writable=True)
        try:
            indexed = sync_outbox(store, index, batch=2000)
        finally:
            index.close()
        took = time.perf_counter() - t
        print(f"index: {indexed:,} articles from the outbox in {took:.1f} s = {indexed / took:,.0f}/s")


def pin_to_one_core() -> None:
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def cpu_ns(pid: int) -> int:
    """CPU time the process has used so far, all threads, in ns (Linux schedstat: ns resolution;
    on a shared machine wall time also counts the waits for a CPU, this does not)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended meanwhile
    return total


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * p) - 1)]


def measure(data: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "newsmon.cli", "serve", "--data", str(data), "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True, preexec_fn=pin_to_one_core)
    try:
        assert proc.stdout is not None
        url = urlsplit(proc.stdout.readline().strip())
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

        cpu: list[float] = []

        def get(params: dict[str, str]) -> tuple[float, dict]:
            used = cpu_ns(proc.pid)
            start = time.perf_counter()
            conn.request("GET", "/api/search?" + urlencode(params))
            response = conn.getresponse()
            body = response.read()
            took = (time.perf_counter() - start) * 1000
            cpu.append((cpu_ns(proc.pid) - used) / 1e6)
            assert response.status == 200, body[:300]
            return took, json.loads(body)

        for params in QUERIES:  # warm-up: the first call opens the index and loads the analyzers
            get(params)
        cpu.clear()
        times: list[float] = []
        worst: list[tuple[float, str, int]] = []
        for params in QUERIES:
            mine = []
            for _ in range(RUNS):
                took, answer = get(params)
                mine.append(took)
            times += mine
            worst.append((statistics.median(mine), json.dumps(params, ensure_ascii=False), answer["total"]))
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close() if proc.stdout else None
    print(f"api /api/search, wall: p50 {statistics.median(times):.1f} ms, p95 {pct(times, 0.95):.1f} ms, "
          f"max {max(times):.1f} ms ({len(QUERIES)} queries x {RUNS}, server pinned to one core, "
          f"facets + histogram + 20 snippets each; load average {os.getloadavg()[0]:.1f})")
    print(f"api /api/search, server CPU per request: p50 {statistics.median(cpu):.1f} ms, "
          f"p95 {pct(cpu, 0.95):.1f} ms, max {max(cpu):.1f} ms (what a request costs the one core it runs on)")
    for median, params, total in sorted(worst, reverse=True)[:5]:
        print(f"  slowest medians: {median:6.1f} ms  {params}  ({total:,} hits)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "data"
        build(data, args.n)
        measure(data)


if __name__ == "__main__":
    main()
