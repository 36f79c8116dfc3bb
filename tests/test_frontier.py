"""N crawl workers on one Redis frontier: real redis-server, real `newsmon crawl` processes, a
generated site on many loopback hosts (newsmon/sample_site/generated.py) that records every
request it answers.

redis-server is Debian's (scripts/system-deps installs it), started here on a free loopback port
with persistence off unless a test turns it on, and stopped by its pid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis

from newsmon.sample_site.generated import LANGS, Site, SlowSite, page_html
from tests.conftest import ROOT, run_newsmon, write_sources

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
pytestmark = pytest.mark.skipif(not Path(REDIS_SERVER).exists(),
                                reason="redis-server missing: run scripts/system-deps (Debian's redis-server)")

LOCAL = ("-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "NEWSMON_BLOCK_PRIVATE_ADDRESSES=False",
         "-s", "DOWNLOAD_TIMEOUT=15")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, workdir: Path, persistent: bool = False):
        self.port = free_port()
        self.workdir = workdir
        self.persistent = persistent
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = (["--appendonly", "yes", "--appendfsync", "always", "--save", ""] if self.persistent
                       else ["--appendonly", "no", "--save", ""])
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--daemonize", "no", "--dir", str(self.workdir), *persistence],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        try:
            for _ in range(100):
                try:
                    if client.ping():
                        return
                except redis.ConnectionError:
                    time.sleep(0.05)
            raise RuntimeError("redis-server did not start")
        finally:
            client.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def sources_for(site: Site, path: Path, delay: float | None = None) -> Path:
    sources = []
    for i, url in enumerate(site.sitemaps()):
        source = {"name": f"gen-{i:02d}", "language": LANGS[i % 3], "sitemaps": [url]}
        if delay is not None:
            source["delay"] = delay
        sources.append(source)
    return write_sources(path, sources)


def start_worker(sources: Path, data: Path, frontier: str, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "newsmon.cli", "crawl", "--sources", str(sources), "--data", str(data),
                             "--keep-all", "--json", "--frontier", frontier, *LOCAL, *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})


def finish(proc: subprocess.Popen, timeout: float = 180) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()  # a worker that never ends fails the test, and is not left behind
        proc.communicate()
        raise
    return proc.returncode, out, err


def stored_ids(data: Path) -> list[str]:
    db = data / "newsmon.db"
    if not db.exists():
        return []
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [row[0] for row in con.execute("SELECT id FROM articles")]
    except sqlite3.OperationalError:
        return []  # polled while a worker is creating its store: no table yet, nothing stored
    finally:
        con.close()


def status(url: str) -> dict:
    result = run_newsmon("frontier", "status", "--frontier", url, "--json")
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def stored_urls(data: Path) -> set[str]:
    db = data / "newsmon.db"
    if not db.exists():
        return set()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {row[0] for row in con.execute("SELECT url FROM articles")}
    finally:
        con.close()


def article_fetches(site: Site) -> dict[str, int]:
    counts: dict[str, int] = {}
    for host, requests in site.requests.items():
        for _, path in requests:
            if path.startswith("/news/"):
                counts[f"{host}{path}"] = counts.get(f"{host}{path}", 0) + 1
    return counts


def test_three_workers_store_every_article_exactly_once(tmp_path: Path, redis_server: RedisServer) -> None:
    from tests.es_fake import FakeES

    total = 600
    settings = tmp_path / "newsmon.yaml"
    settings.write_text("# no elasticsearch block: NEWSMON_ES_URL configures it\n", encoding="utf-8")
    with Site(total, hosts=12) as site, FakeES(9) as es:
        es_env = {"NEWSMON_ES_URL": es.url, "NEWSMON_SETTINGS": str(settings), "NEWSMON_ES_API_KEY": "",
                  "NEWSMON_ES_USER": "", "NEWSMON_ES_PASSWORD": "", "NEWSMON_ES_CA_CERTS": ""}
        setup = run_newsmon("es", "setup", env=es_env)
        assert setup.code == 0, setup.stderr
        sources = sources_for(site, tmp_path / "sources.yaml")
        workers = [start_worker(sources, tmp_path / f"w{i}", redis_server.url, env=es_env) for i in range(3)]
        results = [finish(w) for w in workers]
        fetches = article_fetches(site)
        es_ids = [doc_id for name in es.aliases.get("newsmon-articles", {}) for doc_id in es.indices[name].docs]
    for code, _, err in results:
        assert code == 0, err[-2000:]
    per_worker = [stored_ids(tmp_path / f"w{i}") for i in range(3)]
    every = [i for ids in per_worker for i in ids]
    assert len(every) == total and len(set(every)) == total  # stored once, across the three stores
    assert all(len(ids) > 0 for ids in per_worker), [len(ids) for ids in per_worker]  # all three worked
    assert len(fetches) == total and set(fetches.values()) == {1}  # and each page fetched once
    summaries = [json.loads(out) for _, out, _ in results]
    assert sum(r["new"] for s in summaries for r in s) == total
    # every worker synced its own store to the same alias after its crawl: one document per article
    assert len(es_ids) == total and set(es_ids) == set(every)

    info = status(redis_server.url)
    assert info["state"] == "finished" and info["queued"] == 0 and info["leased"] == 0 and info["seeded"]
    assert info["counts"]["pushed"] == info["counts"]["acked"] == total + 12  # 12 sitemaps + the articles
    assert info["workers"] == []  # each worker signed off

    merged = run_newsmon("merge", *(str(tmp_path / f"w{i}") for i in range(3)), "--data", str(tmp_path / "all"),
                         "--json")
    assert merged.code == 0, merged.stderr
    assert json.loads(merged.stdout)["articles"] == total
    assert len(stored_ids(tmp_path / "all")) == total


def test_sigkilled_worker_loses_nothing_and_a_stopped_one_hands_back(tmp_path: Path,
                                                                     redis_server: RedisServer) -> None:
    total = 100
    with Site(total, hosts=5) as site:
        sources = sources_for(site, tmp_path / "sources.yaml", delay=0.15)  # long enough to kill mid-crawl
        victim = start_worker(sources, tmp_path / "victim", redis_server.url, "-s", "NEWSMON_FRONTIER_LEASE=2")
        # a 60 s lease: if its requests were not handed back when it stops, the crawl would wait for them
        quitter = start_worker(sources, tmp_path / "quitter", redis_server.url)
        survivor = start_worker(sources, tmp_path / "survivor", redis_server.url, "-s", "NEWSMON_FRONTIER_LEASE=2")
        client = redis.Redis.from_url(redis_server.url)

        def holds(proc: subprocess.Popen) -> bool:
            return any(f":{proc.pid}".encode() in owner for owner in client.hvals("newsmon:frontier:owner"))

        try:
            deadline = time.monotonic() + 120
            while not (int(client.hget("newsmon:frontier:stats", "acked") or 0) >= 20 and holds(victim)
                       and holds(quitter)):
                assert time.monotonic() < deadline, "the crawl never got going"
                time.sleep(0.05)
            os.kill(victim.pid, signal.SIGKILL)  # with leases held
            os.kill(quitter.pid, signal.SIGTERM)  # a clean stop
            victim.communicate(timeout=10)
            quitter_code, _, quitter_err = finish(quitter, timeout=60)
            assert not holds(quitter)  # handed back as it stopped, not left to expire
            started = time.monotonic()
            code, _, err = finish(survivor)
            took = time.monotonic() - started
        finally:
            client.close()
    assert victim.returncode == -signal.SIGKILL
    assert quitter_code == 130, quitter_err[-2000:]
    assert code == 0, err[-2000:]
    assert took < 45  # well before the quitter's 60 s leases would have expired
    stores = [tmp_path / name for name in ("victim", "quitter", "survivor")]
    ids = set().union(*(stored_ids(store) for store in stores))
    assert len(ids) == total  # what the victim and the quitter held was done by the survivor
    info = status(redis_server.url)
    assert info["counts"]["expired"] >= 1 and info["queued"] == 0 and info["leased"] == 0
    merged = run_newsmon("merge", *map(str, stores), "--data", str(tmp_path / "all"), "--json")
    assert merged.code == 0 and json.loads(merged.stdout)["articles"] == total


@pytest.mark.parametrize("persistent", [False, True], ids=["data-lost", "data-kept"])
def test_restarted_redis_resumes_or_fails_loudly(tmp_path: Path, persistent: bool) -> None:
    total = 60
    server = RedisServer(tmp_path / "redis", persistent=persistent)
    server.start()
    try:
        with Site(total, hosts=4) as site:
            sources = sources_for(site, tmp_path / "sources.yaml", delay=0.1)
            worker = start_worker(sources, tmp_path / "w", server.url, "-s", "NEWSMON_FRONTIER_RETRY_SECONDS=20")
            client = redis.Redis.from_url(server.url)
            try:
                deadline = time.monotonic() + 90
                while int(client.hget("newsmon:frontier:stats", "acked") or 0) < 15:
                    assert time.monotonic() < deadline and worker.poll() is None, "the crawl never got going"
                    time.sleep(0.05)
            finally:
                client.close()
            server.kill()
            time.sleep(1.0)
            server.start()  # same port; with its append-only file when persistent
            code, out, err = finish(worker)
        stored = set(stored_ids(tmp_path / "w"))
        if persistent:
            assert code == 0, err[-2000:]
            assert len(stored) == total  # resumed: the whole crawl, nothing silently missing
        else:
            assert code == 1
            assert "frontier lost" in err and "the crawl is incomplete" in err
            assert 0 < len(stored) < total  # what was stored is kept, and the run says it is partial
    finally:
        server.stop()


def test_politeness_and_robots_hold_across_workers(tmp_path: Path, redis_server: RedisServer) -> None:
    delay = 0.3
    with Site(30, hosts=2) as site:
        sources = sources_for(site, tmp_path / "sources.yaml", delay=delay)
        workers = [start_worker(sources, tmp_path / f"w{i}", redis_server.url) for i in range(3)]
        results = [finish(w) for w in workers]
        requests = {host: sorted(reqs) for host, reqs in site.requests.items()}
        robots = {host: sum(1 for _, p in reqs if p == "/robots.txt") for host, reqs in site.requests.items()}
    for code, _, err in results:
        assert code == 0, err[-2000:]
    assert sum(len(stored_ids(tmp_path / f"w{i}")) for i in range(3)) == 30
    for host, times in requests.items():
        gaps = [(round(b[0] - a[0], 3), b[1]) for a, b in zip(times, times[1:])]
        assert len(times) >= 17  # robots.txt, sitemap, 15 articles
        # Three workers, one host. Each request takes the host's turn in Redis as it leaves, so
        # the turns are `delay` apart; the server's clock adds the lag of a busy worker between
        # its turn and its send (CPU-bound extraction on a loaded 2-core machine: up to ~0.5 s).
        # Lags do not add up, so over a run the gaps average the delay: three workers each
        # polite on their own would average delay / 3.
        stamps = [t for t, _ in times]
        assert (stamps[-1] - stamps[0]) / (len(stamps) - 1) >= delay * 0.9, (host, gaps)
        assert all(b - a >= 4 * delay - 0.5 for a, b in zip(stamps, stamps[4:])), (host, gaps)
        assert min(g for g, _ in gaps) >= delay * 0.25, (host, gaps)  # never a burst
    assert robots == {host: 1 for host in requests}  # fetched once for the cluster, then shared


def test_a_busy_reactor_does_not_bring_two_requests_to_a_host_closer_than_its_delay(
        tmp_path: Path, redis_server: RedisServer) -> None:
    """Two workers, one host, a 0.4 s delay, and a reactor kept busy 0.3 s after every response
    (a callback that spins, as a heavy page's extraction does). A request takes the host's turn
    some event-loop steps before its bytes leave; counted from the turn, the busy callback in
    between brought two arrivals as close as 0.15 s. Counted from when the request has surely
    left (its answer began), the server sees no two requests closer than the delay."""
    delay = 0.4
    busy = ("-s", 'EXTENSIONS={"tests.busy_reactor.BusyReactor": 900}')
    with Site(20, hosts=1) as site:
        sources = sources_for(site, tmp_path / "sources.yaml", delay=delay)
        workers = [start_worker(sources, tmp_path / f"w{i}", redis_server.url, *busy,
                                env={"BUSY_REACTOR_SECONDS": "0.3"}) for i in range(2)]
        results = [finish(w) for w in workers]
        requests = {host: sorted(reqs) for host, reqs in site.requests.items()}
    for code, _, err in results:
        assert code == 0, err[-2000:]
    assert sum(len(stored_ids(tmp_path / f"w{i}")) for i in range(2)) == 20
    (times,) = requests.values()
    assert len(times) >= 22  # robots.txt, sitemap, 20 articles
    gaps = [round(b[0] - a[0], 3) for a, b in zip(times, times[1:])]
    assert min(gaps) >= delay - 0.02, gaps  # the server's clock, 20 ms for the loopback and the HTTP parse


def test_host_concurrency_and_delay_hold_across_workers(tmp_path: Path, redis_server: RedisServer) -> None:
    """Three workers, each allowed 2 requests in flight per host and a 0.3 s delay; the server
    answers each article in 1 s. The delay alone would let 3 to 4 requests of one host be in
    progress at once (three workers each holding their own limit of 2: up to 6); the server never
    sees more than 2, and no two arrivals closer than the delay allows."""
    delay, latency, limit, per_host = 0.3, 1.0, 2, 14
    with SlowSite(2 * per_host, hosts=2, latency=latency) as site:
        sources = sources_for(site, tmp_path / "sources.yaml", delay=delay)
        workers = [start_worker(sources, tmp_path / f"w{i}", redis_server.url, "-s",
                                f"CONCURRENT_REQUESTS_PER_DOMAIN={limit}") for i in range(3)]
        results = [finish(w) for w in workers]
        arrivals = {host: sorted(t for t, p in reqs) for host, reqs in site.requests.items()}
        most = dict(site.max_active)
    for code, _, err in results:
        assert code == 0, err[-2000:]
    stored = [stored_ids(tmp_path / f"w{i}") for i in range(3)]
    assert sum(map(len, stored)) == 2 * per_host and sum(1 for s in stored if s) >= 2  # shared out
    # the limit is reached (so a breach would show) and never passed, on either host
    assert most == {host: limit for host in arrivals}, most
    for host, times in arrivals.items():
        assert len(times) == per_host + 2  # robots.txt, sitemap, the articles
        gaps = [round(b - a, 3) for a, b in zip(times, times[1:])]
        # the server's clock adds the lag between a worker taking the host's turn and sending
        # (up to ~0.1 s on a loaded 2-core machine: extraction runs on the worker's one thread)
        assert min(gaps) >= delay * 0.6, (host, gaps)
        # 14 articles, 2 at a time, 1 s each: at least 7 rounds, whatever the number of workers
        articles = [t for t, p in sorted(site.requests[host]) if p.startswith("/news/")]
        assert articles[-1] - articles[0] >= (per_host / limit - 1) * latency * 0.95, (host, gaps)


def test_nothing_is_acknowledged_before_it_is_stored(tmp_path: Path, redis_server: RedisServer) -> None:
    """Two workers are frozen (SIGSTOP) at several moments of the crawl; each time, every article
    page the server has answered and the frontier no longer holds (acknowledged) must already be
    in one of the workers' SQLite stores. Then one worker is killed (SIGKILL) while frozen with
    leases, and the other stores what it held: nothing lost."""
    total = 120
    with Site(total, hosts=6) as site:
        sources = sources_for(site, tmp_path / "sources.yaml", delay=0.05)
        stores = [tmp_path / "a", tmp_path / "b"]
        workers = [start_worker(sources, store, redis_server.url, "-s", "NEWSMON_FRONTIER_LEASE=2") for store in stores]
        client = redis.Redis.from_url(redis_server.url)
        checked = 0
        try:
            deadline = time.monotonic() + 120
            while checked < 8:
                assert time.monotonic() < deadline, "the crawl never got going"
                acked = int(client.hget("newsmon:frontier:stats", "acked") or 0)
                if acked < 10 + checked * 10:
                    time.sleep(0.05)
                    continue
                for w in workers:
                    os.kill(w.pid, signal.SIGSTOP)
                try:
                    time.sleep(0.1)  # what a worker sent before it stopped has arrived
                    with site.lock:
                        answered = {f"http://{host}:{site.port}{path}" for host, reqs in site.requests.items()
                                    for _, path in reqs if path.startswith("/news/")}
                    held = {json.loads(body)["url"] for body in client.hvals("newsmon:frontier:requests")}
                    stored = set().union(*(stored_urls(store) for store in stores))
                    assert answered - held <= stored, sorted(answered - held - stored)[:5]
                    assert answered - held, "nothing acknowledged yet"
                    checked += 1
                    if checked == 8:  # the last freeze: one worker dies with leases held
                        owners = {o.decode() for o in client.hvals("newsmon:frontier:owner")}
                        victim = next((w for w in workers if any(o.endswith(f":{w.pid}") for o in owners)), None)
                        if victim is None:
                            checked -= 1  # no lease held right now: try at the next moment
                        else:
                            os.kill(victim.pid, signal.SIGKILL)
                finally:
                    for w in workers:
                        if w.poll() is None:
                            os.kill(w.pid, signal.SIGCONT)
            results = [finish(w) for w in workers]
        finally:
            client.close()
        fetches = article_fetches(site)
    assert sorted(code for code, _, _ in results) == [-signal.SIGKILL, 0], [err[-2000:] for _, _, err in results]
    stored = [stored_ids(store) for store in stores]
    assert len(set().union(*stored)) == total  # what the dead worker held was stored by the other
    assert len(fetches) == total
    info = status(redis_server.url)
    assert info["counts"]["expired"] >= 1 and info["queued"] == 0 and info["leased"] == 0


def test_a_later_batch_does_not_refetch_what_any_worker_stored(tmp_path: Path, redis_server: RedisServer) -> None:
    """Batch 1: two workers share 40 articles, each storing part in its own SQLite store. Batch 2,
    the same two workers and stores: whichever reads a sitemap knows the articles the *other*
    stored (the frontier's stored-URL hash), so no article is fetched twice."""
    total = 40
    # each host answers in 0.3 s, 0.3 s apart: batch 1 lasts long enough for the second worker
    # (seconds of start-up on a loaded machine) to join it, so both store part of it
    with SlowSite(total, hosts=4, latency=0.3) as site:
        sources = sources_for(site, tmp_path / "sources.yaml", delay=0.3)
        stores = [tmp_path / "a", tmp_path / "b"]
        first = [finish(w) for w in [start_worker(sources, store, redis_server.url) for store in stores]]
        for code, _, err in first:
            assert code == 0, err[-2000:]
        before = [set(stored_ids(store)) for store in stores]
        assert all(before) and len(before[0] | before[1]) == total and not before[0] & before[1]
        assert status(redis_server.url)["state"] == "finished"
        second = [finish(w) for w in [start_worker(sources, store, redis_server.url) for store in stores]]
        fetches = article_fetches(site)
        sitemap_fetches = sum(1 for reqs in site.requests.values() for _, p in reqs if p == "/sitemap.xml")
    for code, _, err in second:
        assert code == 0, err[-2000:]
    # batch 2 did read every sitemap again. On a loaded machine the second worker may start after
    # batch 2 (nothing left to fetch) has already finished: it then begins a batch 3 of its own,
    # which reads the 4 sitemaps once more, and must fetch no article either.
    assert sitemap_fetches in (8, 12), sitemap_fetches
    assert len(fetches) == total and set(fetches.values()) == {1}, {u: n for u, n in fetches.items() if n > 1}
    assert [set(stored_ids(store)) for store in stores] == before
    summaries = [r for _, out, _ in second for r in json.loads(out)]
    assert sum(r["new"] for r in summaries) == 0
    info = status(redis_server.url)
    assert info["counts"].get("stored", 0) == 0 and info["counts"]["pushed"] == 4  # batch 2: the sitemaps only
    assert info["stored_urls"] == total  # one URL per article here (url = canonical = requested)


class AwkwardSite:
    """One host whose sitemap lists pages that end every way a request can end: stored, 404,
    500 (retried, then failed), a redirect to an article, a path robots.txt forbids, a host
    that refuses connections, a page that is not HTML."""

    def __init__(self) -> None:
        site = self
        self.hits: dict[str, int] = {}
        published = datetime.now(timezone.utc).replace(microsecond=0).isoformat()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 15

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                site.hits[self.path] = site.hits.get(self.path, 0) + 1
                base = f"http://127.0.0.1:{site.port}"
                headers = {"Content-Type": "text/html; charset=utf-8"}
                status, body = 200, b""
                if self.path == "/robots.txt":
                    headers["Content-Type"], body = "text/plain", b"User-agent: *\nDisallow: /private/\n"
                elif self.path == "/sitemap.xml":
                    urls = [f"{base}/news/{n}.html" for n in (0, 1)] + [
                        f"{base}{p}" for p in ("/gone.html", "/broken.html", "/moved.html", "/private/x.html",
                                                "/data.json")] + [f"http://127.0.0.1:{site.dead_port}/news/9.html"]
                    headers["Content-Type"] = "application/xml"
                    body = ('<?xml version="1.0" encoding="UTF-8"?><urlset '
                            'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                            + "".join(f"<url><loc>{u}</loc><lastmod>{published}</lastmod></url>" for u in urls)
                            + "</urlset>").encode()
                elif self.path in ("/news/0.html", "/news/1.html", "/news/2.html"):
                    body = page_html(int(self.path[6]), "fr", published)
                elif self.path == "/moved.html":
                    status, headers["Location"] = 301, f"{base}/news/2.html"
                elif self.path == "/broken.html":
                    status, body = 500, b"oops"
                elif self.path == "/data.json":
                    headers["Content-Type"], body = "application/json", b"{}"
                else:
                    status, body = 404, b"not found"
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.dead_port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = False
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "AwkwardSite":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def test_every_way_a_request_ends_is_acknowledged(tmp_path: Path, redis_server: RedisServer) -> None:
    """Stored, 404, 500 after retries, redirect, robots.txt refusal, connection refused, not HTML:
    each lease is acknowledged by its worker (none left to expire and be fetched again), and the
    workers end well before a lease could have expired."""
    with AwkwardSite() as site:
        sources = write_sources(tmp_path / "sources.yaml", [{"name": "awkward", "language": "fr",
                                                             "sitemaps": [f"http://127.0.0.1:{site.port}/sitemap.xml"]}])
        started = time.monotonic()
        workers = [start_worker(sources, tmp_path / f"w{i}", redis_server.url, "-s", "NEWSMON_FRONTIER_LEASE=20")
                   for i in range(2)]
        results = [finish(w, timeout=120) for w in workers]
        took = time.monotonic() - started
        hits = dict(site.hits)
    for code, _, err in results:
        assert code == 0, err[-2000:]
    assert took < 20, took  # no lease waited out
    assert len(set(stored_ids(tmp_path / "w0")) | set(stored_ids(tmp_path / "w1"))) == 3  # 0, 1 and 2 (moved)
    assert hits["/gone.html"] == 1 and hits["/moved.html"] == 1 and hits["/news/2.html"] == 1
    assert hits["/broken.html"] == 3  # Scrapy's 2 retries, then given up: not fetched again
    assert "/private/x.html" not in hits and hits["/data.json"] == 1
    info = status(redis_server.url)
    counts = info["counts"]
    assert info["queued"] == 0 and info["leased"] == 0 and not counts.get("expired")
    assert counts["acked"] == counts["leased"], counts  # every lease acknowledged, by its own worker
    # the sitemap, its 8 pages, a redirect hop, 2 retries of the 500 and 2 of the refused connection
    # (their requests went through Redis with the middlewares' headers: once sent as "b'…'" names)
    assert counts["pushed"] == 1 + 8 + 1 + 2 + 2
    reasons = {k: v for _, out, _ in results for r in json.loads(out) for k, v in r["reasons"].items()}
    assert reasons == {"error/connection_refused": 1, "error/http_404": 1, "error/http_500": 1,
                       "skipped/non_html": 1, "skipped/robots": 1}


def test_frontier_commands_and_bad_urls(tmp_path: Path, redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url)
    try:
        client.set("newsmon:frontier:epoch", "x")
        client.sadd("newsmon:frontier:seen", "a", "b")
        client.set("unrelated", "kept")
        info = status(redis_server.url)
        assert info["seen"] == 2 and info["state"] == "empty"
        result = run_newsmon("frontier", "reset", "--frontier", redis_server.url, "--yes")
        assert result.code == 0 and "2 keys deleted" in result.stdout
        assert client.get("unrelated") == b"kept" and client.get("newsmon:frontier:epoch") is None
    finally:
        client.close()
    bad = run_newsmon("crawl", "--frontier", "http://127.0.0.1:1/0", "--data", str(tmp_path / "d"))
    assert bad.code == 2 and "expected redis://HOST:PORT/DB" in bad.stderr
    down = run_newsmon("frontier", "status", "--frontier", f"redis://127.0.0.1:{free_port()}/0")
    assert down.code == 2 and "cannot reach Redis" in down.stderr
    password = run_newsmon("frontier", "status", "--frontier", f"redis://:s3cret@127.0.0.1:{free_port()}/0")
    assert password.code == 2 and "s3cret" not in password.stderr
    sources = write_sources(tmp_path / "sources.yaml", [{"name": "x", "language": "fr",
                                                          "feeds": ["http://127.0.0.1:9/feed"]}])
    crawl = run_newsmon("crawl", "--sources", str(sources), "--data", str(tmp_path / "d"),
                        env={"NEWSMON_FRONTIER": f"redis://:s3cret@127.0.0.1:{free_port()}/0"})
    assert crawl.code == 2 and "cannot reach Redis" in crawl.stderr and "s3cret" not in crawl.stderr
    assert len(crawl.stderr.strip().splitlines()) == 1  # one line, no traceback


def test_alerts_are_sent_once_across_workers(tmp_path: Path, redis_server: RedisServer) -> None:
    """Two workers stored the same article (a replayed lease): one message, claimed in Redis."""
    from datetime import timedelta

    from newsmon.frontier import Claims
    from tests.alerts_receivers import HttpReceiver
    from tests.test_alerts_delivery import T0, WHEAT, Setup, rules_yaml

    with HttpReceiver(fail_first=1) as hook:
        yaml_text = rules_yaml(f"{{type: webhook, url: '{hook.url}/in'}}", extra="retry_base_seconds: 60\n")
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        workers = [Setup(tmp_path / name, yaml_text) for name in ("a", "b")]
        for worker in workers:
            worker.store(WHEAT[0])
        claims = [Claims(redis_server.url), Claims(redis_server.url)]
        try:
            a, b = workers
            first = engine_run(a, T0, claims[0])
            assert first.failed == 1 and first.sent == 0  # the channel failed: the claim is released
            second = engine_run(b, T0, claims[1])
            assert second.sent == 1  # so the other worker could take it and deliver
            retry = engine_run(a, T0 + timedelta(seconds=61), claims[0])
            assert retry.sent == 0 and retry.claimed_elsewhere == 1  # and the first one does not send again
        finally:
            for c in claims:
                c.close()
    assert len(hook.requests) == 1 and hook.attempts == 2


def engine_run(setup, now, claims):  # type: ignore[no-untyped-def]
    from newsmon.alerts import engine

    return engine.run(setup.data, setup.config, now=now, claims=claims)


def test_a_request_goes_through_redis_as_json_and_comes_back_whole() -> None:
    """What a worker pushes (a retried request: body bytes, middleware headers, dates in meta) is
    what another worker gets back; nothing that JSON cannot carry is stored as something else."""
    import scrapy

    from crawler.frontier import dumps_request, loads_request

    class Spider(scrapy.Spider):
        name = "roundtrip"

        def parse_article(self, response):  # noqa: ANN001, ANN201
            pass

    spider = Spider()
    published = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    request = scrapy.Request("http://127.0.0.2:8080/news/1.html", callback=spider.parse_article, method="POST",
                             body=b"\x00q=Maroc", headers={"Accept-Language": "fr", "X-Raw": b"\xff"}, priority=3,
                             meta={"source": "desk", "feed_date": published, "day": published.date(),
                                   "tags": {"kz"}, "retry_times": 1, "frontier_id": "local only"})
    body = dumps_request(request, spider)
    assert "\\u0000" not in body and "b'" not in body  # bytes as base64, never a Python repr
    back = loads_request(body, spider)
    assert (back.url, back.method, back.body, back.priority) == (request.url, "POST", b"\x00q=Maroc", 3)
    assert back.callback == spider.parse_article
    assert back.headers.getlist("X-Raw") == [b"\xff"] and back.headers.get("Accept-Language") == b"fr"
    assert back.meta["feed_date"] == published and back.meta["day"] == published.date()
    assert back.meta["tags"] == ["kz"] and back.meta["retry_times"] == 1
    assert "frontier_id" not in back.meta  # a lease id means nothing to another worker
    with pytest.raises(TypeError, match="cannot store a"):
        dumps_request(scrapy.Request("http://127.0.0.2:8080/", callback=spider.parse_article,
                                     meta={"bad": object()}), spider)


def test_the_compose_cluster_workers_command_crawls_one_frontier_into_elasticsearch(
        tmp_path: Path, redis_server: RedisServer) -> None:
    """deploy/docker-compose.yml's `cluster` profile cannot run here (no Docker daemon), so its
    worker is run as the container would run it: the compose file's own shell loop and
    environment, with only the container paths, the Redis and the Elasticsearch addresses
    swapped for local ones. Two such workers share the frontier, store every article once between
    their two data directories, and index all of them in one Elasticsearch alias."""
    import yaml

    from tests.es_fake import FakeES

    compose = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {n for n, s in services.items() if "cluster" in s.get("profiles", [])} == {"redis", "scheduler", "worker"}
    worker = services["worker"]
    env = dict(worker["environment"])
    assert env["NEWSMON_FRONTIER"] == "redis://redis:6379/0" and env["NEWSMON_ES_URL"] == "https://es:9200"
    assert services["scheduler"]["environment"]["NEWSMON_FRONTIER"] == env["NEWSMON_FRONTIER"]
    script = worker["command"][0].replace("$$", "$")  # compose's escape for a literal $
    script = script.replace("/opt/newsmon/settings/sources.yaml", str(tmp_path / "sources.yaml"))
    script = script.replace("/data/", f"{tmp_path}/data/")
    script = script.replace("newsmon crawl", f"{sys.executable} -m newsmon.cli crawl")
    assert script.count(str(tmp_path)) == 2 and "-m newsmon.cli crawl" in script
    total = 40
    settings = tmp_path / "newsmon.yaml"
    settings.write_text("# no elasticsearch block: NEWSMON_ES_URL configures it\n", encoding="utf-8")
    with Site(total, hosts=4) as site, FakeES(9) as es:
        local = {**env, "NEWSMON_FRONTIER": redis_server.url, "NEWSMON_ES_URL": es.url, "NEWSMON_ES_USER": "",
                 "NEWSMON_ES_PASSWORD": "", "NEWSMON_ES_CA_CERTS": "", "NEWSMON_ES_API_KEY": "",
                 "NEWSMON_SETTINGS": str(settings), "NEWSMON_WORKER_PAUSE": "600", "PYTHONUNBUFFERED": "1"}
        setup = run_newsmon("es", "setup", env=local)
        assert setup.code == 0, setup.stderr
        sources_for(site, tmp_path / "sources.yaml", delay=0)
        shells = [subprocess.Popen(["sh", "-c", script], cwd=ROOT, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   env={**os.environ, **local, "HOSTNAME": f"worker-{i}"}) for i in (1, 2)]
        try:
            deadline = time.monotonic() + 150
            while time.monotonic() < deadline:
                stored = [set(stored_ids(tmp_path / "data" / f"worker-{i}")) for i in (1, 2)]
                indexed = sum(len(es.indices[name].docs) for name in es.aliases.get("newsmon-articles", {}))
                if len(stored[0] | stored[1]) == total and indexed >= total \
                        and status(redis_server.url)["state"] == "finished":
                    break  # each crawl sends its outbox to Elasticsearch as it ends
                time.sleep(0.5)
        finally:
            for shell in shells:
                os.killpg(shell.pid, signal.SIGKILL)
                shell.communicate()
        es_ids = [doc_id for name in es.aliases.get("newsmon-articles", {}) for doc_id in es.indices[name].docs]
    stored = [set(stored_ids(tmp_path / "data" / f"worker-{i}")) for i in (1, 2)]
    assert len(stored[0] | stored[1]) == total and not stored[0] & stored[1], [len(s) for s in stored]
    assert all(stored), "both workers took part"
    assert sorted(es_ids) == sorted(stored[0] | stored[1])
    assert all(n == 1 for n in article_fetches(site).values())
