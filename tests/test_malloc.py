"""The crawl fixes glibc's mmap threshold, so freed large blocks leave the process at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")
def test_large_blocks_freed_after_the_knob_leave_the_process():
    """Without the knob, freeing a 1 MiB block raises glibc's threshold, so the next 1 MiB blocks
    come from the heap and stay resident once freed; with it they are unmapped."""
    code = ("import ctypes, sys\n"
            "from newsmon.malloc import return_large_blocks\n"
            "if sys.argv[1] == 'on': assert return_large_blocks()\n"
            "libc = ctypes.CDLL(None); libc.malloc.restype = ctypes.c_void_p; libc.free.argtypes = [ctypes.c_void_p]\n"
            "def rss(): return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS'))\n"
            "libc.free(libc.malloc(1 << 20))\n"  # one large block freed: glibc raises its threshold to 1 MiB
            "blocks = [libc.malloc(900_000) for _ in range(40)]\n"
            "for b in blocks: ctypes.memset(b, 1, 900_000)\n"
            "for b in blocks[:-1]: libc.free(b)\n"  # the last one pins the heap's top
            "before = rss()\n"
            "print(before)\n")
    kept = {}
    for mode in ("off", "on"):
        out = subprocess.run([sys.executable, "-c", code, mode], cwd=ROOT, capture_output=True, text=True, check=True)
        kept[mode] = int(out.stdout)
    assert kept["off"] - kept["on"] > 20_000, kept  # ~34 MiB held without the knob
