"""Read a py-spy raw profile (``py-spy record -f raw``: one collapsed stack a line) without a browser.

    .venv/bin/python benchmarks/profile_summary.py /tmp/page.txt                 # shares under process_page
    .venv/bin/python benchmarks/profile_summary.py /tmp/page.txt --under body_text --top 30
    .venv/bin/python benchmarks/profile_summary.py /tmp/page.txt --ours          # by line of pipelines/

Only the stacks that pass through ``--within`` (default ``process_page``, the page path) are
counted, so the benchmark's own work and the reference runners (trafilatura, htmldate in
``realpages.py``) are left out. Printed: the inclusive share of each function (a function
counted once per stack), the self share (the stack's last frame), or with ``--ours`` the
share of each line of ``pipelines/`` that is the deepest newsmon frame of a stack (what our
code costs, the libraries it calls included).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

_FRAME = re.compile(r"^(.*?) \((.*?)(?::(\d+))?\)$")


def _name(frame: str, with_line: bool) -> str:
    m = _FRAME.match(frame)
    if not m:
        return frame
    path = m.group(2).split("site-packages/")[-1]
    return f"{m.group(1)} ({path}:{m.group(3)})" if with_line and m.group(3) else f"{m.group(1)} ({path})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile")
    parser.add_argument("--within", default="process_page", help="count only stacks through this frame")
    parser.add_argument("--under", help="shares of what runs below the first frame matching this")
    parser.add_argument("--ours", action="store_true", help="by line of the deepest pipelines/ frame")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(args.profile, encoding="utf-8") as handle:
        for line in handle:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")
            if not count.isdigit() or not any(args.within in f for f in frames):
                continue
            n = int(count)
            total += n
            if args.under:
                start = next((i for i, f in enumerate(frames) if args.under in f), None)
                if start is None:
                    continue
                frames = frames[start:]
            if args.ours:
                mine = [f for f in frames if "(pipelines/" in f or "/pipelines/" in f]
                if mine:
                    inclusive[_name(mine[-1], True)] += n
                continue
            for name in {_name(f, False) for f in frames}:
                inclusive[name] += n
            own[_name(frames[-1], False)] += n
    if not total:
        raise SystemExit(f"no stack through {args.within!r} in {args.profile}")
    print(f"{total} samples through {args.within}" + (f", below {args.under}" if args.under else ""))
    print("== inclusive" if not args.ours else "== by line of pipelines/ (deepest newsmon frame)")
    for name, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:5.1f}%  {name}")
    if own:
        print("== self")
        for name, n in own.most_common(min(args.top, 25)):
            print(f"{100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
