"""A/B of the page path's CPU per page: two code trees process the same real page at the same moment.

    git archive BASE | tar -x -C /tmp/base     # the other tree (a commit, another branch)
    export NEWSMON_REALPAGES=../shared/realpages   # the sets, for a tree not beside them
    .venv/bin/python benchmarks/page_ab.py /tmp/base . 2    # A, B, passes (the minimum per page is kept)

Each tree runs in its own process (its own ``pipelines``), warmed by one pass over the shared
real pages (``realpages.py``'s sets); then page by page, both get the same page and report
``time.process_time`` for ``process_page``. On a machine shared with other jobs CPU time moves
by ±10% between runs, but two processes running side by side see the same load, so the ratio
of their times holds. Prints each tree's median, mean and total, and B/A.
"""
import os
import statistics
import subprocess
import sys
WORKER = r'''
import sys, time, json
root = sys.argv[1]
sys.path.insert(0, root); sys.path.insert(0, root + "/benchmarks")
import realpages as rp
from pipelines.page import Hints, PageProcessor
from newsmon.config import DEFAULT_TOPICS_FILE, load_topics
src = rp.data_dir()
pages = rp.load_extraction(src) + rp.load_dates(src)
bodies = [p.body() for p in pages]
proc = PageProcessor(load_topics(DEFAULT_TOPICS_FILE), keep_all=True)
for p, b in zip(pages, bodies): proc(b, p.url, Hints(fetched_at=rp.FETCHED_AT))  # warm
print(len(pages), flush=True)
for line in sys.stdin:
    i = int(line)
    t = time.process_time()
    proc(bodies[i], pages[i].url, Hints(fetched_at=rp.FETCHED_AT))
    print(time.process_time() - t, flush=True)
'''
a, b = sys.argv[1], sys.argv[2]
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 1
procs = [subprocess.Popen([sys.executable, "-c", WORKER, d], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                          env={**os.environ}) for d in (a, b)]
n = [int(p.stdout.readline()) for p in procs][0]
times = {0: [[] for _ in range(n)], 1: [[] for _ in range(n)]}
for r in range(reps):
    for i in range(n):
        for p in procs: p.stdin.write(f"{i}\n"); p.stdin.flush()
        for k, p in enumerate(procs): times[k][i].append(float(p.stdout.readline()))
for p in procs: p.stdin.close(); p.wait()
per = {k: [min(x) for x in times[k]] for k in times}
ratios = [bb / aa for aa, bb in zip(per[0], per[1]) if aa > 0]
for k, d in ((0, a), (1, b)):
    print(f"{d}: median {1000*statistics.median(per[k]):.2f} ms, mean {1000*statistics.mean(per[k]):.2f} ms, total {sum(per[k]):.2f} s")
print(f"B/A: median of per-page ratios {statistics.median(ratios):.3f}, ratio of medians {statistics.median(per[1])/statistics.median(per[0]):.3f}, ratio of totals {sum(per[1])/sum(per[0]):.3f}")
