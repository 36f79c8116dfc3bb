"""Whole crawls of two code trees, alternating, with the CPU of the page path, the index and story
linking measured inside each crawl.

    git archive main | tar -x -C /tmp/main
    .venv/bin/python benchmarks/crawl_split_ab.py /tmp/main . --size 2400 --rounds 2

Each round crawls ``crawl_vs_bare.py``'s generated site (``newsmon crawl --keep-all``, politeness
off) with tree A, then tree B. The crawl runs through a few lines that wrap, from outside,
``PageProcessor.__call__`` (the page path: extract, language, dates, relevance),
``SearchIndex.add`` (the index's analysis and tantivy) and ``stories.assign_pending`` (linking
after the crawl), adding up the thread CPU time spent in each; at exit they print those and the
process's CPU (user + sys). On a loaded machine a whole crawl's CPU moves by ±10–20% from run
to run; the page path's own share of it moves much less, so a change to the page path shows
there when the total cannot resolve it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.crawl_vs_bare import compile_tree, sources_yaml  # noqa: E402

from newsmon.sample_site.generated import Site  # noqa: E402

WRAPPED = r'''
import atexit, os, runpy, sys, time
sys.path.insert(0, os.getcwd())
import newsmon.search_index as index
import newsmon.stories as stories
import pipelines.page as page
spent = {"page": 0.0, "index": 0.0, "stories": 0.0}
def wrap(owner, name, key):
    original = getattr(owner, name)
    def timed(*args, **kwargs):
        start = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[key] += time.thread_time() - start
    setattr(owner, name, timed)
wrap(page.PageProcessor, "__call__", "page")
wrap(index.SearchIndex, "add", "index")
wrap(stories, "assign_pending", "stories")
def report():
    times = os.times()
    sys.stderr.write("SPLIT " + " ".join(f"{k} {v:.3f}" for k, v in spent.items()) + f" total {times.user + times.system:.3f}\n")
atexit.register(report)
sys.argv = ["newsmon", *sys.argv[1:]]
runpy.run_module("newsmon.cli", run_name="__main__", alter_sys=True)
'''


def crawl(tree: Path, site: Site, tmp: Path, name: str) -> dict[str, float]:
    cmd = [sys.executable, "-c", WRAPPED, "crawl", "--sources", str(sources_yaml(site, tmp / "sources.yaml")),
           "--data", str(tmp / f"data-{name}-{os.urandom(4).hex()}"), "--keep-all", "--json",
           "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "NEWSMON_BLOCK_PRIVATE_ADDRESSES=False"]
    done = subprocess.run(cmd, cwd=tree, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{name}: exit {done.returncode}\n{done.stderr[-2000:]}")
    stored = sum(r["new"] for r in json.loads(done.stdout[done.stdout.index("["):]))
    if stored != site.total:
        raise SystemExit(f"{name}: stored {stored} of {site.total}")
    words = [line for line in done.stderr.splitlines() if line.startswith("SPLIT ")][-1].split()[1:]
    return {k: float(v) for k, v in zip(words[::2], words[1::2])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--size", type=int, default=2400)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    trees = {"A": args.a.resolve(), "B": args.b.resolve()}
    for tree in trees.values():
        compile_tree(tree)
    with tempfile.TemporaryDirectory() as tmpdir, Site(args.size) as site:
        for r in range(args.rounds):
            for name, tree in trees.items():
                got = crawl(tree, site, Path(tmpdir), name)
                print(f"round {r + 1} {name} ({tree}): " + ", ".join(f"{k} {v:.2f} s" for k, v in got.items())
                      + f" CPU; {got['page'] / args.size * 1000:.2f} ms per article in the page path, "
                      f"{got['total'] / args.size * 1000:.2f} in all; load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
