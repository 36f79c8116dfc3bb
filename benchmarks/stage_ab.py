"""A/B of two code trees, stage by stage, on the crawl benchmark's generated articles.

    git archive main | tar -x -C /tmp/main
    .venv/bin/python benchmarks/stage_ab.py /tmp/main . 600 2     # trees A and B, articles, passes

Each tree runs in its own process (its own ``pipelines`` and ``newsmon``) over the same N
generated articles (``crawl_vs_bare.py``'s site: ar, fr, it, one in three each), article by
article: both get the same article at the same moment, so they see the same load, and report
``time.process_time`` for each stage of the page path (the extract stage with the decoding,
parse and copy of the page, language, dates, relevance) and for what the index does with the
stored article (its ``_document``: the two analyses of title and text, and the story signature
taken from its words). Prints the mean per article of each tree and B − A. Unlike a whole crawl
(±10% from run to run here), the split shows a change of a few percent; the first pass over the
articles is a fresh process's, as in a crawl (caches of words and stems fill).
"""
import json
import os
import subprocess
import sys

WORKER = r'''
import copy, json, sys, tempfile, time
root, n = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, root)
from datetime import datetime, timezone
from newsmon.config import load_topics
from newsmon.sample_site.generated import LANGS, page_html
from newsmon.search_index import SearchIndex
from pipelines import stories
from pipelines.html import decode_html, parse
from pipelines.page import Hints, PageProcessor, _article
fetched = datetime(2026, 12, 2, tzinfo=timezone.utc)
pages = [(page_html(i, LANGS[(i // 20) % 3], "2026-12-01T10:00:00+00:00"), f"http://h/news/{i}.html", LANGS[(i // 20) % 3])
         for i in range(n)]
proc = PageProcessor(load_topics(), keep_all=True)
tmp = tempfile.TemporaryDirectory()
index = SearchIndex(tmp.name + "/index", writable=True)
clock = time.process_time
def run(i):
    page, url, lang = pages[i]
    hints = Hints(content_type="text/html; charset=utf-8", language=lang, fetched_at=fetched)
    t0 = clock()
    html = decode_html(page, hints.content_type)
    item = _article(html, url, hints)
    tree = parse(html, decoded=True)
    pristine = copy.deepcopy(tree)
    item = proc.extract.process_item(item, tree, pristine); t1 = clock()
    item = proc.language.process_item(item); t2 = clock()
    item = proc.dates.process_item(item, pristine); t3 = clock()
    item = proc.relevance.process_item(item); t4 = clock()
    article = dict(item, id=str(i), published_at=None, fetched_at=fetched.isoformat())
    _, words = index._document(article)
    stories.signature_of(words); t5 = clock()
    return [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4]
print(n, flush=True)
for line in sys.stdin:
    print(json.dumps(run(int(line))), flush=True)
index.close()
tmp.cleanup()
'''
NAMES = ["extract", "language", "dates", "relevance", "index+sig"]


def main() -> None:
    a, b, n = sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 600
    passes = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, d, str(n)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True) for d in (a, b)]
    for p in procs:
        p.stdout.readline()
    totals = [[0.0] * len(NAMES), [0.0] * len(NAMES)]
    for _ in range(passes):
        for i in range(n):
            for p in procs:
                p.stdin.write(f"{i}\n")
                p.stdin.flush()
            for k, p in enumerate(procs):
                for j, value in enumerate(json.loads(p.stdout.readline())):
                    totals[k][j] += value
    for p in procs:
        p.stdin.close()
        p.wait()
    m = n * passes / 1000
    print(f"{'ms per article':14s} {'A':>7s} {'B':>7s} {'B-A':>7s}   (A {a}, B {b}, {n} articles, {passes} pass(es))")
    for j, name in enumerate(NAMES):
        print(f"{name:14s} {totals[0][j] / m:7.3f} {totals[1][j] / m:7.3f} {(totals[1][j] - totals[0][j]) / m:+7.3f}")
    print(f"{'total':14s} {sum(totals[0]) / m:7.3f} {sum(totals[1]) / m:7.3f} {(sum(totals[1]) - sum(totals[0])) / m:+7.3f}"
          f"   load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
