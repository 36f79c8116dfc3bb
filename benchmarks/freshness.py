"""Freshness: from an article appearing in a feed to `newsmon search` finding it, under `newsmon schedule`.

Inputs: a small news site served by this script on 127.0.0.1 (an RSS feed with an ETag that
honours If-None-Match, article pages with dates in their markup, a robots.txt); one source on it with ``schedule: every 10s``; the real
scheduler (`newsmon schedule`, persistent job store, child crawls) with its settings as shipped
except politeness (AutoThrottle off, delay 0: the site is ours). The site publishes N articles
(default 20) at random moments, 2 to 14 s apart (seeded), each on topic (Morocco–Kazakhstan) so
the relevance stage keeps it. For each one the script polls the search, the same library call
`newsmon search 'url:<URL>'` makes, every 0.25 s, and records the time from publication to the
first hit; at the end every article is searched once more through the real CLI.

It prints p50, p95 and max of that delay. Target: p95 under 30 s at a 10 s poll. What it adds
up to: the wait for the next poll (0–10 s, plus up to 1 s of jitter), the child's start-up
(~1.5 s of Python and Scrapy imports), the fetch and pipeline, and the index commit (the crawl
commits at its end, or every NEWSMON_INDEX_EVERY_SECONDS in a long crawl).

    .venv/bin/python benchmarks/freshness.py [--articles 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from newsmon.search import search  # noqa: E402
from newsmon.store import StoreError  # noqa: E402

CITIES = ["Rabat", "Casablanca", "Tangier", "Astana", "Almaty", "Shymkent", "Marrakesh", "Agadir"]
GOODS = ["wheat", "phosphate fertiliser", "uranium", "dates", "olive oil", "steel", "sunflower oil", "citrus"]


class Newsroom:
    """The site's state: articles published so far, newest first, each with its publication time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.published: list[tuple[int, datetime]] = []
        self.polls: dict[int, int] = {}  # feed answers by status: 200 full, 304 not modified

    def publish(self, number: int) -> datetime:
        moment = datetime.now(timezone.utc)
        with self.lock:
            self.published.insert(0, (number, moment))
        return moment

    def snapshot(self) -> list[tuple[int, datetime]]:
        with self.lock:
            return list(self.published)


def article_html(number: int, moment: datetime) -> bytes:
    rng = random.Random(number)
    city_a, city_b = rng.choice(CITIES[:3]), rng.choice(CITIES[3:6])
    good = rng.choice(GOODS)
    title = f"Morocco and Kazakhstan sign {good} accord number {number}"
    paragraphs = [
        f"{city_a} and {city_b} — Morocco and Kazakhstan agreed on Tuesday on a new {good} accord, the "
        f"{number}th text signed by the two governments since their trade commission first met.",
        f"Kazakhstan will ship {good} through the Caspian corridor, while Morocco opens its Atlantic ports "
        "to Kazakh exporters. Officials from both ministries said the first cargo is expected next month.",
        "The Moroccan delegation, led by the trade minister, also discussed air links between Casablanca "
        "and Astana, which both sides described as the next step for the partnership.",
    ]
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<meta property='article:published_time' content='{iso}'></head><body><header><a href='/'>Wire</a>"
            f"</header><article><h1>{escape(title)}</h1><time datetime='{iso}'>{iso}</time>{body}</article>"
            "<footer>© Freshness Wire</footer></body></html>").encode()


def feed_xml(base: str, items: list[tuple[int, datetime]]) -> bytes:
    entries = "".join(
        f"<item><title>Accord {n}</title><link>{base}/news/{n}.html</link><guid>{base}/news/{n}.html</guid>"
        f"<pubDate>{format_datetime(moment, usegmt=True)}</pubDate></item>" for n, moment in items)
    return (f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>Freshness Wire</title>"
            f"<link>{base}/</link><description>test feed</description>{entries}</channel></rss>").encode()


def serve(newsroom: Newsroom) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            items = newsroom.snapshot()
            known = dict(items)
            extra: list[tuple[str, str]] = []
            if self.path == "/feed.xml":
                etag = f'"{len(items)}"'
                extra = [("ETag", etag)]
                if self.headers.get("If-None-Match") == etag:  # conditional GET: nothing new
                    body, ctype, status = b"", "application/rss+xml", 304
                else:
                    body, ctype, status = feed_xml(base, items), "application/rss+xml", 200
                newsroom.polls[status] = newsroom.polls.get(status, 0) + 1
            elif self.path == "/robots.txt":
                body, ctype, status = b"User-agent: *\nAllow: /\n", "text/plain", 200
            elif self.path.startswith("/news/") and self.path.endswith(".html") and \
                    self.path[6:-5].isdigit() and int(self.path[6:-5]) in known:
                number = int(self.path[6:-5])
                body, ctype, status = article_html(number, known[number]), "text/html; charset=utf-8", 200
            else:
                body, ctype, status = b"not found", "text/plain", 404
            self.send_response(status)
            for key, value in extra:
                self.send_header(key, value)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    return server


def found(data: Path, url: str) -> bool:
    try:
        return any(hit.article["url"] == url for hit in search(data, f'url:"{url}"', limit=5))
    except StoreError:
        return False  # no index yet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--poll", default="every 10s", help="the source's schedule")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    newsroom = Newsroom()
    server = serve(newsroom)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        sources = Path(tmp) / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": [{
            "name": "wire", "language": "en", "timezone": "UTC", "feeds": [f"{base}/feed.xml"],
            "schedule": args.poll, "delay": 0, "concurrency": 4}]}), encoding="utf-8")
        log = open(Path(tmp) / "schedule.log", "w", encoding="utf-8")
        sched = subprocess.Popen([sys.executable, "-m", "newsmon.cli", "schedule", "--sources", str(sources),
                                  "--data", str(data), "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"],
                                 cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        delays: list[float] = []
        try:
            time.sleep(12)  # the first (empty) crawl, as a monitor that has been running a while
            pending: dict[str, float] = {}
            schedule = [rng.uniform(2, 14) for _ in range(args.articles)]
            next_at = time.monotonic() + schedule[0]
            published = 0
            while published < args.articles or pending:
                now = time.monotonic()
                if published < args.articles and now >= next_at:
                    published += 1
                    newsroom.publish(published)
                    pending[f"{base}/news/{published}.html"] = time.monotonic()
                    if published < args.articles:
                        next_at = now + schedule[published]
                for url, at in list(pending.items()):
                    if found(data, url):
                        delays.append(time.monotonic() - at)
                        del pending[url]
                        print(f"  {url.rsplit('/', 1)[1]:>8}: searchable after {delays[-1]:5.1f} s", flush=True)
                    elif time.monotonic() - at > 120:
                        raise SystemExit(f"{url} not searchable after 120 s; see {log.name}")
                if sched.poll() is not None:
                    raise SystemExit(f"the scheduler exited ({sched.returncode}):\n{Path(log.name).read_text()}")
                time.sleep(0.25)
            cli = subprocess.run([sys.executable, "-m", "newsmon.cli", "search", "Kazakhstan accord", "--data",
                                  str(data), "--json", "--limit", "100"], cwd=ROOT, capture_output=True, text=True)
            cli_urls = {h["url"] for h in json.loads(cli.stdout)}
            missing = [n for n in range(1, args.articles + 1) if f"{base}/news/{n}.html" not in cli_urls]
        finally:
            sched.send_signal(signal.SIGTERM)
            stop_start = time.monotonic()
            sched.wait(timeout=30)
            stop_seconds = time.monotonic() - stop_start
            log.close()
            server.shutdown()
            server.server_close()
    delays.sort()
    p95 = delays[max(0, round(0.95 * len(delays)) - 1)]
    print(f"machine: {os.cpu_count()} vCPU, {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"schedule: {args.poll}; {len(delays)} articles published at random moments (seed {args.seed})")
    print(f"feed → searchable: p50 {statistics.median(delays):.1f} s, p95 {p95:.1f} s, max {delays[-1]:.1f} s, "
          f"min {delays[0]:.1f} s  (target: p95 < 30 s)")
    print(f"`newsmon search` CLI finds {args.articles - len(missing)}/{args.articles}" +
          (f" (missing: {missing})" if missing else ""))
    print(f"feed polls: {newsroom.polls.get(200, 0)} answered in full, {newsroom.polls.get(304, 0)} with 304 "
          "Not Modified (conditional GET)")
    print(f"scheduler stopped {stop_seconds:.1f} s after SIGTERM")


if __name__ == "__main__":
    main()
