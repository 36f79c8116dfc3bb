"""Batch extraction speed: ``newsmon extract --batch FILE --jobs N`` against trafilatura in N
processes, over the same real pages, in one run.

    .venv/bin/python benchmarks/batch_extract.py                # --jobs 2, 3 runs each
    .venv/bin/python benchmarks/batch_extract.py --jobs 1 --repeat 5
    .venv/bin/python benchmarks/batch_extract.py --profile /tmp/batch.txt   # py-spy of one newsmon run
    .venv/bin/python benchmarks/batch_extract.py --generated 600       # the crawl benchmark's pages instead
    .venv/bin/python benchmarks/batch_extract.py --base /tmp/base --only newsmon   # A/B: another tree's newsmon

The pages are the shared real sets of ``benchmarks/realpages.py`` (392 extraction + 93 dates
pages, unpacked once into ``~/.cache/newsmon-realpages``); the input is one JSON line
``{"url", "path"}`` per page, as a user would write it.

* ``newsmon``: the CLI as a user runs it (``python -m newsmon.cli extract --batch FILE --jobs N
  --fetched-at ...``), start-up included, every stage (extract, language, dates, relevance).
* ``trafilatura``: a child process that reads the same JSON lines and runs
  ``trafilatura.extract(body, url=url)`` (defaults) in a pool of N forked processes, one JSON
  line out per page, in order: the plain library doing the same job with the same processes.

Each side is a child process measured with ``os.wait4``: wall time, and CPU (user + sys of the
process and of its workers). Both must print one line per input page, or the script stops.
pages/s = pages / wall time; on a machine shared with other jobs read the CPU column too (CPU
per page does not depend on the load) and the load average printed beside the figures. Each
figure is the median of ``--repeat`` runs, the runs of the two sides interleaved.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FETCHED_AT = "2026-01-01T00:00:00+00:00"  # as realpages.py: the snapshots are older than this


def _trafilatura_page(line: str) -> str:
    import trafilatura

    request = json.loads(line)
    with open(request["path"], "rb") as handle:
        body = handle.read()
    text = trafilatura.extract(body, url=request["url"])
    return json.dumps({"url": request["url"], "text": text}, ensure_ascii=False)


def trafilatura_child(batch: Path, jobs: int) -> None:
    """What ``--batch`` does, with trafilatura alone: JSON lines in, one JSON line out per page."""
    import trafilatura  # noqa: F401 - imported before forking, as newsmon's workers inherit theirs

    with batch.open(encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip()]
    out = sys.stdout
    if jobs == 1:
        for line in lines:
            out.write(_trafilatura_page(line) + "\n")
        return
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for text in pool.imap(_trafilatura_page, lines, chunksize=4):
            out.write(text + "\n")


# Runs the CLI in this Python and, when it ends (click exits through SystemExit), writes the CPU
# of the command's own process and of the workers it reaped, so the parent's share shows.
CLI_SPLIT = (
    "import resource, runpy, sys\n"
    "out = sys.argv.pop(1)\n"
    "sys.argv[0] = 'newsmon'\n"
    "try:\n"
    "    runpy.run_module('newsmon.cli', run_name='__main__', alter_sys=True)\n"
    "finally:\n"
    "    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "    open(out, 'w').write(f'{s.ru_utime + s.ru_stime} {c.ru_utime + c.ru_stime}')\n"
)


def measured(cmd: list[str], out: Path, cwd: Path = ROOT) -> tuple[float, float, int]:
    """(wall s, CPU s of the process and its reaped workers, output lines) of one child."""
    started = time.perf_counter()
    with out.open("wb") as sink:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=sink, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        err = proc.stderr.read()
        proc.stderr.close()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd[:4])}... exited {proc.returncode}: {err.decode(errors='replace')[-2000:]}")
    with out.open(encoding="utf-8") as handle:
        lines = sum(1 for line in handle if line.strip())
    return wall, usage.ru_utime + usage.ru_stime, lines


def newsmon_cmd(batch: Path, jobs: int, python: str, split: Path | None = None) -> list[str]:
    """The CLI as a user runs it; with ``split``, through CLI_SPLIT, which writes the parent's and
    the workers' CPU there."""
    head = [python, "-c", CLI_SPLIT, str(split)] if split else [python, "-m", "newsmon.cli"]
    return [*head, "extract", "--batch", str(batch), "--jobs", str(jobs), "--fetched-at", FETCHED_AT]


def write_generated(folder: Path, count: int) -> tuple[Path, int]:
    """``count`` generated articles as the crawl benchmark serves them (ar, fr, it; written in
    ``newsmon.sample_site.generated``), one file each: short, plain pages like a crawl's."""
    from newsmon.sample_site.generated import LANGS, page_html

    batch = folder / "pages.jsonl"
    with batch.open("w", encoding="utf-8") as handle:
        for n in range(count):
            path = folder / f"{n}.html"
            path.write_bytes(page_html(n, LANGS[n % 3], "2025-11-20T09:30:00+00:00"))
            handle.write(json.dumps({"url": f"https://news{n % 30}.example/news/{n}.html", "path": str(path)}) + "\n")
    return batch, count


def write_batch(folder: Path) -> tuple[Path, int]:
    from benchmarks import realpages

    source = realpages.data_dir()
    if source is None:
        sys.exit("no data: set NEWSMON_REALPAGES to the folder holding extraction-dev.tar.xz and dates-dev.tar.xz")
    pages = realpages.load_extraction(source) + realpages.load_dates(source)
    batch = folder / "pages.jsonl"
    with batch.open("w", encoding="utf-8") as handle:
        for page in pages:
            handle.write(json.dumps({"url": page.url, "path": str(page.path)}) + "\n")
    return batch, len(pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="processes on each side (default 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side; medians are printed")
    parser.add_argument("--only", choices=("newsmon", "trafilatura"))
    parser.add_argument("--generated", type=int, metavar="N",
                        help="N generated articles (the crawl benchmark's pages) instead of the real pages")
    parser.add_argument("--base", type=Path, metavar="DIR",
                        help="also run newsmon from another code tree (git archive COMMIT | tar -x -C DIR), "
                             "interleaved with this one: an A/B of the whole command")
    parser.add_argument("--profile", type=Path, metavar="OUT.txt|OUT.svg",
                        help="run newsmon once under py-spy (--subprocesses: the workers too) instead")
    parser.add_argument("--trafilatura-child", nargs=2, metavar=("FILE", "JOBS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.trafilatura_child:
        trafilatura_child(Path(args.trafilatura_child[0]), int(args.trafilatura_child[1]))
        return
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="newsmon-batch-") as tmp:
        batch, pages = write_generated(Path(tmp), args.generated) if args.generated else write_batch(Path(tmp))
        out = Path(tmp) / "out.jsonl"
        if args.profile:
            fmt = "raw" if args.profile.suffix == ".txt" else "flamegraph"
            cmd = ["py-spy", "record", "--subprocesses", "-r", "250", "-f", fmt, "-o", str(args.profile), "--",
                   *newsmon_cmd(batch, args.jobs, python)]
            cmd[0] = str(Path(python).with_name("py-spy")) if Path(python).with_name("py-spy").exists() else "py-spy"
            wall, cpu, lines = measured(cmd, out)
            print(f"profile of one newsmon run ({wall:.1f} s wall under the profiler): {args.profile}; read it with "
                  f"benchmarks/profile_summary.py {args.profile} --within _pooled_lines (the workers' pages)")
            return
        split = Path(tmp) / "split.txt"
        sides = {"newsmon": newsmon_cmd(batch, args.jobs, python, split),
                 "trafilatura": [python, str(Path(__file__).resolve()), "--trafilatura-child", str(batch), str(args.jobs)]}
        if args.only:
            sides = {args.only: sides[args.only]}
        trees = {name: ROOT for name in sides}
        if args.base:  # the other tree's newsmon, run from its folder (python -m / -c import from the current one)
            sides = {"base": newsmon_cmd(batch, args.jobs, python, split), **sides}
            trees["base"] = args.base.resolve()
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        parent: dict[str, list[tuple[float, float]]] = {"base": [], "newsmon": []}  # own process, workers (CPU s)
        loads = []
        for _ in range(args.repeat):
            for name, cmd in sides.items():
                loads.append(os.getloadavg()[0])
                wall, cpu, lines = measured(cmd, out, trees[name])
                if lines != pages:
                    sys.exit(f"{name}: {lines} output lines for {pages} pages")
                runs[name].append((wall, cpu))
                if name in parent:
                    own, workers = map(float, split.read_text().split())
                    parent[name].append((own, workers))
    kind = "generated articles" if args.generated else "real pages"
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPU "
          f"({platform.machine()}), {pages} {kind}, --jobs {args.jobs}, median of {args.repeat} runs, "
          f"load average {min(loads):.1f}-{max(loads):.1f} during the runs")
    print(f"{'runner':<12} {'pages/s':>8} {'wall s':>7} {'CPU s':>7} {'CPU ms/page':>12} {'CPU min..max s':>15}")
    rates = {}
    for name, points in runs.items():
        wall = statistics.median(w for w, _ in points)
        cpu = statistics.median(c for _, c in points)
        rates[name] = pages / wall
        low, high = min(c for _, c in points), max(c for _, c in points)
        print(f"{name:<12} {pages / wall:>8.1f} {wall:>7.2f} {cpu:>7.2f} {1000 * cpu / pages:>12.1f} {low:>7.2f}..{high:.2f}")
    print()
    for name, points in parent.items():
        if points:
            own = statistics.median(p for p, _ in points)
            workers = statistics.median(w for _, w in points)
            print(f"{name}'s CPU: the command's own process {own:.2f} s (start-up, reading the input, writing "
                  f"the output), its workers {workers:.2f} s ({1000 * workers / pages:.1f} ms/page)")
    if "newsmon" in rates and "trafilatura" in rates:
        print(f"\nnewsmon / trafilatura pages/s = {rates['newsmon'] / rates['trafilatura']:.2f} "
              f"(newsmon: every stage and the CLI's start-up; trafilatura: extract() alone)")


if __name__ == "__main__":
    main()
