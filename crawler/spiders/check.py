"""``newsmon sources check`` as a crawl mode: every discovery URL fetched once, read, and reported.

The check runs in the crawl's own Scrapy engine with the crawl's settings (user agent, timeouts,
retries, politeness, the private-address guard and resolver, the dead-host middleware), so what
it reports is what a crawl would get. It follows nothing: each feed, sitemap, search (filled with
the crawl's own search terms), section and home page URL of each source is one request and one
row, read by the spider's own discovery parsers (:mod:`crawler.discovery`) to count its items
and find the newest item date.

Failures are rows, told apart by exception *type* (:func:`classify_failure`): HTTP errors
(``HttpError``), robots.txt refusals (:class:`crawler.robots.RobotsDisallowed`), private
addresses (:class:`crawler.middlewares.PrivateAddressBlocked`, or the resolver's
:class:`crawler.resolver.PrivateAddressRefused` under Scrapy's DNS error), hosts given up on
(:class:`crawler.middlewares.HostUnreachable`), and Scrapy's download errors via
:func:`crawler.failures.classify`. A redirect the crawl would drop silently is caught by its signal: off the sources' hosts
(``request_scheduled``, judged by Scrapy's offsite middleware) it is a row's failure; to a URL
already requested (``request_dropped``) it is asked again, so the row gets its own answer.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from OpenSSL.SSL import Error as TLSError  # Twisted's TLS (pyOpenSSL, a Scrapy dependency)
from scrapy import signals
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip
from twisted.python.failure import Failure
from twisted.web.client import ResponseFailed

from crawler import discovery
from crawler.backoff import HostBlocked
from crawler.failures import classify
from crawler.middlewares import HostUnreachable, PrivateAddressBlocked
from crawler.resolver import PrivateAddressRefused
from crawler.robots import RobotsDisallowed, VERDICT_KEY
from crawler.spiders.sitemaps import SITEMAP_MAX_BYTES
from crawler.sources import Source
from pipelines.instants import iso_utc

URL_KEY = "check_url"  # request meta: the configured URL a request (and its redirects) answers for


@dataclass(frozen=True, slots=True)
class Target:
    source: str
    kind: str  # feed | sitemap | search | section | homepage
    url: str
    term: str | None = None  # the search term a search template was filled with


@dataclass(slots=True)
class UrlCheck:
    """What one discovery URL answered; ``failure`` (a class) and ``error`` (a phrase) are None
    when it is usable as its kind."""

    source: str
    kind: str
    url: str
    term: str | None = None
    status: int | None = None
    content_type: str | None = None
    format: str | None = None  # rss | atom | urlset | sitemapindex | html | json | other
    items: int | None = None  # feed entries, sitemap URLs (or child sitemaps), article links on HTML
    newest: str | None = None  # ISO 8601 UTC of the newest dated item
    robots: str = "unknown"  # allowed | disallowed | unknown (robots.txt could not be read)
    seconds: float | None = None  # download time, redirects included; None when nothing was sent
    final_url: str | None = None  # where redirects led, when elsewhere
    failure: str | None = "not_checked"  # until an answer or an error arrives (Ctrl-C stops before)
    error: str | None = "not checked"

    @property
    def ok(self) -> bool:
        return self.failure is None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def targets(source: Source, search_terms: dict[str, list[str]]) -> list[Target]:
    """Every URL a check asks for, in registry order; search templates once per crawl search term
    (as :mod:`crawler.spiders.search` fills them: terms in the source's language, else ``any``)."""
    out = [Target(source.name, "feed", u) for u in source.feeds]
    out += [Target(source.name, "sitemap", u) for u in source.sitemaps]
    terms = search_terms.get(source.language) or search_terms.get("any") or []
    out += [Target(source.name, "search", discovery.search_url(t, term), term) for t in source.search for term in terms]
    out += [Target(source.name, "section", u) for u in source.sections]
    if source.homepage:
        out.append(Target(source.name, "homepage", source.homepage))
    return out


# -- reading what came back ----------------------------------------------------------------


class WrongKind(Exception):
    """The body is not what the URL's kind promises (a feed URL serving HTML, …)."""

    def __init__(self, failure: str, message: str):
        super().__init__(message)
        self.failure = failure


def sniff_format(body: bytes) -> str:
    """rss | atom | urlset | sitemapindex | html | json | other, from the first root-looking tag."""
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for marker, name in ((b"<urlset", "urlset"), (b"<sitemapindex", "sitemapindex"), (b"<rss", "rss"),
                         (b"<rdf:rdf", "rss"), (b"<feed", "atom")):
        if marker in head:
            return name
    if b"<html" in head or b"<!doctype html" in head:
        return "html"
    if head[:1] in (b"[", b"{"):
        return "json"
    return "other"


def _newest(entries: Iterable[discovery.Entry]) -> datetime | None:
    return max((e.date for e in entries if e.date), default=None)


def _html_newest(response: TextResponse) -> datetime | None:
    """Newest ``<time datetime>`` on a listing page: the cheapest sign it is still updated."""
    return max(filter(None, (discovery.parse_iso(v) for v in response.xpath("//time/@datetime").getall())),
               default=None)


def read_body(kind: str, response: Response, hosts: set[str]) -> tuple[str, int | None, datetime | None]:
    """(format, items, newest) for ``response`` read as a ``kind`` URL, with the parsers a crawl
    uses for that kind; :class:`WrongKind` when it is not one."""
    body = response.body
    label = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip() or "no type"
    if kind == "sitemap" and body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=SITEMAP_MAX_BYTES)
        except ValueError:  # Scrapy's "decompressed more than max_size"
            raise WrongKind("too_large", f"gzip body larger than {SITEMAP_MAX_BYTES // 2**20} MB") from None
        except (OSError, EOFError):
            raise WrongKind("bad_gzip", "not a readable gzip file") from None
    fmt = sniff_format(body)
    if kind == "feed":
        entries = discovery.feed_entries(body, response.url)
        if not entries and not discovery.looks_like_feed(body):
            raise WrongKind("not_a_feed", f"not a feed ({label})")
        return fmt, len(entries), _newest(entries)
    if kind == "sitemap":
        if fmt not in ("urlset", "sitemapindex"):
            raise WrongKind("not_a_sitemap", f"not a sitemap ({label})")
        entries = discovery.sitemap_entries(body, response.url)
        return fmt, len(entries), _newest(entries)
    if kind == "search" and fmt == "json":
        entries = discovery.wp_json_entries(body, response.url)
        return fmt, len(entries), _newest(entries)
    if kind == "search" and discovery.looks_like_feed(body):
        entries = discovery.feed_entries(body, response.url)
        return fmt, len(entries), _newest(entries)
    if not isinstance(response, TextResponse) or fmt in ("rss", "atom", "urlset", "sitemapindex", "json"):
        raise WrongKind("not_html", f"not an HTML page ({label})")
    articles, _ = discovery.listing_links(response.text, response.url, hosts)
    return "html", len(articles), _html_newest(response)


# -- failures --------------------------------------------------------------------------------


def _causes(exc: BaseException) -> Iterable[BaseException]:
    """``exc``, the exception Scrapy wrapped, and the reasons inside Twisted's ResponseFailed."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.append(current)
        if current.__cause__ is not None:
            todo.append(current.__cause__)
        if isinstance(current, ResponseFailed):
            todo.extend(r.value for r in current.reasons if isinstance(r, Failure))
    return seen


def classify_failure(exc: BaseException, timeout: float, maxsize: int = 0) -> tuple[str, str]:
    """(failure class, short phrase) for a request that got no usable answer, by exception type."""
    causes = list(_causes(exc))
    if isinstance(exc, HttpError):
        return "http_error", f"HTTP {exc.response.status}"
    if isinstance(exc, RobotsDisallowed):
        return "robots", "disallowed by robots.txt (not fetched)"
    if isinstance(exc, PrivateAddressBlocked) or any(isinstance(c, PrivateAddressRefused) for c in causes):
        return "private_address", "refused: resolves to a private address"
    if isinstance(exc, HostUnreachable):
        return "unreachable", "not tried: its host failed to resolve or refused connections twice"
    if isinstance(exc, HostBlocked):
        return "blocked", "not tried: its host kept answering 403/429"
    known = classify(exc)
    if known == "dns":
        return known, "DNS lookup failed"
    if known == "connection_refused":
        return known, "connection refused"
    if known == "timeout":
        return known, f"timeout after {timeout:g}s"
    if known == "too_large":
        return known, f"body larger than {maxsize / 1e6:g} MB" if maxsize else "body larger than the size limit"
    if any(isinstance(c, TLSError) for c in causes):
        return "tls", "TLS handshake failed"
    if isinstance(exc, IgnoreRequest):
        return "ignored", f"not fetched ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    text = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
    return "other", f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- the spider ------------------------------------------------------------------------------


class CheckSpider(scrapy.Spider):
    name = "check"

    def __init__(self, rows: list[UrlCheck] | None = None,
                 progress: Callable[[int, int], None] | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.rows: list[UrlCheck] = rows if rows is not None else []
        self.progress = progress  # called with (rows done, rows in all) as answers come in
        self.close_reason: str | None = None

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> "CheckSpider":  # type: ignore[no-untyped-def]
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.sources = list(settings.getlist("NEWSMON_SOURCES"))
        spider.by_name = {s.name: s for s in spider.sources}
        spider.timeout = settings.getfloat("DOWNLOAD_TIMEOUT", 180)
        spider.maxsize = settings.getint("DOWNLOAD_MAXSIZE", 0)
        terms = {k: list(v) for k, v in (settings.getdict("NEWSMON_SEARCH_TERMS") or {}).items()}
        spider.targets = [t for s in spider.sources for t in targets(s, terms)]
        spider.rows[:] = [UrlCheck(t.source, t.kind, t.url, t.term) for t in spider.targets]
        spider.pending: dict[str, deque[str]] = {}
        spider.rows_by_url: dict[str, list[int]] = {}
        for index, target in enumerate(spider.targets):
            spider.rows_by_url.setdefault(target.url, []).append(index)
        # the crawl's offsite rule: a redirect away from the sources' hosts is dropped by Scrapy
        spider.allowed_domains = sorted({h for s in spider.sources for h in s.allowed_hosts})
        crawler.signals.connect(spider.headers_received, signal=signals.headers_received)
        crawler.signals.connect(spider.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(spider.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        return spider

    # -- one URL per host at a time ------------------------------------------------------------
    # A host's next URL is requested when its previous one has answered or failed. Politeness
    # spaces a host's downloads anyway; this way the dead-host middleware, which can only stop
    # requests that have not yet passed it, sees each failure before the next request does.

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.rows_by_url:
            self.pending.setdefault(urlsplit(url).hostname or "", deque()).append(url)
        for host in list(self.pending):
            if (request := self._next(host)) is not None:
                yield request

    def _next(self, host: str) -> scrapy.Request | None:
        queue = self.pending.get(host)
        if not queue:
            return None
        url = queue.popleft()
        indexes = self.rows_by_url[url]
        meta: dict[str, Any] = {URL_KEY: url, "source": self.rows[indexes[0]].source}
        if any(self.rows[i].kind == "sitemap" for i in indexes):
            meta["download_maxsize"] = SITEMAP_MAX_BYTES  # as the crawl's sitemap requests
        return scrapy.Request(url, callback=self.parse, errback=self.failed, meta=meta)

    def _after(self, request: scrapy.Request) -> Iterator[scrapy.Request]:
        """The next URL of the host ``request`` (before any redirect) belongs to."""
        self._tick()
        if (follow := self._next(urlsplit(request.meta.get(URL_KEY, "")).hostname or "")) is not None:
            yield follow

    def closed(self, reason: str) -> None:
        self.close_reason = reason

    # -- timing: download time of every hop, without the politeness wait in the slot queue --

    def headers_received(self, headers: Any, body_length: int, request: scrapy.Request, spider: Any) -> None:
        request.meta["check_headers_at"] = time.monotonic()

    def response_downloaded(self, response: Response, request: scrapy.Request, spider: Any) -> None:
        latency = request.meta.get("download_latency") or 0.0
        headers_at = request.meta.pop("check_headers_at", None)
        body = time.monotonic() - headers_at if headers_at is not None else 0.0
        request.meta["check_seconds"] = request.meta.get("check_seconds", 0.0) + latency + body

    # -- outcomes ------------------------------------------------------------------------------

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(sum(r.failure != "not_checked" for r in self.rows), len(self.rows))

    def _rows(self, request: scrapy.Request) -> list[UrlCheck]:
        url = request.meta.get(URL_KEY)
        return [self.rows[i] for i in self.rows_by_url.get(url, [])] if url else []

    def _hosts(self, row: UrlCheck) -> set[str]:
        return set(self.by_name[row.source].allowed_hosts)

    @staticmethod
    def _seconds(request: scrapy.Request) -> float | None:
        seconds = request.meta.get("check_seconds")
        return None if seconds is None else round(seconds, 3)

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip() or None
        for row in self._rows(response.request):  # type: ignore[arg-type]
            row.status, row.content_type = response.status, content_type
            row.robots = response.meta.get(VERDICT_KEY, "unknown")
            row.seconds = self._seconds(response.request)  # type: ignore[arg-type]
            row.final_url = response.url if response.url != row.url else None
            try:
                row.format, row.items, newest = read_body(row.kind, response, self._hosts(row))
            except WrongKind as exc:
                row.format, row.failure, row.error = sniff_format(response.body), exc.failure, str(exc)
                continue
            row.newest = iso_utc(newest) if newest else None
            row.failure = row.error = None
        yield from self._after(response.request)  # type: ignore[arg-type]

    def failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        exc = failure.value
        request: scrapy.Request = exc.response.request if isinstance(exc, HttpError) else failure.request  # type: ignore[attr-defined]
        klass, phrase = classify_failure(exc, float(request.meta.get("download_timeout") or self.timeout),
                                         int(request.meta.get("download_maxsize") or self.maxsize))
        for row in self._rows(request):
            row.failure, row.error = klass, phrase
            row.robots = request.meta.get(VERDICT_KEY, "unknown")
            if isinstance(exc, HttpError):
                row.status = exc.response.status
                row.content_type = exc.response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip() or None
                row.seconds = self._seconds(request)
                row.final_url = exc.response.url if exc.response.url != row.url else None
            elif klass == "timeout":
                row.seconds = float(request.meta.get("download_timeout") or self.timeout)
            elif request.url != row.url:
                row.final_url = request.url
        yield from self._after(request)

    def request_scheduled(self, request: scrapy.Request, spider: Any) -> None:
        """A redirect off the sources' hosts: Scrapy's offsite middleware drops it here, without
        an errback, and a crawl would lose the URL; the row says so, by the middleware's own rule."""
        if not request.meta.get("redirect_urls") or not self._rows(request):
            return
        if request.dont_filter or request.meta.get("allow_offsite"):
            return
        offsite = next((m for m in self.crawler.engine.downloader.middleware.middlewares  # type: ignore[union-attr]
                        if isinstance(m, OffsiteMiddleware)), None)
        if offsite is None or offsite.should_follow(request, self):
            return
        host = urlsplit(request.url).hostname or ""
        for row in self._rows(request):
            row.final_url = request.url
            row.seconds = self._seconds(request)
            row.failure, row.error = "offsite", f"redirects off the source's hosts, to {host} (a crawl drops it)"
        for follow in self._after(request):
            self.crawler.engine.crawl(follow)  # type: ignore[union-attr]

    def request_dropped(self, request: scrapy.Request, spider: Any) -> None:
        """A redirect to a URL already requested, dropped by the duplicate filter: asked again,
        unfiltered, so that the row gets its own answer."""
        if self._rows(request) and not request.meta.get("check_refetch"):
            retry = request.replace(dont_filter=True)
            retry.meta["check_refetch"] = True
            self.crawler.engine.crawl(retry)  # type: ignore[union-attr]
