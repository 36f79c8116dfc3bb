"""Scheduler memory: does `newsmon schedule` stay flat over many crawls?

Inputs: the bundled sample site (child process on 127.0.0.1); two of its feed outlets as
sources, each ``schedule: every 1s`` (so the global cap of 2 concurrent crawls is always in
use and most fire times are recorded as skipped); the scheduler's settings as shipped except
jitter 0 and politeness off. It runs until N crawls (default 100) have finished and reads the
scheduler process's resident memory (VmRSS, /proc) once it is up, after the first crawls, and at
the end. The crawls themselves are separate processes and not counted: their peak is in
`benchmarks/crawl.py`.

    .venv/bin/python benchmarks/scheduler_memory.py [--crawls 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmon.demo import demo_max_age, demo_sources  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def finished(data: Path) -> dict[str, int]:
    db_path = data / "newsmon.db"
    if not db_path.exists():
        return {}
    with closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        try:
            return dict(db.execute("SELECT outcome, COUNT(*) FROM schedule_runs GROUP BY outcome").fetchall())
        except sqlite3.OperationalError:
            return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--crawls", type=int, default=100)
    args = parser.parse_args()
    site = subprocess.Popen([sys.executable, "-m", "newsmon.sample_site.server", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    url = site.stdout.readline().strip()  # type: ignore[union-attr]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            sources = [dict(s, schedule="every 1s", max_age_days=demo_max_age()) for s in demo_sources(url)
                       if s["name"] in ("sample-atlas-ar", "sample-steppe-ru")]
            sources_file = Path(tmp) / "sources.yaml"
            sources_file.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
            log = open(Path(tmp) / "schedule.log", "w", encoding="utf-8")
            start = time.monotonic()
            sched = subprocess.Popen(
                [sys.executable, "-m", "newsmon.cli", "schedule", "--sources", str(sources_file), "--data", str(data),
                 "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "NEWSMON_SCHEDULE_JITTER_SECONDS=0"],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
            try:
                samples: list[tuple[int, float]] = []
                while not finished(data):
                    time.sleep(0.1)
                samples.append((0, rss_mb(sched.pid)))
                done = 0
                while done < args.crawls:
                    counts = finished(data)
                    done = sum(n for outcome, n in counts.items() if outcome not in ("running", "skipped", "missed"))
                    if not samples or done >= samples[-1][0] + 10:
                        samples.append((done, rss_mb(sched.pid)))
                    if sched.poll() is not None:
                        raise SystemExit(f"scheduler exited {sched.returncode}:\n{Path(log.name).read_text()}")
                    time.sleep(0.2)
                samples.append((done, rss_mb(sched.pid)))
                elapsed = time.monotonic() - start
                counts = finished(data)
            finally:
                sched.send_signal(signal.SIGTERM)
                sched.wait(timeout=30)
                log.close()
    finally:
        site.terminate()
        site.wait(timeout=10)
    print(f"machine: {os.cpu_count()} vCPU, {platform.machine()}, Python {platform.python_version()}")
    print(f"{done} crawls finished in {elapsed:.0f} s; journal: {dict(sorted(counts.items()))}")
    print("scheduler RSS by crawls finished: " + ", ".join(f"{n}: {mb:.1f} MB" for n, mb in samples))
    first, last = samples[0][1], samples[-1][1]
    print(f"scheduler RSS: start {first:.1f} MB, end {last:.1f} MB ({last - first:+.1f} MB over {done} crawls), "
          f"after 10 crawls {next((mb for n, mb in samples if n >= 10), last):.1f} MB")


if __name__ == "__main__":
    main()
