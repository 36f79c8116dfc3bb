"""What a short newsmon command costs to start: CPU, wall and peak RSS of the whole process.

Commands, each run as a child and measured with ``os.wait4`` (user + sys CPU, peak RSS):

* ``newsmon --help``;
* ``newsmon extract PAGE`` on one generated article written here (the page path, no crawl);
* ``newsmon search`` in an empty store (the store, the index, the query parser);
* the imports alone of ``newsmon.commands.crawl`` and ``newsmon.commands.schedule`` (the
  scheduler's own process), for their RSS.

``--tree DIR`` runs the same commands from another checkout (e.g. ``git archive main | tar -x -C
DIR``) in the same rounds, alternating, so that both see the same load. The project's packages are
compiled to bytecode first (see crawl_vs_bare.py). Min and median of ``--runs``.

    .venv/bin/python benchmarks/cli_startup.py --runs 7
    .venv/bin/python benchmarks/cli_startup.py --runs 7 --tree /tmp/main
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.crawl_vs_bare import compile_tree, measured  # noqa: E402
from newsmon.sample_site.generated import page_html  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
IMPORT_ONLY = "import sys, importlib; importlib.import_module(sys.argv[1])"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", type=Path, help="another checkout, measured in the same rounds")
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    if args.tree:
        trees = {f"tree {args.tree.name}": args.tree.resolve(), **trees}
    for tree in trees.values():
        compile_tree(tree)
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        page = tmp / "page.html"
        page.write_bytes(page_html(7, "fr", "2026-03-21T09:30:00+00:00"))
        # an empty store with its (empty) index: what `search` opens
        subprocess.run([sys.executable, "-m", "newsmon.cli", "reindex", "--data", str(tmp / "empty")], cwd=ROOT,
                       check=True, capture_output=True)
        commands = {
            "newsmon --help": [py, "-m", "newsmon.cli", "--help"],
            "newsmon extract PAGE": [py, "-m", "newsmon.cli", "extract", str(page), "--url",
                                     "https://news.example/fr/7.html"],
            "newsmon search (empty store)": [py, "-m", "newsmon.cli", "search", "Kazakhstan", "--data", str(tmp / "empty")],
            "import newsmon.commands.crawl": [py, "-c", IMPORT_ONLY, "newsmon.commands.crawl"],
            "import newsmon.commands.schedule": [py, "-c", IMPORT_ONLY, "newsmon.commands.schedule"],
        }
        results: dict[tuple[str, str], list[tuple[float, float, float]]] = {}
        for i in range(args.runs):
            for name, cmd in commands.items():
                for label, tree in trees.items():
                    _, cpu, rss, wall = measured(cmd, cwd=tree)
                    results.setdefault((name, label), []).append((cpu, wall, rss))
            print(f"  round {i + 1} of {args.runs} done", file=sys.stderr, flush=True)
    print(f"{'command':32} | {'tree':16} | {'CPU min':>7} | {'median':>6} | {'wall med':>8} | {'peak RSS':>8}")
    for (name, label), got in results.items():
        cpus = [c for c, _, _ in got]
        print(f"{name:32} | {label:16} | {min(cpus):6.2f}s | {statistics.median(cpus):5.2f}s | "
              f"{statistics.median(w for _, w, _ in got):7.2f}s | {max(r for _, _, r in got):4.0f} MiB")
    print(f"machine: {os.cpu_count()} vCPU, load average {os.getloadavg()[0]:.1f} at the end, "
          f"Python {platform.python_version()}; CPU = user+sys of the process (os.wait4)")


if __name__ == "__main__":
    main()
