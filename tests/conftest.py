"""Shared fixtures: the sample news site as a subprocess, and running the real `newsmon` CLI.

Like Scrapy's own mockserver, the site runs in a child process on port 0 and reports its URL
on the first line of stdout. Crawls run as child processes too: Twisted's reactor cannot be
restarted, and a child process is exactly what a user (or the scheduler) runs.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def realpages_bench():
    """``benchmarks/realpages.py`` as a module (it reads and scores the shared real-page dev
    sets); ``data_dir()`` is None where those sets are not found."""
    import importlib.util

    if "bench_realpages" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_realpages", ROOT / "benchmarks" / "realpages.py")
        bench = importlib.util.module_from_spec(spec)
        sys.modules["bench_realpages"] = bench  # dataclasses look their module up while the file executes
        spec.loader.exec_module(bench)
    return sys.modules["bench_realpages"]


@dataclass
class Served:
    url: str
    process: subprocess.Popen


@pytest.fixture(scope="session")
def sample_site() -> Iterator[Served]:
    proc = subprocess.Popen([sys.executable, "-m", "newsmon.sample_site.server", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), f"sample site did not start: {url!r}"
    try:
        yield Served(url, proc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run_newsmon(*args: str, env: dict[str, str] | None = None, timeout: float = 240) -> Result:
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.run([sys.executable, "-m", "newsmon.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env=full_env, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


# The sample site is ours and local: no need for the politeness a real site gets.
FAST = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "DOWNLOAD_TIMEOUT=15")


def write_sources(path: Path, sources: list[dict]) -> Path:
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def run_on_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run the CLI on a pseudo-terminal (``env`` added to ours: COLUMNS, TERM …), as a user at a
    terminal sees it; what the terminal received. The CLI must exit 0."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "newsmon.cli", *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave, env={**os.environ, **env})
    os.close(slave)
    out = b""
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
    assert proc.wait(timeout=60) == 0
    return out.decode("utf-8", "replace")
