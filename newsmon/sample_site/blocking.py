"""Endpoints that refuse the crawler, for politeness tests: rate limits, bans, maintenance.

Under ``/blocked/<run>/`` (``<run>`` is any token a test picks, so tests sharing one server do
not share counters):

* ``feed/`` — RSS listing the pages below;
* ``ratelimited/<n>/<seconds>/story.html`` — 429 with ``Retry-After: <seconds>`` for the first
  ``n`` requests, then the article;
* ``unavailable/<n>/<seconds>/story.html`` — the same with 503 and ``Retry-After`` as an HTTP date;
* ``forbidden/story.html`` — always 403, no ``Retry-After`` (a ban, or a bot wall);
* ``hits?path=<path>`` — JSON list of the server-side times (epoch seconds) a path was
  requested, or ``hits?prefix=<prefix>`` for every path under it, so a test can check the
  gaps the crawler left.

The only stateful part of the sample site: :class:`HitLog`, one per server, which the router
feeds with every request.
"""

from __future__ import annotations

import html
import json
import threading
import time
from email.utils import formatdate
from urllib.parse import parse_qs

HTML = "text/html; charset=UTF-8"

STORIES = {
    "ratelimited": ("Kazakh grain wagons resume the route to Moroccan mills", (
        "Rail operators in Kazakhstan restarted weekly grain shipments bound for Morocco after a "
        "two-week pause caused by congestion at a Caspian transfer terminal.",
        "Millers in Casablanca said the first wagons would be unloaded next month. Traders in Astana "
        "expect the route to carry more durum wheat this season, as Moroccan buyers look for "
        "suppliers beyond their usual European partners.")),
    "unavailable": ("Moroccan and Kazakh archivists digitise shared expedition records", (
        "Archivists in Rabat and Almaty have begun scanning the diaries of a 1960s geological "
        "expedition that brought Moroccan and Kazakh surveyors together in the Sahara.",
        "The joint project, funded by both national libraries, will publish the first volumes "
        "online next spring; Kazakhstan's team is transcribing the Russian-language field notes "
        "while Moroccan colleagues handle the French and Arabic ones.")),
}


class HitLog:
    """Server-side request times per path, shared by the server's request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, list[float]] = {}

    def hit(self, path: str) -> None:
        with self._lock:
            self._hits.setdefault(path, []).append(time.time())

    def count(self, path: str) -> int:
        with self._lock:
            return len(self._hits.get(path, []))

    def times(self, path: str) -> list[float]:
        with self._lock:
            return list(self._hits.get(path, []))

    def times_under(self, prefix: str) -> list[float]:
        with self._lock:
            return sorted(t for p, ts in self._hits.items() if p.startswith(prefix) for t in ts)


def story_page(kind: str) -> bytes:
    title, story = STORIES[kind]
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in story)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="2025-06-20T10:00:00+00:00"></head>'
            f'<body class="single"><article><h1>{html.escape(title)}</h1>'
            f'<div class="entry-content">{paragraphs}</div></article></body></html>').encode("utf-8")


def feed(base: str) -> bytes:
    links = [f"{base}/ratelimited/2/1/story.html", f"{base}/unavailable/1/2/story.html", f"{base}/forbidden/story.html"]
    items = "".join(f"<item><title>story {i}</title><link>{u}</link><guid>{u}</guid></item>" for i, u in enumerate(links))
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>blocked</title>'
            f"<link>{base}/</link><description>fixture</description>{items}</channel></rss>").encode("utf-8")


def answer(path: str, query: str, base_url: str, log: HitLog | None) -> tuple[int, str, bytes, list[tuple[str, str]]] | None:
    """(status, content type, body, headers) for a ``/blocked/...`` path, or None."""
    parts = path.strip("/").split("/")  # blocked, run, kind, ...
    if len(parts) < 3 or parts[0] != "blocked":
        return None
    base = f"{base_url}/blocked/{parts[1]}"
    kind = parts[2]
    if kind == "feed":
        return 200, "application/rss+xml; charset=UTF-8", feed(base), []
    if kind == "hits":
        q = parse_qs(query)
        if "prefix" in q:
            found = log.times_under(q["prefix"][0]) if log else []
        else:
            found = log.times(q.get("path", [""])[0]) if log else []
        return 200, "application/json", json.dumps(found).encode(), []
    count = log.count(path) if log else 1  # the router has recorded this request already
    if kind == "forbidden":
        return 403, HTML, b"<html><body><h1>403 Forbidden</h1><p>Access denied.</p></body></html>", []
    if kind in ("ratelimited", "unavailable") and len(parts) == 6:
        try:
            times, seconds = int(parts[3]), int(parts[4])
        except ValueError:
            return None
        if count <= times:
            if kind == "ratelimited":
                return 429, HTML, b"<html><body><h1>Too Many Requests</h1></body></html>", [("Retry-After", str(seconds))]
            when = formatdate(time.time() + seconds, usegmt=True)
            return 503, HTML, b"<html><body><h1>Down for maintenance</h1></body></html>", [("Retry-After", when)]
        return 200, HTML, story_page(kind), []
    return None
