"""Where a crawl's memory goes: the resident set of `newsmon crawl` sampled while it runs.

    .venv/bin/python benchmarks/crawl_memory.py 2400             # N generated articles, as crawl_vs_bare.py
    .venv/bin/python benchmarks/crawl_memory.py 600 -s NAME=VALUE

Runs the same crawl as ``crawl_vs_bare.py`` (same site, same command line) and reads the child's
``/proc/PID/status`` every 0.2 s: RSS, anonymous and file-backed, and its threads by name (a jump
that comes with a thread, e.g. tantivy's ``docstore-compre`` at each index commit, names its
cause). At the highest RSS seen it reads ``/proc/PID/smaps``: resident MiB by mapping (shared
libraries, ``[heap]``: the main thread's malloc, ``[anon]``: Python's arenas, thread arenas at
64 MiB-aligned addresses, mapped files) and the largest anonymous mappings. Prints the timeline
(every jump of 3 MiB or more, and about 25 samples) and that breakdown.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.crawl_vs_bare import sources_yaml  # noqa: E402  (the same sources as that benchmark)
from newsmon.sample_site.generated import Site  # noqa: E402


def status(pid: int) -> dict[str, int]:
    wanted = {"VmRSS", "RssAnon", "RssFile", "Threads"}
    with open(f"/proc/{pid}/status") as f:
        return {k: int(v.split()[0]) for k, _, v in (line.partition(":") for line in f) if k in wanted}


def thread_names(pid: int) -> str:
    names = set()
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/comm") as f:
            names.add(f.read().strip())
    return ",".join(sorted(names))


def smaps(pid: int) -> tuple[dict[str, int], list[tuple[str, int, int, str]]]:
    """Resident KiB by mapping name, and every mapping as (range, size KiB, resident KiB, name)."""
    by_name: dict[str, int] = {}
    maps: list[list] = []
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5 and "-" in parts[0] and not parts[0].endswith(":"):
                low, high = (int(x, 16) for x in parts[0].split("-"))
                maps.append([parts[0], (high - low) // 1024, 0, parts[5] if len(parts) > 5 else "[anon]"])
            elif parts and parts[0] == "Rss:" and maps:
                maps[-1][2] = int(parts[1])
                by_name[maps[-1][3]] = by_name.get(maps[-1][3], 0) + int(parts[1])
    return by_name, [tuple(m) for m in maps]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("articles", type=int)
    parser.add_argument("-s", "--set", dest="extra", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir, Site(args.articles) as site:
        tmp = Path(tmpdir)
        cmd = [sys.executable, "-m", "newsmon.cli", "crawl", "--sources", str(sources_yaml(site, tmp / "sources.yaml")),
               "--data", str(tmp / "data"), "--keep-all", "--json", "-s", "AUTOTHROTTLE_ENABLED=False",
               "-s", "DOWNLOAD_DELAY=0", "-s", "NEWSMON_BLOCK_PRIVATE_ADDRESSES=False",
               *(x for pair in args.extra for x in ("-s", pair))]
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        timeline, peak, start = [], None, time.monotonic()
        while proc.poll() is None:
            try:
                st = status(proc.pid)
                if "VmRSS" not in st:
                    continue  # a zombie: its memory is gone
                timeline.append((time.monotonic() - start, st, thread_names(proc.pid)))
                if peak is None or st["VmRSS"] > peak[0]["VmRSS"]:
                    peak = (st, *smaps(proc.pid))
            except (OSError, KeyError):
                pass  # exiting
            time.sleep(0.2)
        out, _ = proc.communicate()
    stored = sum(r["new"] for r in json.loads(out)) if proc.returncode == 0 else None
    print(f"newsmon crawl of {args.articles} articles: exit {proc.returncode}, {stored} stored")
    step, last = max(1, len(timeline) // 25), 0
    for i, (t, st, names) in enumerate(timeline):
        if i % step == 0 or abs(st["VmRSS"] - last) >= 3 * 1024:
            print(f"t={t:5.1f}s  RSS {st['VmRSS'] / 1024:4.0f} MiB  anon {st['RssAnon'] / 1024:4.0f}  "
                  f"file {st['RssFile'] / 1024:3.0f}  threads {st['Threads']:2d}  {names}")
        last = st["VmRSS"]
    if peak is None:
        return
    st, by_name, maps = peak
    print(f"\nat the highest RSS seen, {st['VmRSS'] / 1024:.0f} MiB (anon {st['RssAnon'] / 1024:.0f}, "
          f"file {st['RssFile'] / 1024:.0f}), by mapping:")
    for name, kib in sorted(by_name.items(), key=lambda kv: -kv[1])[:15]:
        print(f"  {kib / 1024:6.1f} MiB  {name}")
    print("largest anonymous mappings:")
    for rng, size, rss, name in sorted((m for m in maps if m[3] in ("[anon]", "[heap]")), key=lambda m: -m[2])[:10]:
        print(f"  {rss / 1024:6.1f} of {size / 1024:6.1f} MiB  {rng} {name}")


if __name__ == "__main__":
    main()
