"""The crawl's store step alone: CPU per article with one transaction per article against batches.

The same N generated articles (``newsmon.sample_site.generated``, the articles of
``crawl_vs_bare.py``) go through :class:`newsmon.sink.CrawlSink` ``save_article`` into a fresh
data directory, as the crawl's store step sends them, with ``--batch`` articles per transaction
(1: each article committed on its own, the crawl before batching; the crawl's default is 50
articles or 0.25 s, ~10 articles a batch at a crawl's pace).
CPU is this process's (``time.process_time``: the WAL writes are system time), the minimum of
``--repeat`` runs, alternating the batch sizes so both see the same load.

    .venv/bin/python benchmarks/store_batches.py                    # 2400 articles, batches of 1 and 200
    .venv/bin/python benchmarks/store_batches.py --articles 600 --batch 1 50 200
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timezone

from newsmon.sample_site.generated import LANGS, article
from newsmon.sink import CrawlSink
from pipelines.dedupe import article_id, content_hash


def items(n: int) -> list[dict]:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    out = []
    for i in range(n):
        lang = LANGS[i % 3]
        title, paragraphs = article(i, lang)
        text = "\n\n".join(paragraphs)
        url = f"http://127.0.0.{2 + i % 30}:8000/news/{i}.html"
        out.append({"id": article_id(url), "url": url, "request_url": url, "canonical_url": url,
                    "source": f"bench-{i % 30:02d}", "title": title, "text": text, "lang": lang,
                    "published_at": now.isoformat(), "fetched_at": now, "relevant": True,
                    "topics": ["morocco-kazakhstan"], "matched_terms": {"maroc": 1}, "relevance_score": 1.0,
                    "content_hash": content_hash(title, text), "discovered_via": "sitemap"})
    return out


def run(articles: list[dict], batch: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        sink = CrawlSink(tmp)
        sink.batching(batch, 3600.0)
        stored = []
        start = time.process_time()
        for item in articles:
            sink.save_article(item, [item["url"], item["canonical_url"]], lambda result, why: stored.append(why))
        sink.flush()
        cpu = time.process_time() - start
        sink.close()
    if stored.count(None) != len(articles):
        raise SystemExit(f"batch {batch}: {stored.count(None)} of {len(articles)} articles committed")
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2400)
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 200])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    articles = items(args.articles)
    best: dict[int, float] = {}
    for _ in range(args.repeat):
        for batch in args.batch:
            cpu = run(articles, batch)
            best[batch] = min(cpu, best.get(batch, cpu))
    for batch in args.batch:
        print(f"batch {batch:4d}: {best[batch] / args.articles * 1000:.3f} ms CPU per article "
              f"({args.articles} articles, min of {args.repeat})")


if __name__ == "__main__":
    main()
