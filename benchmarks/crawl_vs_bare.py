"""Crawl cost side by side: `newsmon crawl --keep-all` against a bare Scrapy spider, same pages.

Inputs: N distinct generated articles (Arabic, French, Italian; random but plausible sentences
written here, each mentioning Morocco and Kazakhstan) on 30 loopback hosts (127.0.0.2 …
127.0.0.31; Linux routes all of 127/8 to lo), 20 articles per host listed in a sitemap that the
host's robots.txt advertises, served by one threaded HTTP server in this process. Each crawl runs
as a child process and is measured with ``os.wait4``: CPU time (user + sys) and peak RSS of that
child alone, so the server's own work is never counted.

* newsmon: ``newsmon crawl --keep-all --json`` with politeness off (``-s
  AUTOTHROTTLE_ENABLED=False -s DOWNLOAD_DELAY=0``) and the loopback guard off; the whole page
  path (extract, language, dates, relevance, dedupe, store, index) runs on every article.
* bare: a Scrapy spider with no item pipelines, ``async def start()`` (Scrapy 2.13+ no longer
  calls ``start_requests`` on its own) that reads the sitemaps and fetches every article,
  with the same concurrency, robots.txt and reactor settings.

Before a ratio is printed, both runs must have fetched every article (newsmon: N stored; bare:
N article responses) — a baseline that fetched nothing would make any ratio look good.

The machine may be shared: CPU time is the robust figure, each point is run ``--repeat`` times
and the minimum kept. The sides of a round run back to back (every other round in the reverse
order, so that a load rising or falling through the runs favours no side), and with two rounds or
more each round's own ratios are printed too, with their median: the ratio of two minima pairs
runs of different rounds, and the load moves CPU time by 20–30% between rounds on this machine;
a round's ratio compares runs that saw much the same load. Fixed cost and per-article slope come
from a least-squares line through CPU time against N.

``--startup RUNS`` measures the fixed cost directly instead of from a fit (whose intercept swings
by ±0.5 s with the noise on the large points): both sides crawl the same 30 hosts (robots.txt,
sitemaps) holding one article in all, RUNS times, alternating (every other round in the reverse
order, as for the sizes); it prints the min and median CPU of
each side and newsmon's excess over bare Scrapy. ``--tree DIR`` adds a third side, newsmon run
from another checkout (e.g. ``git archive main | tar -x -C DIR``) with this venv, in the same
rounds: an A/B of two code trees that see the same load (at start-up, or at the ``--sizes``).

Before measuring, the project's own packages are compiled to bytecode (``__pycache__``, as Python
writes on a user's first run and ``pip install`` does for every library): with
``PYTHONDONTWRITEBYTECODE`` set, as on the machine these figures come from, each crawl otherwise
compiled newsmon's ~130 modules from source, ~0.2 s of CPU that no installed copy pays. Each tree
also gets its own language-model cache (``NEWSMON_CACHE_DIR``, filled before the first measured
run): two trees whose cache formats differ would otherwise each delete the other's file as stale
and decode the packaged model again (~1 s) in every run.

    .venv/bin/python benchmarks/crawl_vs_bare.py                 # 150, 600, 2400 articles, 2 runs each
    .venv/bin/python benchmarks/crawl_vs_bare.py --sizes 600 --repeat 3
    .venv/bin/python benchmarks/crawl_vs_bare.py --sizes 600 --profile /tmp/crawl.prof   # see benchmarks/README.md
    .venv/bin/python benchmarks/crawl_vs_bare.py --startup 7                  # fixed cost: 1 article, 30 hosts
    .venv/bin/python benchmarks/crawl_vs_bare.py --startup 7 --tree /tmp/main # the same, A/B against another tree
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsmon.sample_site.generated import LANGS, Site  # the generated site, shared with the frontier tests

ROOT = Path(__file__).resolve().parent.parent

# -- the bare spider (run as a child: `crawl_vs_bare.py --bare-child SITEMAP...`) -----------------
def bare_child(sitemaps: list[str]) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.sitemap import Sitemap

    counts = {"articles": 0, "bytes": 0}

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self):  # Scrapy 2.13+: start_requests() alone is no longer called
            for url in sitemaps:
                yield scrapy.Request(url, callback=self.parse_sitemap)

        def parse_sitemap(self, response):
            for entry in Sitemap(response.body):
                yield scrapy.Request(entry["loc"], callback=self.parse_article)

        def parse_article(self, response):
            counts["articles"] += 1
            counts["bytes"] += len(response.body)

    settings = same_scrapy_settings()
    settings.update({"ITEM_PIPELINES": {}, "LOG_LEVEL": "WARNING"})
    process = CrawlerProcess(settings)
    process.crawl(BareSpider)
    process.start()
    print(json.dumps(counts))


def same_scrapy_settings() -> dict:
    """The Scrapy settings newsmon crawls with that shape fetching (not its own components)."""
    sys.path.insert(0, str(ROOT))
    from settings import scrapy_settings as s

    return {"CONCURRENT_REQUESTS": s.CONCURRENT_REQUESTS, "CONCURRENT_REQUESTS_PER_DOMAIN": s.CONCURRENT_REQUESTS_PER_DOMAIN,
            "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": s.ROBOTSTXT_OBEY,
            "TWISTED_REACTOR": s.TWISTED_REACTOR, "USER_AGENT": s.USER_AGENT, "RETRY_TIMES": s.RETRY_TIMES,
            "REQUEST_FINGERPRINTER_IMPLEMENTATION": s.REQUEST_FINGERPRINTER_IMPLEMENTATION,
            "DOWNLOAD_TIMEOUT": s.DOWNLOAD_TIMEOUT, "TELNETCONSOLE_ENABLED": False}


# -- measuring -------------------------------------------------------------------------------------
def measured(cmd: list[str], env: dict | None = None, cwd: Path = ROOT) -> tuple[str, float, float, float]:
    """Run ``cmd``; (stdout, CPU seconds user+sys, peak RSS MiB, wall seconds) of that child alone."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode not in (0,):
        raise SystemExit(f"{' '.join(cmd[:4])}…: exit {proc.returncode}\n{stderr[-3000:]}")
    return stdout, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, wall


def sources_yaml(site: Site, path: Path) -> Path:
    import yaml

    sources = [{"name": f"bench-{i:02d}", "language": LANGS[i % 3], "sitemaps": [url]}
               for i, url in enumerate(site.sitemaps())]
    path.write_text(yaml.safe_dump({"sources": sources}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


MODEL_CACHES: dict[Path, Path] = {}  # tree -> its own language-model cache (prepare_model_caches)


def prepare_model_caches(trees: list[Path], tmp: Path) -> None:
    """A language-model cache directory per tree, filled once, unmeasured (see the docstring)."""
    for i, tree in enumerate(trees):
        cache = tmp / f"model-cache-{i}"
        cache.mkdir()
        subprocess.run([sys.executable, "-c", "from pipelines import language; language.load_identifier()"],
                       cwd=tree, env={**os.environ, "NEWSMON_CACHE_DIR": str(cache)}, check=True)
        MODEL_CACHES[tree.resolve()] = cache


def run_newsmon(site: Site, tmp: Path, extra: list[str], python: list[str] | None = None,
                tree: Path = ROOT) -> tuple[int, float, float, float]:
    """One `newsmon crawl`; ``python`` replaces the interpreter's path (a profiler wrapping it);
    ``tree``: the checkout whose code runs (``-m`` puts the working directory first on sys.path)."""
    data = tmp / f"data-{os.urandom(4).hex()}"
    cmd = [*(python or [sys.executable]), "-m", "newsmon.cli", "crawl", "--sources", str(sources_yaml(site, tmp / "sources.yaml")),
           "--data", str(data), "--keep-all", "--json", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
           "-s", "NEWSMON_BLOCK_PRIVATE_ADDRESSES=False", *extra]
    cache = MODEL_CACHES.get(tree.resolve())
    stdout, cpu, rss, wall = measured(cmd, cwd=tree, env={**os.environ, "NEWSMON_CACHE_DIR": str(cache)} if cache else None)
    # the JSON summary; under py-spy (--profile), its own "py-spy> ..." lines surround it
    summary, _ = json.JSONDecoder().raw_decode(stdout[stdout.index("["):])
    stored = sum(r["new"] for r in summary)
    return stored, cpu, rss, wall


def run_bare(site: Site) -> tuple[int, float, float, float]:
    stdout, cpu, rss, wall = measured([sys.executable, str(Path(__file__).resolve()), "--bare-child", *site.sitemaps()])
    return json.loads(stdout.strip().splitlines()[-1])["articles"], cpu, rss, wall


def compile_tree(tree: Path) -> None:
    """Bytecode for the project's packages in ``tree`` (see the module's docstring)."""
    for package in ("newsmon", "crawler", "pipelines", "settings"):
        if not compileall.compile_dir(tree / package, quiet=1):
            raise SystemExit(f"{tree / package}: does not compile")


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares (intercept, slope) of CPU seconds against article count."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    return my - slope * mx, slope


def profile(out: Path, size: int, extra: list[str]) -> None:
    """One newsmon crawl of ``size`` articles under py-spy (``.svg``) or cProfile (``.prof``)."""
    out = out.resolve()
    if out.suffix == ".prof":
        python = [sys.executable, str(Path(__file__).with_name("cpu_profile.py")), str(out)]
    else:
        spy = Path(sys.executable).with_name("py-spy")
        python = [str(spy if spy.exists() else "py-spy"), "record", "--rate", "250", "--subprocesses", "--nonblocking",
                "--format", {".json": "speedscope", ".svg": "flamegraph"}.get(out.suffix, "raw"), "-o", str(out), "--", sys.executable]
    with tempfile.TemporaryDirectory() as tmpdir, Site(size) as site:
        got, cpu, rss, wall = run_newsmon(site, Path(tmpdir), extra, python)
    if got != size:
        raise SystemExit(f"profiled crawl stored {got} of {size} articles")
    print(f"profiled {size} articles: {cpu:.2f} s CPU (profiler included), {rss:.0f} MiB; profile in {out}")


def startup(runs: int, extra: list[str], only: str | None, tree: Path | None, articles: int = 1) -> None:
    """Fixed cost measured directly: a crawl of 1 article (or ``articles``: 0 is a poll that finds
    nothing new) on the same 30 hosts, ``runs`` times a side, the sides alternating so that each
    round sees the same load."""
    sides: dict[str, list[tuple[float, float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmpdir, Site(articles) as site:
        tmp = Path(tmpdir)
        runners = [("newsmon", lambda: run_newsmon(site, tmp, extra)), ("bare", lambda: run_bare(site))]
        if tree is not None:
            runners.insert(0, (f"tree {tree.name}", lambda: run_newsmon(site, tmp, extra, tree=tree.resolve())))
        for i in range(runs):
            for side, run in (runners if i % 2 == 0 else runners[::-1]):  # see measure()
                if only and side != only and not (tree is not None and side.startswith("tree")):
                    continue
                got, cpu, rss, wall = run()
                if got != articles:
                    raise SystemExit(f"{side}: fetched/stored {got} articles, not {articles}: no figure printed")
                sides.setdefault(side, []).append((cpu, rss, wall))
                print(f"  round {i + 1} {side:12s} {cpu:5.2f} s CPU, {rss:4.0f} MiB, {wall:4.1f} s wall",
                      file=sys.stderr, flush=True)
    print(f"start-up (crawl of {articles} article{'s' if articles != 1 else ''} on 30 hosts, {runs} runs a side, "
          "CPU = user+sys of the crawl process)")
    print(f"{'side':>14} | {'min CPU':>7} | {'median':>6} | {'max':>5} | {'median wall':>11} | {'peak RSS':>8}")
    for side, got in sides.items():
        cpus = [c for c, _, _ in got]
        print(f"{side:>14} | {min(cpus):6.2f}s | {statistics.median(cpus):5.2f}s | {max(cpus):4.2f}s | "
              f"{statistics.median(w for _, _, w in got):10.2f}s | {max(r for _, r, _ in got):4.0f} MiB")
    if "newsmon" in sides and "bare" in sides:
        n = [c for c, _, _ in sides["newsmon"]]
        b = [c for c, _, _ in sides["bare"]]
        print(f"newsmon's start-up above bare Scrapy's: {min(n) - min(b):+.2f} s (min), "
              f"{statistics.median(n) - statistics.median(b):+.2f} s (median)")
    print(f"machine: {os.cpu_count()} vCPU, load average {os.getloadavg()[0]:.1f} at the end, "
          f"Python {platform.python_version()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[150, 600, 2400])
    parser.add_argument("--repeat", type=int, default=2, help="runs per point; the minimum CPU time is kept")
    parser.add_argument("--only", choices=["newsmon", "bare"], help="run one side only (no ratio)")
    parser.add_argument("-s", "--set", dest="extra", action="append", default=[], metavar="NAME=VALUE",
                        help="extra setting for the newsmon crawl (repeatable)")
    parser.add_argument("--profile", metavar="OUT", type=Path,
                        help="instead: one newsmon crawl of the first size under a profiler; OUT.svg: py-spy "
                             "flame graph (needs ptrace), OUT.json: py-spy speedscope, OUT.prof: cProfile (read with pstats "
                             "or snakeviz), any other suffix: py-spy raw collapsed stacks")
    parser.add_argument("--startup", type=int, metavar="RUNS",
                        help="instead: the fixed cost measured directly, a crawl of 1 article on the same 30 hosts, "
                             "RUNS runs a side, alternating (min and median)")
    parser.add_argument("--startup-articles", type=int, default=1, metavar="N",
                        help="with --startup: articles on the site (default 1; 0: a poll that finds nothing new)")
    parser.add_argument("--tree", type=Path, metavar="DIR",
                        help="also run newsmon from this other checkout, in the same rounds (A/B), with --startup or the sizes")
    parser.add_argument("--bare-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_child:
        bare_child(args.bare_child)
        return
    extra = [x for pair in args.extra for x in ("-s", pair)]
    trees = [ROOT, args.tree] if args.tree else [ROOT]
    for tree in trees:
        compile_tree(tree)
    with tempfile.TemporaryDirectory() as caches:
        prepare_model_caches(trees, Path(caches))
        measure(args, extra)


def paired_ratios(rows: list[tuple[int, dict, list[dict[str, float]]]], tree: Path | None) -> None:
    """Each round's own ratios (the sides of one round ran back to back, under much the same load),
    their median and range: besides the ratio of the minima above, which pairs runs of different
    rounds and so carries the load's swing between them (20–30% here) into the ratio."""
    pairs = [("newsmon", "bare", "newsmon / bare")]
    if tree is not None:
        pairs += [("tree", "bare", "tree / bare"), ("newsmon", "tree", "this tree / that one")]
    for size, _, rounds in rows:
        for a, b, label in pairs:
            ratios = [r[a] / r[b] for r in rounds if a in r and b in r]
            if len(ratios) < 2:
                continue
            print(f"{size:8d}   paired {label}: median {statistics.median(ratios):.2f} of {len(ratios)} rounds "
                  f"({', '.join(f'{x:.2f}' for x in ratios)})")


def measure(args: argparse.Namespace, extra: list[str]) -> None:
    if args.profile:
        profile(args.profile, args.sizes[0], extra)
        return
    if args.startup:
        startup(args.startup, extra, args.only, args.tree, args.startup_articles)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for size in args.sizes:
            with Site(size) as site:
                best: dict[str, tuple[int, float, float, float]] = {}
                rounds: list[dict[str, float]] = []  # each round's CPU by side, for the paired ratios
                runners = [("newsmon", lambda: run_newsmon(site, tmp, extra)), ("bare", lambda: run_bare(site))]
                if args.tree is not None:  # the other checkout first in each round, then this one
                    runners.insert(0, ("tree", lambda: run_newsmon(site, tmp, extra, tree=args.tree.resolve())))
                for r in range(args.repeat):
                    rounds.append({})
                    # every other round in the reverse order: a load that rises or falls through
                    # the runs then favours no side (the first round keeps the order above)
                    for side, run in (runners if r % 2 == 0 else runners[::-1]):
                        if args.only and side not in (args.only, "tree"):
                            continue
                        got, cpu, rss, wall = run()
                        rounds[-1][side] = cpu
                        if got != size:
                            raise SystemExit(f"{side} at {size} articles: fetched/stored {got}, not {size}: "
                                             "no figure printed for a run that missed pages")
                        prev = best.get(side)
                        # min CPU over runs; peak RSS is the largest seen (memory does not get luckier)
                        best[side] = (got, min(cpu, prev[1]) if prev else cpu, max(rss, prev[2]) if prev else rss,
                                      min(wall, prev[3]) if prev else wall)
                        print(f"  {side:8s} {size:5d} articles: {cpu:6.2f} s CPU, {rss:5.0f} MiB, {wall:5.1f} s wall",
                              file=sys.stderr, flush=True)
                rows.append((size, best, rounds))
    print(f"{'articles':>8} | {'newsmon ms/art':>14} | {'bare ms/art':>11} | {'ratio':>5} | "
          f"{'newsmon RSS':>11} | {'bare RSS':>8} | {'newsmon s':>9} | {'bare s':>6}")
    for size, best, _ in rows:
        n = best.get("newsmon")
        b = best.get("bare")
        cells = [f"{size:8d}",
                 f"{n[1] / size * 1000:14.2f}" if n else f"{'-':>14}",
                 f"{b[1] / size * 1000:11.2f}" if b else f"{'-':>11}",
                 f"{n[1] / b[1]:5.2f}" if n and b else f"{'-':>5}",
                 f"{n[2]:7.0f} MiB" if n else f"{'-':>11}",
                 f"{b[2]:4.0f} MiB" if b else f"{'-':>8}",
                 f"{n[1]:9.2f}" if n else f"{'-':>9}",
                 f"{b[1]:6.2f}" if b else f"{'-':>6}"]
        print(" | ".join(cells))
        if "tree" in best:
            t = best["tree"]
            print(f"{'':>8}   tree {args.tree}: {t[1] / size * 1000:.2f} ms/art"
                  + (f", ratio {t[1] / b[1]:.2f}" if b else "") + (f"; this tree / that one {n[1] / t[1]:.3f}" if n else "")
                  + f", {t[2]:.0f} MiB")
    paired_ratios(rows, args.tree)
    if len(rows) >= 2:
        for side in ("newsmon", "tree", "bare"):
            pts = [(size, best[side][1]) for size, best, _ in rows if side in best]
            if len(pts) >= 2:
                fixed, slope = fit(pts)
                print(f"{side}: fixed {fixed:.2f} s CPU + {slope * 1000:.2f} ms per article (least squares)")
    print(f"machine: {os.cpu_count()} vCPU, load average {os.getloadavg()[0]:.1f} at the end, "
          f"Python {platform.python_version()}; CPU = user+sys of the crawl process (os.wait4), min of {args.repeat}")


if __name__ == "__main__":
    main()
