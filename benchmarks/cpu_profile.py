"""Run ``python -m MODULE ARGS...`` under cProfile timed by CPU time, not wall time.

On a shared, loaded machine wall-clock profiles charge a function for the time its process sat
waiting for a core; ``time.process_time`` charges only what this process spent (user + sys).

    .venv/bin/python benchmarks/cpu_profile.py OUT.prof -m newsmon.cli crawl ...
"""

from __future__ import annotations

import atexit
import cProfile
import runpy
import sys
import time


def main() -> None:
    if len(sys.argv) < 4 or sys.argv[2] != "-m":
        raise SystemExit("usage: cpu_profile.py OUT.prof -m MODULE [ARGS...]")
    out, module = sys.argv[1], sys.argv[3]
    sys.argv = [module, *sys.argv[4:]]
    profiler = cProfile.Profile(time.process_time)
    done = []

    def dump() -> None:
        if not done:
            done.append(True)
            profiler.disable()
            profiler.dump_stats(out)

    # `newsmon crawl` ends its process with os._exit after the exit handlers (newsmon.cli.run):
    # the profile is written by one of them, or here when the module returns or raises
    atexit.register(dump)
    profiler.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        dump()


if __name__ == "__main__":
    main()
