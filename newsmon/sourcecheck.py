"""Check a source's discovery URLs against the network: does each answer, with what, how fresh.

The registry is written from what outlets publish, not from what answered (see sources.yaml), so
a check has to tell a user which URLs to fix before a crawl silently finds nothing. It is a
diagnostic: every failure becomes a row (``error``), nothing is raised, and one dead host must
not hold up the others — hosts are checked in parallel, each host's URLs one after another (to
stay polite), and once a host refuses or times out its remaining URLs are not retried.

Parsing is the spider's own (crawler.discovery), so an item count is what a crawl would find;
robots.txt goes through Protego, as in Scrapy's RobotsTxtMiddleware.
"""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote_plus, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

import lxml.etree
import lxml.html
from protego import Protego
from scrapy.utils.gz import gunzip

from crawler import discovery
from newsmon.config import Source
from crawler.discovery import Entry
from newsmon.store import iso_utc as store_iso_utc

DEFAULT_USER_AGENT = "newsmon/0.1 (+source check; polite news monitor)"
DEFAULT_QUERY = "Kazakhstan"
DEFAULT_TIMEOUT = 10.0
MAX_BODY = 10 * 1024 * 1024  # a feed or a sitemap page larger than this is a problem to report
MAX_GUNZIPPED = 50 * 1024 * 1024  # the sitemap protocol's own limit per file

# Failures that mean the host itself cannot be reached, not one URL on it.
_HOST_ERRORS = ("connection refused", "DNS lookup failed", "TLS error", "network unreachable")


@dataclass(frozen=True, slots=True)
class UrlCheck:
    """What one discovery URL answered; ``error`` is None when it is usable as its kind."""

    source: str
    kind: str  # feed | sitemap | search | section | homepage
    url: str
    status: int | None = None
    content_type: str | None = None
    items: int | None = None  # feed entries, sitemap URLs (or child sitemaps), article links on HTML
    newest: str | None = None  # ISO 8601 UTC of the newest dated item
    robots: str = "unknown"  # allowed | disallowed | unknown
    seconds: float = 0.0
    error: str | None = None
    format: str | None = None  # rss | atom | urlset | sitemapindex | html | other

    @property
    def ok(self) -> bool:
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int
    content_type: str
    body: bytes
    url: str  # after redirects


class FetchError(Exception):
    """A URL that gave no usable body; ``status`` is set when the server did answer."""

    def __init__(self, message: str, status: int | None = None, content_type: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.content_type = content_type


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------


class _GuardedRedirects(HTTPRedirectHandler):
    """Follow redirects only to public addresses or to the source's own hosts.

    The URLs in sources.yaml are trusted, the redirects a server sends are not: without this a
    check would fetch (and report on) 127.0.0.1 or a cloud metadata address for a remote site.
    """

    def __init__(self, allowed_hosts: Iterable[str]) -> None:
        self.allowed_hosts = {h.lower() for h in allowed_hosts}

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        host = (urlsplit(newurl).hostname or "").lower()
        if host not in self.allowed_hosts and not _resolves_public(host):
            raise FetchError(f"redirect to a private address refused: {newurl}", status=code)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _resolves_public(host: str) -> bool:
    from crawler.middlewares import is_public

    try:
        addresses = [info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]
    except OSError:
        return True  # the fetch itself will fail with a DNS error, reported as such
    return bool(addresses) and all(is_public(a) for a in addresses)


def fetch(url: str, *, timeout: float = DEFAULT_TIMEOUT, user_agent: str = DEFAULT_USER_AGENT,
          max_bytes: int = MAX_BODY, allowed_hosts: Iterable[str] = ()) -> Fetched:
    """GET ``url`` with a whole-request deadline and a size cap; gzip bodies come back gunzipped.

    ``timeout`` bounds each socket operation *and* the whole read, so a server dripping bytes
    cannot hold a check forever.
    """
    request = Request(url, headers={"User-Agent": user_agent, "Accept": "*/*", "Accept-Encoding": "gzip"})
    deadline = time.monotonic() + timeout
    try:
        opener = build_opener(_GuardedRedirects({urlsplit(url).hostname or "", *allowed_hosts}))
        with opener.open(request, timeout=timeout) as response:  # http(s) only, validated by config
            content_type = response.headers.get("Content-Type", "") or ""
            body = _read_capped(response, max_bytes, deadline, timeout)
            status = response.status
            final_url = response.geturl()
    except HTTPError as exc:
        content_type = exc.headers.get("Content-Type", "") if exc.headers else ""
        raise FetchError(f"HTTP {exc.code}", status=exc.code, content_type=content_type or None) from None
    except FetchError:
        raise
    except (URLError, OSError, http.client.HTTPException) as exc:
        raise FetchError(describe_error(exc, timeout)) from None
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=MAX_GUNZIPPED)
        except ValueError:  # Scrapy's (private) "decompressed more than max_size" error
            raise FetchError(f"gzip body larger than {_size(MAX_GUNZIPPED)}", status=status,
                             content_type=content_type or None) from None
        except (OSError, EOFError) as exc:
            raise FetchError(f"bad gzip body: {exc}", status=status, content_type=content_type or None) from None
    return Fetched(status=status, content_type=content_type, body=body, url=final_url)


def _read_capped(response: Any, max_bytes: int, deadline: float, timeout: float) -> bytes:
    buf = BytesIO()
    while True:
        if time.monotonic() > deadline:
            raise FetchError(f"timeout after {timeout:g}s")
        # read1: what the socket has now; read(n) would wait for all n bytes, and a server
        # dripping one byte a second would hold it far past the deadline
        chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
        if not chunk:
            return buf.getvalue()
        buf.write(chunk)
        if buf.tell() > max_bytes:
            raise FetchError(f"body larger than {_size(max_bytes)}", status=response.status)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n} bytes"


def describe_error(exc: BaseException, timeout: float) -> str:
    """A short, stable phrase for a network failure (the table has no room for tracebacks)."""
    reason: object = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        # urllib wraps only connect-stage errors in URLError; a silent server times out unwrapped.
        return f"timeout after {timeout:g}s" + (" (connecting)" if isinstance(exc, URLError) else "")
    if isinstance(reason, OSError) and reason.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return "network unreachable"
    if isinstance(reason, socket.gaierror):
        return "DNS lookup failed"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error: {getattr(reason, 'reason', None) or reason}"
    if isinstance(reason, ConnectionResetError):
        return "connection reset"
    if isinstance(reason, (http.client.RemoteDisconnected, http.client.IncompleteRead)):
        return "connection closed by server"
    if isinstance(reason, str):
        return reason
    text = str(reason) or type(reason).__name__
    return text.splitlines()[0][:120]


# --------------------------------------------------------------------------------------------
# Parsing what came back
# --------------------------------------------------------------------------------------------


def iso_utc(value: datetime | None) -> str | None:
    return store_iso_utc(value) if value else None


def sniff_format(body: bytes) -> str:
    """rss | atom | urlset | sitemapindex | html | other, from the first root-looking tag."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for marker, name in ((b"<urlset", "urlset"), (b"<sitemapindex", "sitemapindex"), (b"<rss", "rss"),
                         (b"<rdf:rdf", "rss"), (b"<feed", "atom")):
        if marker in head:
            return name
    if b"<html" in head or b"<!doctype html" in head:
        return "html"
    return "other"


def _newest(entries: Iterable[Entry]) -> datetime | None:
    return max((e.date for e in entries if e.date), default=None)


def _html_newest(body: bytes) -> datetime | None:
    """Newest ``<time datetime>`` on a listing page: the cheapest sign it is still updated."""
    try:
        doc = lxml.html.fromstring(body)
    except (lxml.etree.ParserError, ValueError):
        return None
    return max(filter(None, (discovery.parse_iso(v) for v in doc.xpath("//time/@datetime"))), default=None)


def inspect_body(kind: str, fetched: Fetched, hosts: set[str] | None = None) -> tuple[str, int | None, datetime | None]:
    """(format, items, newest) for ``fetched`` read as a ``kind`` URL; ValueError if it isn't one.

    Items are counted by the spider's own discovery parsers, so the number is what a crawl of
    this URL would find: feed entries with a link, sitemap URLs (child sitemaps for an index,
    dated by news:publication_date before lastmod), or article links on an HTML page.
    """
    fmt = sniff_format(fetched.body)
    expected = {"feed": ("rss", "atom"), "sitemap": ("urlset", "sitemapindex")}.get(kind)
    if expected and fmt not in expected:
        label = fetched.content_type.split(";")[0].strip() or fmt
        raise ValueError(f"not a {kind} ({label})")
    if fmt in ("urlset", "sitemapindex"):
        entries = discovery.sitemap_entries(fetched.body, fetched.url)
        return fmt, len(entries), _newest(entries)
    if fmt in ("rss", "atom"):
        entries = discovery.feed_entries(fetched.body, fetched.url)
        return fmt, len(entries), _newest(entries)
    if fmt == "html":
        text = fetched.body.decode("utf-8", "replace")
        hosts = hosts or {urlsplit(fetched.url).hostname or ""}
        articles, _ = discovery.listing_links(text, fetched.url, hosts)
        return fmt, len(articles), _html_newest(fetched.body)
    return fmt, None, None


# --------------------------------------------------------------------------------------------
# robots.txt
# --------------------------------------------------------------------------------------------


@dataclass
class _RobotsEntry:
    lock: threading.Lock = field(default_factory=threading.Lock)
    loaded: bool = False
    rules: Protego | None = None
    allow_all: bool = False
    error: str | None = None  # a host-level failure (refused, timeout) seen while fetching it


class RobotsCache:
    """robots.txt per origin, fetched once per check run even when threads ask together."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, user_agent: str = DEFAULT_USER_AGENT) -> None:
        self.timeout = timeout
        self.user_agent = user_agent
        self._lock = threading.Lock()
        self._entries: dict[str, _RobotsEntry] = {}

    def _entry(self, url: str) -> _RobotsEntry:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            entry = self._entries.setdefault(origin, _RobotsEntry())
        with entry.lock:
            if not entry.loaded:
                self._load(origin, entry)
                entry.loaded = True
        return entry

    def _load(self, origin: str, entry: _RobotsEntry) -> None:
        # RFC 9309: 4xx means "no rules" (allowed); 5xx or no answer means "assume nothing".
        try:
            fetched = fetch(f"{origin}/robots.txt", timeout=self.timeout, user_agent=self.user_agent,
                            max_bytes=512 * 1024)
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                entry.allow_all = True
            elif exc.status is None:
                entry.error = str(exc)
            return
        entry.rules = Protego.parse(fetched.body.decode("utf-8", "replace"))

    def verdict(self, url: str) -> str:
        entry = self._entry(url)
        if entry.allow_all:
            return "allowed"
        if entry.rules is None:
            return "unknown"
        return "allowed" if entry.rules.can_fetch(url, self.user_agent) else "disallowed"

    def host_error(self, url: str) -> str | None:
        return self._entry(url).error


# --------------------------------------------------------------------------------------------
# Checking sources
# --------------------------------------------------------------------------------------------


def topic_queries(topics_file: str | Path | None = None) -> dict[str, str]:
    """Per language, the first term of each concept of the first topic: ``Maroc Kazakhstan``.

    Site search engines and news-search feeds AND their words, so this asks for articles that
    mention both sides, in the desk's own language. An unreadable topics file gives {} (the
    check then searches for DEFAULT_QUERY) — checking sources must not depend on topics.
    """
    from newsmon.config import DEFAULT_TOPICS_FILE
    from newsmon.config import load_topics
    from newsmon.yamlconf import ConfigError

    try:
        topic = load_topics(topics_file or DEFAULT_TOPICS_FILE)[0]
    except (ConfigError, OSError, IndexError):
        return {}
    langs = {lang for concept in topic.concepts for lang in concept.terms}
    out: dict[str, str] = {}
    for lang in sorted(langs):
        words = [(c.terms.get(lang) or c.terms.get("any") or [""])[0] for c in topic.concepts]
        if all(words):
            out[lang] = " ".join(words)
    return out


def query_for(source: Source, query: str | None = None, queries: Mapping[str, str] | None = None) -> str:
    if query:
        return query
    queries = queries or {}
    return queries.get(source.language) or queries.get("any") or DEFAULT_QUERY


def targets(source: Source, query: str = DEFAULT_QUERY) -> list[tuple[str, str]]:
    """(kind, URL) pairs to check, search templates filled with ``query``."""
    pairs = [("feed", u) for u in source.feeds] + [("sitemap", u) for u in source.sitemaps]
    pairs += [("search", u.replace("{query}", quote_plus(query))) for u in source.search]
    pairs += [("section", u) for u in source.sections]
    if source.homepage:
        pairs.append(("homepage", source.homepage))
    return pairs


def check_url(source: Source, kind: str, url: str, robots: RobotsCache, *, timeout: float = DEFAULT_TIMEOUT,
              user_agent: str = DEFAULT_USER_AGENT, max_bytes: int = MAX_BODY) -> UrlCheck:
    """One row; never raises. A URL robots.txt disallows is reported, not fetched."""
    base = {"source": source.name, "kind": kind, "url": url}
    try:
        verdict = robots.verdict(url)
    except Exception:  # an unparseable robots.txt must not hide the URL's own result
        verdict = "unknown"
    if verdict == "disallowed":
        return UrlCheck(**base, robots=verdict, error="disallowed by robots.txt (not fetched)")
    started = time.monotonic()
    try:
        fetched = fetch(url, timeout=timeout, user_agent=user_agent, max_bytes=max_bytes,
                        allowed_hosts=source.allowed_hosts)
    except FetchError as exc:
        return UrlCheck(**base, error=str(exc), status=exc.status, content_type=exc.content_type,
                        robots=verdict, seconds=round(time.monotonic() - started, 3))
    seconds = round(time.monotonic() - started, 3)
    content_type = fetched.content_type.split(";")[0].strip() or None
    try:
        fmt, items, newest = inspect_body(kind, fetched, source.allowed_hosts)
        error = None
    except (ValueError, lxml.etree.LxmlError) as exc:
        fmt, items, newest, error = sniff_format(fetched.body), None, None, str(exc)
    return UrlCheck(**base, status=fetched.status, content_type=content_type, items=items, newest=iso_utc(newest),
                    robots=verdict, seconds=seconds, error=error, format=fmt)


def is_host_failure(error: str | None) -> bool:
    """Refused, unresolvable, unroutable, TLS-broken or not accepting connections: the whole host."""
    return bool(error) and (error.startswith(_HOST_ERRORS) or error.endswith("(connecting)"))


def _check_host(jobs: Sequence[tuple[int, Source, str, str]], robots: RobotsCache, timeout: float, user_agent: str,
                max_bytes: int) -> list[tuple[int, UrlCheck]]:
    """One host's URLs in order, so a check never hammers an outlet.

    A dead host must not cost one timeout per URL: after a host-level failure, or two timeouts
    in a row from a server that accepts but never answers (robots.txt counts), the remaining
    URLs are reported as not tried. One slow URL among good ones does not condemn the host.
    """
    out: list[tuple[int, UrlCheck]] = []
    down: str | None = None
    strikes = 0
    for number, (index, source, kind, url) in enumerate(jobs):
        if number == 0:
            first = robots.host_error(url)
            if is_host_failure(first):
                down = first
            elif first and first.startswith("timeout after"):
                strikes = 1
        if down is not None:
            out.append((index, UrlCheck(source.name, kind, url, error=f"{down} (host unreachable; not tried)")))
            continue
        row = check_url(source, kind, url, robots, timeout=timeout, user_agent=user_agent, max_bytes=max_bytes)
        out.append((index, row))
        if row.status is None and is_host_failure(row.error):
            down = row.error
        elif row.status is None and row.error and row.error.startswith("timeout after"):
            strikes += 1
            if strikes >= 2:
                down = row.error
        else:
            strikes = 0
        if down is None and source.delay:
            time.sleep(min(source.delay, 1.0))  # polite, but a check of a slow desk stays short
    return out


def check_sources(sources: Iterable[Source], *, timeout: float = DEFAULT_TIMEOUT,
                  user_agent: str = DEFAULT_USER_AGENT, query: str | None = None,
                  queries: Mapping[str, str] | None = None, workers: int = 16,
                  max_bytes: int = MAX_BODY) -> list[UrlCheck]:
    """Rows for every discovery URL of ``sources``, in registry order; hosts run in parallel.

    Search templates get ``query`` if given, else ``queries[source.language]`` (see
    :func:`topic_queries`), else DEFAULT_QUERY.
    """
    jobs: list[tuple[int, Source, str, str]] = []
    for source in sources:
        for kind, url in targets(source, query_for(source, query, queries)):
            jobs.append((len(jobs), source, kind, url))
    by_host: dict[str, list[tuple[int, Source, str, str]]] = {}
    for job in jobs:
        parts = urlsplit(job[3])
        by_host.setdefault(f"{parts.scheme}://{parts.netloc}", []).append(job)
    robots = RobotsCache(timeout=timeout, user_agent=user_agent)
    rows: list[UrlCheck | None] = [None] * len(jobs)
    if not jobs:
        return []
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(by_host))))
    try:
        futures = [pool.submit(_check_host, host_jobs, robots, timeout, user_agent, max_bytes)
                   for host_jobs in by_host.values()]
        for future in futures:
            for index, row in future.result():
                rows[index] = row
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)  # Ctrl-C: do not wait for the requests in flight
        raise
    pool.shutdown()
    return [r for r in rows if r is not None]


def check_source(source: Source, *, timeout: float = DEFAULT_TIMEOUT, user_agent: str = DEFAULT_USER_AGENT,
                 query: str | None = None, queries: Mapping[str, str] | None = None) -> list[UrlCheck]:
    return check_sources([source], timeout=timeout, user_agent=user_agent, query=query, queries=queries)
