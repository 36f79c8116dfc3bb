"""Run the real `newsmon` CLI in a child process and measure what it cost: wall time, peak RSS."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import ROOT

# Our hostile site is local: no politeness delays, short timeouts.
FAST = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "DOWNLOAD_TIMEOUT=10",
        "-s", "RETRY_ENABLED=False")


@dataclass
class Measured:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float
    killed: bool  # still running at the deadline: the run did not end by itself

    def summary(self) -> dict[str, dict[str, Any]]:
        return {row["source"]: row for row in json.loads(self.stdout)}


def _limit_file_size(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # a write past it fails (EFBIG)
    return apply


def run_measured(*args: str, tmp: Path, deadline: float = 120, env: dict[str, str] | None = None,
                 max_file_bytes: int | None = None) -> Measured:
    """``python -m newsmon.cli ARGS``; killed (and reported so) if it outlives ``deadline`` seconds.
    Peak RSS is the child's own high-water mark (``VmHWM``), polled until it exits.
    ``max_file_bytes``: the kernel refuses to grow any file past it, as a full disk would."""
    out_path, err_path = tmp / "stdout.txt", tmp / "stderr.txt"
    killed = threading.Event()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "newsmon.cli", *args], cwd=ROOT, stdout=out, stderr=err,
                                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
                                preexec_fn=_limit_file_size(max_file_bytes) if max_file_bytes else None)

        def kill() -> None:
            killed.set()
            os.kill(proc.pid, signal.SIGKILL)

        timer = threading.Timer(deadline, kill)
        timer.start()
        peak = [0]
        watcher = threading.Thread(target=_watch_hwm, args=(proc.pid, peak), daemon=True)
        watcher.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        watcher.join(timeout=5)
        proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
        seconds = time.monotonic() - start
    peak_kb = peak[0] or usage.ru_maxrss
    return Measured(proc.returncode, out_path.read_text(encoding="utf-8"), err_path.read_text(encoding="utf-8"),
                    seconds, peak_kb / 1024, killed.is_set())


def _watch_hwm(pid: int, peak: list[int]) -> None:
    """The child's own high-water RSS (VmHWM), read every 20 ms until it exits. Not ``ru_maxrss``:
    that also counts the memory of the (possibly big) test process the child was forked from."""
    path = f"/proc/{pid}/status"
    while True:
        try:
            with open(path, encoding="ascii", errors="replace") as status:
                text = status.read()
        except OSError:
            return
        line = next((l for l in text.splitlines() if l.startswith("VmHWM:")), None)
        if line is None:  # a zombie: its memory is gone
            return
        peak[0] = max(peak[0], int(line.split()[1]))
        time.sleep(0.02)


def write_sources(path: Path, sources: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def crawl(sources: list[dict[str, Any]], tmp: Path, *extra: str, deadline: float = 120,
          max_file_bytes: int | None = None) -> Measured:
    path = write_sources(tmp / "sources.yaml", sources)
    return run_measured("crawl", "--sources", str(path), "--data", str(tmp / "data"), "--max-age", "0", "--json",
                        *FAST, *extra, tmp=tmp, deadline=deadline, max_file_bytes=max_file_bytes)
