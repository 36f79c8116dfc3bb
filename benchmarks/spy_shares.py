"""Shares of a py-spy raw profile (collapsed stacks) by function, without a browser.

Each function's inclusive share of the busy samples (a sample counts once per function however
deep it recurs); samples of idle pool threads (``Condition.wait``, a thread pool's ``_worker``)
are left out, as py-spy counts them as busy. With ``--under PATTERN``, the shares of what runs
beneath the first frame matching PATTERN (e.g. ``assign_pending``), still as shares of the whole.

    .venv/bin/python benchmarks/crawl_vs_bare.py --sizes 2400 --profile /tmp/crawl.txt
    .venv/bin/python benchmarks/spy_shares.py /tmp/crawl.txt --match "newsmon|crawler|pipelines" --top 60
    .venv/bin/python benchmarks/spy_shares.py /tmp/crawl.txt --under "assign_pending"
"""

from __future__ import annotations

import argparse
import collections
import re

IDLE = ("Condition.wait", "wait (threading", "_worker (concurrent")


def frame_name(frame: str) -> str:
    """``func (path/to/file.py:LINE)`` → ``func (file path below site-packages or the repo)``."""
    name = re.sub(r" \(.*site-packages/", " (", frame)
    name = re.sub(r" \(/.*?/(newsmon|crawler|pipelines|settings|benchmarks)/", r" (\1/", name)
    return re.sub(r":\d+\)$", ")", name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("profile", help="py-spy record --format raw output")
    parser.add_argument("--match", help="only list functions whose name matches this regular expression")
    parser.add_argument("--under", help="list what runs beneath the first frame matching this regular expression")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    total = 0
    below = 0
    shares: collections.Counter[str] = collections.Counter()
    with open(args.profile, encoding="utf-8") as fh:
        for line in fh:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = stack.split(";")
            if any(idle in f for f in frames[-3:] for idle in IDLE):
                continue
            n = int(count)
            total += n
            if args.under:
                start = next((i for i, f in enumerate(frames) if re.search(args.under, f)), None)
                if start is None:
                    continue
                below += n
                frames = frames[start + 1:]
            for name in {frame_name(f) for f in frames}:
                shares[name] += n
    if not total:
        raise SystemExit(f"{args.profile}: no busy samples")
    print(f"{total} busy samples" + (f"; {100 * below / total:.1f}% under {args.under!r}" if args.under else ""))
    shown = 0
    for name, n in shares.most_common():
        if args.match and not re.search(args.match, name):
            continue
        print(f"{100 * n / total:5.1f}%  {name}")
        shown += 1
        if shown >= args.top:
            break


if __name__ == "__main__":
    main()
