"""Topic matching speed and quality: ms per article for match_topics, precision and recall.

Inputs: settings/topics.yaml, the labelled set in tests/fixtures/relevance/ (title + body; the
page-based cases are extracted once, outside the timing) and a ~5 KB article built by repeating
the labelled bodies of one language. Timings are warm (topics compiled, stemmer caches filled by
one untimed pass), best of 5 rounds, because a crawl matches thousands of pages per process.

    .venv/bin/python benchmarks/relevance.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.relevance import match_topics  # noqa: E402
from tests.test_relevance_labelled import (  # noqa: E402
    TOPICS_FILE, article_text, classify, load_cases, precision_recall,
)
from newsmon.config import load_topics  # noqa: E402

ROUNDS = 5


def per_article_ms(docs: list[tuple[str, str, str]], topics: list, rounds: int = ROUNDS) -> float:
    for title, text, lang in docs:  # warm: compile indexes, fill word caches
        match_topics(title, text, lang, topics)
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for title, text, lang in docs:
            match_topics(title, text, lang, topics)
        best = min(best, time.perf_counter() - t0)
    return best * 1000 / len(docs)


def main() -> None:
    topics = load_topics(TOPICS_FILE)
    cases = load_cases()
    docs = [(*article_text(c), c.lang) for c in cases]
    precision, recall = precision_recall(cases, classify(cases, topics))
    print(f"labelled set: {len(cases)} articles in {len({c.lang for c in cases})} languages")
    print(f"precision {precision:.3f}  recall {recall:.3f}")
    print(f"match_topics, labelled set (avg {sum(len(t) + len(x) for t, x, _ in docs) / len(docs):.0f} chars): "
          f"{per_article_ms(docs, topics):.3f} ms/article")
    for lang in ("fr", "ar", "ru"):
        bodies = [x for (t, x, lg) in docs if lg == lang]
        big = "\n".join(bodies * 10)[:5000]
        size = len(big.encode("utf-8"))
        ms = per_article_ms([(bodies[0][:80], big, lang)] * 20, topics)
        print(f"match_topics, {lang} article of {len(big)} chars ({size} bytes): {ms:.3f} ms/article")


if __name__ == "__main__":
    main()
