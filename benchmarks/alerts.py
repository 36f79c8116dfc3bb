"""Story linking and alert evaluation speed, on a fixed synthetic corpus.

Inputs: the sample site's 59 articles, each repeated with numbered edits (a paragraph moved, a
sentence added) until the store holds N articles (default 5,000): every base article is one
story of N/59 copies. Measured:

* stories: ``newsmon.stories.assign_pending`` over the whole store (MinHash + LSH bands in
  SQLite), articles/s, and how many stories came out (59 expected);
* evaluation: ``engine.evaluate`` with 10 rules in 7 languages over the same N articles (filters,
  scratch tantivy index per batch of 1,000, snippets and matched terms), articles/s;
* rendering: one 20-article message as webhook JSON + e-mail, per second.

    .venv/bin/python benchmarks/alerts.py [N]
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmon import stories  # noqa: E402
from newsmon.alerts import engine, render  # noqa: E402
from newsmon.alerts.config import AlertsFile  # noqa: E402
from newsmon.alerts.match import EmbeddedMatcher  # noqa: E402
from newsmon.sample_site.catalog import load_articles  # noqa: E402
from newsmon.store import Store  # noqa: E402

RULES = ["wheat OR blé OR القمح OR пшеница", "Kazakhstan", "Marocco", "كازاخستان", "Казахстан", "Қазақстан",
         "Marruecos AND Kazajistán", '"Casablanca"', "Astana NOT football", "title:Maroc"]


def corpus(n: int) -> list[dict]:
    base = [a for a in load_articles() if a.text.strip()]
    docs = []
    for i in range(n):
        a = base[i % len(base)]
        paras = [p for p in a.text.split("\n") if p.strip()]
        if len(paras) > 2 and i % 3 == 1:
            paras = paras[1:] + paras[:1]  # a paragraph moved to the end
        paras.append(f"Edited by desk {i}.")
        url = f"https://bench.example/{i}"
        docs.append({"id": f"b{i:015d}", "url": url, "canonical_url": url, "source": f"outlet-{i % 17}",
                     "title": f"{a.title} ({i})", "text": "\n".join(paras), "lang": a.lang,
                     "published_at": a.published.strftime("%Y-%m-%dT%H:%M:%SZ"), "fetched_at": "2026-11-23T00:00:00Z",
                     "content_hash": f"h{i}", "relevant": True, "topics": ["morocco-kazakhstan"]})
    return docs


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    docs = corpus(n)
    config = AlertsFile.model_validate({"rules": [{"name": f"r{i}", "query": q} for i, q in enumerate(RULES)]})
    print(f"machine: {platform.machine()} python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs (CPU seconds are reported: wall time depends on the load)")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        with Store(data) as store:
            engine.register_rules(store, config)
            for d in docs:
                store.upsert_article(d, [d["url"]])
            t, c = time.perf_counter(), time.process_time()
            assigned = stories.assign_pending(store)
            took, cpu = time.perf_counter() - t, time.process_time() - c
            count = store.db.execute("SELECT COUNT(DISTINCT story_id) FROM articles").fetchone()[0]
            print(f"stories: {assigned} articles in {took:.2f}s wall, {cpu:.2f}s CPU = {assigned / cpu:.0f} articles/s "
                  f"per CPU second; {count} stories (expected {len({d['title'].rsplit(' (', 1)[0] for d in docs})})")
            report = engine.Report()
            t, c = time.perf_counter(), time.process_time()
            engine.evaluate(store, config, EmbeddedMatcher(), datetime.now(timezone.utc), report)
            took, cpu = time.perf_counter() - t, time.process_time() - c
            print(f"evaluation: {report.evaluated} articles x {len(RULES)} rules in {took:.2f}s wall, {cpu:.2f}s CPU = "
                  f"{report.evaluated / cpu:.0f} articles/s per CPU second; {report.matched} matches")
    items = [{"id": d["id"], "url": d["url"], "title": d["title"], "source": d["source"], "lang": d["lang"],
              "published_at": d["published_at"], "snippet": d["text"][:200], "matched_terms": ["x"],
              "story_id": d["id"]} for d in docs[:20]]
    t = time.process_time()
    runs = 200
    for _ in range(runs):
        render.payload("r", "alert", items, "k")
        render.email_message("r", "alert", items, "k" * 32, sender="a@b.org", to=["c@d.org"], channel="email:1",
                             date=datetime.now(timezone.utc)).as_bytes()
    took = time.process_time() - t
    print(f"rendering: {runs / took:.0f} messages per CPU second (20 articles, webhook JSON + e-mail)")


if __name__ == "__main__":
    main()
