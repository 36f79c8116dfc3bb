"""Scale-out: one crawl split over 1, 2 and 4 workers on a Redis frontier, against no Redis at all.

Inputs: N generated articles (newsmon/sample_site/generated.py) on H loopback hosts, each host's
sitemap advertised by its robots.txt, served by one threaded server in this process. A Debian
``redis-server`` is started on a free loopback port, persistence off, and reset between runs.

For each run: wall time until the last worker exited, pages/s (articles / wall), CPU per article
(user + sys of every worker process, from ``os.wait4``), and the CPU Redis itself spent
(``/proc/PID/stat`` before and after). The baseline is ``newsmon crawl`` without ``--frontier``
(Scrapy's in-memory scheduler, local delays). Each run must store every article exactly once
across its workers, else no figure is printed.

Redis overhead per request = (CPU of the 1-worker frontier run − CPU of the baseline + Redis's
own CPU) / requests through the frontier. Politeness is off by default (``--delay 0``: a
CPU-bound crawl, which cannot scale past the machine's cores when all workers share it); with
``--delay S`` every source gets that delay and the crawl becomes politeness-bound: a worker keeps
at most ``CONCURRENT_REQUESTS`` (16) requests in flight or waiting for their host's turn, so with
hosts that take L seconds to answer (``--latency L``) it covers at most 16 / L pages a second
while the hosts would allow H / S: more hosts than one worker keeps busy need more workers. For each run the
server's own record gives, per host, the shortest gap between two arrivals, the highest rate over
5 consecutive gaps (fewer when a host has fewer articles), and the most requests in progress at once (``--latency``
makes each article answer take that long, so that concurrency shows): the per-host limits must
hold for the cluster, whatever the number of workers.

    .venv/bin/python benchmarks/scale_out.py                        # 2400 articles, 60 hosts, 1 2 4 workers
    .venv/bin/python benchmarks/scale_out.py --articles 600 --hosts 12 --workers 1 2
    .venv/bin/python benchmarks/scale_out.py --articles 960 --hosts 80 --delay 2 --latency 0.2  # politeness-bound
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
import yaml

from newsmon.sample_site.generated import LANGS, SlowSite

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class RecordingSite(SlowSite):
    """The slow site, reading back per-host gaps and rates after a run."""

    def politeness(self, window: int = 5) -> dict:
        """Per host, from the server's clock: shortest gap, highest rate over ``window`` arrivals."""
        with self.lock:
            arrivals = {h: sorted(t for t, p in reqs if p.startswith("/news/")) for h, reqs in self.requests.items()}
            most = max(self.max_active.values())
        gaps = [b - a for times in arrivals.values() for a, b in zip(times, times[1:])]
        window = max(1, min(window, min((len(t) for t in arrivals.values() if t), default=2) - 1))
        rates = [window / (times[i + window] - times[i]) for times in arrivals.values()
                 for i in range(len(times) - window) if times[i + window] > times[i]]
        return {"min_gap": min(gaps, default=0.0), "max_rate": max(rates, default=0.0), "max_active": most,
                "window": window}


def sources_yaml(site: SlowSite, path: Path, delay: float) -> Path:
    sources = []
    for i, url in enumerate(site.sitemaps()):
        source = {"name": f"bench-{i:02d}", "language": LANGS[i % 3], "sitemaps": [url]}
        if delay > 0:
            source["delay"] = delay
        sources.append(source)
    path.write_text(yaml.safe_dump({"sources": sources}, sort_keys=False), encoding="utf-8")
    return path


def stored_ids(data: Path) -> list[str]:
    con = sqlite3.connect(f"file:{data / 'newsmon.db'}?mode=ro", uri=True)
    try:
        return [r[0] for r in con.execute("SELECT id FROM articles")]
    finally:
        con.close()


def run(sources: Path, tmp: Path, workers: int, frontier: str | None, delay: float) -> dict:
    """``workers`` crawl processes at once; wall, CPU of all of them, articles stored per worker."""
    # the sources' delay is the politeness (AutoThrottle off in every run, as the frontier has it)
    politeness = ["-s", "AUTOTHROTTLE_ENABLED=False", *([] if delay > 0 else ["-s", "DOWNLOAD_DELAY=0"])]
    procs = []
    start = time.perf_counter()
    for i in range(workers):
        data = tmp / f"data-{os.urandom(4).hex()}"
        cmd = [sys.executable, "-m", "newsmon.cli", "crawl", "--sources", str(sources), "--data", str(data),
               "--keep-all", "--json", "-s", "NEWSMON_BLOCK_PRIVATE_ADDRESSES=False", *politeness,
               *(["--frontier", frontier] if frontier else [])]
        out = tempfile.TemporaryFile()
        err = tempfile.TemporaryFile()
        procs.append((subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err), out, err, data))
    cpu = 0.0
    ids: list[str] = []
    for proc, out, err, data in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu += usage.ru_utime + usage.ru_stime
        err.seek(0)
        message = err.read().decode()[-2000:]
        out.close()
        err.close()
        if proc.returncode != 0:
            raise SystemExit(f"worker exit {proc.returncode}:\n{message}")
        ids += stored_ids(data)
    wall = time.perf_counter() - start
    return {"wall": wall, "cpu": cpu, "stored": len(ids), "unique": len(set(ids))}


def micro(url: str, server_pid: int, n: int = 5000, batch: int = 4) -> tuple[float, float]:
    """The frontier's own cost per request, alone: serialize, push (16 a round trip, as the
    scheduler does), lease (``batch`` a round trip: NEWSMON_FRONTIER_BATCH's default), deserialize,
    acknowledge (8 a round trip). (worker ms, redis ms)."""
    import scrapy

    from crawler.frontier import dumps_request, loads_request
    from newsmon.frontier.client import RedisFrontierClient

    class Spider(scrapy.Spider):
        name = "micro"

        def parse_article(self, response):  # noqa: ANN001, ANN201
            pass

        def on_error(self, failure):  # noqa: ANN001, ANN201
            pass

    spider = Spider()
    frontier = RedisFrontierClient(url, "bench:micro")
    frontier.redis.flushdb()
    frontier.open("bench:1", 60)
    requests = [scrapy.Request(f"http://127.0.0.{2 + i % 60}:8080/news/{i}.html", callback=spider.parse_article,
                               errback=spider.on_error, dont_filter=True,
                               meta={"source": f"bench-{i % 60:02d}", "via": "sitemap", "feed_date": None,
                                     "feed_title": None, "discovered_url": None})
                for i in range(n)]
    redis_before = proc_cpu(server_pid)
    cpu_before = time.process_time()
    pending: list = []
    acks: list[str] = []
    for i, request in enumerate(requests):
        pending.append((f"{i:040x}", 0, f"127.0.0.{2 + i % 60}", dumps_request(request, spider)))
        if len(pending) == 16:
            frontier.push(pending)
            pending = []
    frontier.push(pending)
    while popped := frontier.pop("bench:1", 60, batch):
        for rid, body in popped:
            loads_request(body, spider)
            acks.append(rid)
            if len(acks) == 8:
                frontier.ack(acks)
                acks = []
    frontier.ack(acks)
    worker = (time.process_time() - cpu_before) / n * 1000
    server = (proc_cpu(server_pid) - redis_before) / n * 1000
    frontier.redis.flushdb()
    frontier.close()
    return worker, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2400)
    parser.add_argument("--hosts", type=int, default=60)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--delay", type=float, default=0.0, help="every source's delay (0: politeness off)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the server takes to answer an article")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without Redis")
    parser.add_argument("--micro-only", action="store_true", help="only the frontier's own cost per request")
    args = parser.parse_args()
    server_bin = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = subprocess.Popen([server_bin, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                               "no", "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis.from_url(url)
    rows = []
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        micro_worker, micro_server = micro(url, server.pid)
        print(f"  frontier alone: {micro_worker:.3f} ms worker CPU + {micro_server:.3f} ms redis-server CPU per "
              "request", file=sys.stderr, flush=True)
        if args.micro_only:
            return
        with tempfile.TemporaryDirectory() as tmpdir, RecordingSite(args.articles, args.hosts, args.latency) as site:
            tmp = Path(tmpdir)
            sources = sources_yaml(site, tmp / "sources.yaml", args.delay)
            runs = [] if args.no_baseline else [("no Redis", 1, None)]
            for label, workers, frontier in [*runs, *[(f"{w} worker(s)", w, url) for w in args.workers]]:
                client.flushdb()
                site.reset()
                before = proc_cpu(server.pid)
                result = run(sources, tmp, workers, frontier, args.delay)
                result["redis_cpu"] = proc_cpu(server.pid) - before
                stats = {k.decode(): int(v) for k, v in client.hgetall("newsmon:frontier:stats").items()}
                result["requests"] = stats.get("leased", 0)
                result.update(site.politeness())
                if result["stored"] != args.articles or result["unique"] != args.articles:
                    raise SystemExit(f"{label}: stored {result['stored']} ({result['unique']} distinct) of "
                                     f"{args.articles}: no figure printed for a run that missed or doubled pages")
                rows.append((label, workers, frontier, result))
                print(f"  {label}: {result['wall']:.1f} s wall, {result['cpu']:.1f} s CPU, Redis "
                      f"{result['redis_cpu']:.2f} s, {result['requests']} leased requests, per host: min gap "
                      f"{result['min_gap']:.3f} s, max rate {result['max_rate']:.2f}/s over {result['window']} gaps, "
                      "max in progress "
                      f"{result['max_active']}", file=sys.stderr, flush=True)
    finally:
        client.close()
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    base = rows[0][3]
    limit = "" if args.delay <= 0 else f" (limit 1/delay = {1 / args.delay:.2f}/s)"
    print(f"{args.articles} articles on {args.hosts} hosts, source delay {args.delay} s, server latency "
          f"{args.latency} s per article; speed-up against the first row")
    print(f"{'run':>12} | {'wall s':>6} | {'pages/s':>7} | {'speed-up':>8} | {'CPU ms/article':>14} | {'Redis CPU s':>11} "
          f"| {'host min gap s':>14} | {'host max rate/s':>15} | {'host max in flight':>18}")
    for label, _, _, r in rows:
        print(f"{label:>12} | {r['wall']:6.1f} | {args.articles / r['wall']:7.1f} | {base['wall'] / r['wall']:8.2f} | "
              f"{r['cpu'] / args.articles * 1000:14.2f} | {r['redis_cpu']:11.2f} | {r['min_gap']:14.3f} | "
              f"{r['max_rate']:15.2f} | {r['max_active']:18d}")
    window = rows[-1][3]["window"]
    print(f"host max rate: the most article requests per second one host received, over any {window} gaps in a row"
          f"{limit}; "
          "host max in flight: the most requests one host was answering at once (limit "
          "CONCURRENT_REQUESTS_PER_DOMAIN = 4)")
    print(f"Frontier alone, 5000 requests (serialize, push, lease, deserialize, acknowledge): {micro_worker:.3f} ms "
          f"worker CPU + {micro_server:.3f} ms redis-server CPU = {micro_worker + micro_server:.3f} ms per request "
          "(target < 0.3 ms)")
    one = next((r for label, w, f, r in rows if f and w == 1), None)
    if one and one["requests"] and not args.no_baseline:
        client_side = (one["cpu"] - base["cpu"]) / one["requests"] * 1000
        server_side = one["redis_cpu"] / one["requests"] * 1000
        print(f"Redis overhead per request (1 worker vs no Redis): worker side {client_side:+.3f} ms CPU, "
              f"redis-server {server_side:.3f} ms CPU (in a whole crawl: the worker-side figure is a difference of "
              "two whole-crawl CPU times and carries their noise; redis-server's includes its idle ticks and the "
              "workers' polls while they wait)")
    print(f"machine: {os.cpu_count()} vCPU, load average {os.getloadavg()[0]:.1f} at the end, Python "
          f"{platform.python_version()}; CPU = user+sys of all worker processes (os.wait4)")


if __name__ == "__main__":
    main()
