"""Crawl throughput and memory: a real `newsmon crawl` of the sample site, end to end.

Inputs: the bundled sample site (9 outlets, 59 articles + hostile pages) served from a child
process on 127.0.0.1, the demo's sources (every discovery method), politeness off (delay 0,
concurrency 8: we measure newsmon, not our own throttling). Reports wall time, pages per second
(every response: feeds, sitemaps, listings, articles), articles stored, and the crawl process's
peak RSS. The slow hostile page (2 s) and the 20 MB page are part of the run, as in real life.

    .venv/bin/python benchmarks/crawl.py
"""

from __future__ import annotations

import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmon.demo import demo_max_age, write_demo_sources  # noqa: E402


def main() -> None:
    site = subprocess.Popen([sys.executable, "-m", "newsmon.sample_site.server", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    url = site.stdout.readline().strip()  # type: ignore[union-attr]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sources = write_demo_sources(url, Path(tmp) / "sources.yaml")
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-m", "newsmon.cli", "crawl", "--sources", str(sources),
                                  "--data", f"{tmp}/data", "--max-age", str(demo_max_age()), "--json",
                                  "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"],
                                 cwd=ROOT, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            summary = json.loads(out.stdout)
    finally:
        site.terminate()
    pages = sum(r["pages"] for r in summary)
    stored = sum(r["new"] for r in summary)
    print(f"crawl: {len(summary)} sources, {pages} pages, {stored} articles stored in {elapsed:.1f} s "
          f"(incl. ~1.5 s process start-up and a 2 s slow page)")
    print(f"crawl: {pages / elapsed:.1f} pages/s end to end; peak RSS {peak_kb / 1024:.0f} MB")
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")


if __name__ == "__main__":
    main()
