"""Read a py-spy raw profile (``py-spy record -f raw``: one collapsed stack a line) without a browser.

    # a crawl (benchmarks/crawl_vs_bare.py --profile /tmp/crawl.txt):
    .venv/bin/python benchmarks/profile_summary.py /tmp/crawl.txt --match "newsmon|crawler|pipelines" --top 60
    .venv/bin/python benchmarks/profile_summary.py /tmp/crawl.txt --under assign_pending   # story linking
    # the page path (benchmarks/realpages.py under py-spy, see benchmarks/README.md):
    .venv/bin/python benchmarks/profile_summary.py /tmp/page.txt --within process_page
    .venv/bin/python benchmarks/profile_summary.py /tmp/page.txt --within process_page --under body_text
    .venv/bin/python benchmarks/profile_summary.py /tmp/page.txt --within process_page --ours  # by line

Samples of idle pool threads (``Condition.wait``, a thread pool's ``_worker``) are left out, as
py-spy counts them as busy. ``--within`` counts only the stacks through a frame (e.g.
``process_page``, so that the reference runners and the scoring of ``realpages.py`` are left
out). Printed, as shares of the samples counted: each function's inclusive share (counted once
per stack however deep it recurs) and its self share (the stack's last frame); with ``--under``,
what runs from the first frame matching it down; with ``--ours``, the share of each line of
``pipelines/`` that is the deepest newsmon frame of a stack (our code, the libraries it calls
included).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

IDLE = ("Condition.wait", "wait (threading", "_worker (concurrent")


def frame_name(frame: str, with_line: bool = False) -> str:
    """``func (/path/to/site-packages/pkg/file.py:LINE)`` → ``func (pkg/file.py)``; paths in the
    repository start at its top folder; ``with_line`` keeps ``:LINE``."""
    name = re.sub(r" \(.*site-packages/", " (", frame)
    name = re.sub(r" \(/.*?/(newsmon|crawler|pipelines|settings|benchmarks)/", r" (\1/", name)
    return name if with_line else re.sub(r":\d+\)$", ")", name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", help="py-spy record --format raw output")
    parser.add_argument("--within", help="count only the stacks through a frame matching this regular expression")
    parser.add_argument("--under", help="shares of what runs from the first frame matching this regular expression")
    parser.add_argument("--ours", action="store_true", help="by line of the deepest pipelines/ frame")
    parser.add_argument("--match", help="only list functions whose name matches this regular expression")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = below = 0
    with open(args.profile, encoding="utf-8") as handle:
        for line in handle:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")
            if not stack or not count.isdigit() or any(idle in f for f in frames[-3:] for idle in IDLE):
                continue
            if args.within and not any(re.search(args.within, f) for f in frames):
                continue
            n = int(count)
            total += n
            if args.under:
                start = next((i for i, f in enumerate(frames) if re.search(args.under, f)), None)
                if start is None:
                    continue
                below += n
                frames = frames[start:]
            if args.ours:
                mine = [f for f in frames if "(pipelines/" in f or "/pipelines/" in f]
                if mine:
                    inclusive[frame_name(mine[-1], with_line=True)] += n
                continue
            for name in {frame_name(f) for f in frames}:
                inclusive[name] += n
            own[frame_name(frames[-1])] += n
    if not total:
        raise SystemExit(f"{args.profile}: no busy samples" + (f" through {args.within!r}" if args.within else ""))
    print(f"{total} busy samples" + (f" through {args.within}" if args.within else "")
          + (f"; {100 * below / total:.1f}% from {args.under!r} down" if args.under else ""))
    for title, counts, top in (("inclusive" if not args.ours else "by line of pipelines/ (deepest newsmon frame)",
                                inclusive, args.top), ("self", own, min(args.top, 25))):
        listed = [(name, n) for name, n in counts.most_common() if not args.match or re.search(args.match, name)]
        if listed:
            print(f"== {title}")
            for name, n in listed[:top]:
                print(f"{100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
