"""Downloader middleware: crawled URLs must not reach private or loopback addresses.

Feeds and pages are untrusted: a feed entry or a redirect can point at 127.0.0.1, 10.0.0.0/8 or
a cloud metadata address (169.254.169.254). Every request, including each redirect hop, is
resolved first and refused when any address it resolves to is not globally routable — unless
it is made for a source whose own URLs name that exact origin (scheme, host and port: a test
site on 127.0.0.1:8080, an intranet source). Another port of that host, or another source's
origin, is not exempt.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import HtmlResponse, Response
from scrapy.statscollectors import StatsCollector

from crawler.addresses import is_public
from crawler.failures import classify, host_down


class PrivateAddressBlocked(IgnoreRequest):
    """A request refused because its host resolves to a private or loopback address."""


Origin = tuple[str, str, int]  # scheme, host, port


def origin_of(url: str) -> Origin:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def source_origins(source: object) -> set[Origin]:
    """The exact origins a source's own URLs name, and its extra ``domains`` on the default ports
    (a private-address exemption covers these only)."""
    origins = {origin_of(u) for u in getattr(source, "all_urls", [])}
    for domain in getattr(source, "domains", []):
        host = domain.lower().lstrip(".")
        origins.update({("http", host, 80), ("https", host, 443)})
    return origins


class PrivateAddressGuard:
    """``allowed`` is either hosts (exempt on any port, for every source: the old form, kept for
    callers that have no sources) or, per source name, the exact origins its URLs name. A
    request is exempt only for an origin of the source it was made for; requests Scrapy makes
    for no source (robots.txt) for an origin of any source."""

    def __init__(self, allowed_hosts: set[str], stats: StatsCollector | None = None,
                 origins: dict[str, set[Origin]] | None = None):
        self.allowed_hosts = {h.lower() for h in allowed_hosts}
        self.origins = origins
        self.any_origin = set().union(*origins.values()) if origins else set()
        self.stats = stats
        self._cache: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "PrivateAddressGuard":
        if not crawler.settings.getbool("NEWSMON_BLOCK_PRIVATE_ADDRESSES", True):
            raise NotConfigured
        sources = crawler.settings.getlist("NEWSMON_SOURCES")
        return cls(set(), crawler.stats, {s.name: source_origins(s) for s in sources})

    def _exempt(self, request: Request) -> bool:
        if self.origins is None:
            return (urlsplit(request.url).hostname or "").lower() in self.allowed_hosts
        source = request.meta.get("source")
        mine = self.origins.get(source, set()) if source else self.any_origin
        return origin_of(request.url) in mine

    async def _allowed(self, host: str, port: int) -> bool:
        if host not in self._cache:
            try:
                ipaddress.ip_address(host)
                addresses = [host]
            except ValueError:
                try:
                    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
                except OSError:
                    return True  # let the download fail with its own DNS error, counted there
                addresses = [info[4][0] for info in infos]
            self._cache[host] = all(is_public(a) for a in addresses)
        return self._cache[host]

    async def process_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if not self._exempt(request) and not await self._allowed(host, port):
            if self.stats:
                self.stats.inc_value("newsmon/blocked/private_address")
            raise PrivateAddressBlocked(f"private address refused: {request.url}")


class HostUnreachable(IgnoreRequest):
    """A request not sent because its host already failed to resolve or refused connections."""


class UnreachableHosts:
    """Once a host has shown it is not there, its other requests fail at once.

    A dead site otherwise costs every one of its URLs, each retried, each logged: minutes of
    waiting and a screen of identical lines. The verdict needs evidence, though: two different
    URLs of that host and port refusing connections after Scrapy's retries, or one URL whose
    host name does not resolve (DNS failures are not retried: see ``no_dns_retry``), and it expires after ``NEWSMON_DEAD_HOST_MINUTES`` so a short outage
    does not cost a long crawl. Timeouts never count: a slow page says nothing of the rest.
    """

    def __init__(self, stats: StatsCollector | None = None, minutes: float = 10.0, evidence: int = 2):
        self.stats = stats
        self.ttl = minutes * 60
        self.evidence = evidence
        self.failed_urls: dict[tuple[str, int], set[str]] = {}
        self.dead: dict[tuple[str, int], tuple[float, str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "UnreachableHosts":
        return cls(crawler.stats, crawler.settings.getfloat("NEWSMON_DEAD_HOST_MINUTES", 10.0))

    @staticmethod
    def _key(url: str) -> tuple[str, int]:
        parts = urlsplit(url)
        return (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)

    def process_request(self, request: Request) -> None:
        key = self._key(request.url)
        verdict = self.dead.get(key)
        if verdict is None:
            return
        since, why = verdict
        if time.monotonic() - since > self.ttl:
            del self.dead[key]
            self.failed_urls.pop(key, None)
            return
        raise HostUnreachable(f"host unreachable ({why}): {request.url}")

    def process_exception(self, request: Request, exception: BaseException) -> None:
        # Exceptions reach us only after RetryMiddleware (550) has given up on the request: when
        # it retries, the chain stops there.
        if not host_down(exception):
            return None
        key = self._key(request.url)
        urls = self.failed_urls.setdefault(key, set())
        urls.add(request.url)
        # A name that does not resolve needs no second witness: nothing on that host will answer.
        # Unless the witness is robots.txt: then the source's first own URL is still asked (not
        # retried), so that the failure the user reads names one of their URLs and says "DNS".
        own = not urlsplit(request.url).path.endswith("/robots.txt")
        needed = 1 if own and classify(exception) == "dns" else self.evidence
        if len(urls) >= needed and key not in self.dead:
            self.dead[key] = (time.monotonic(), classify(exception) or type(exception).__name__)
            if self.stats:
                self.stats.inc_value("newsmon/unreachable_hosts")
        return None


class MetaRefresh(MetaRefreshMiddleware):
    """Scrapy's ``<meta http-equiv="refresh">`` redirect, without decoding the pages that cannot
    hold one. Scrapy decodes every HTML page whole (``response.text``) to look at its first 4,096
    characters; a page whose first 16 KB (4,096 characters in any encoding) lack the bytes
    ``refresh``, in an encoding that writes ASCII as ASCII, has none. Every other page goes
    through Scrapy's own check, unchanged."""

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if isinstance(response, HtmlResponse) and not _may_refresh(response):
            return response
        return super().process_response(request, response)


def _may_refresh(response: HtmlResponse) -> bool:
    if b"refresh" in response.body[:16384].lower():
        return True
    return not _ascii_as_ascii(response.encoding)


@functools.lru_cache(maxsize=64)
def _ascii_as_ascii(encoding: str) -> bool:
    try:
        return "<meta http-equiv=refresh".encode(encoding) == b"<meta http-equiv=refresh"
    except (LookupError, UnicodeError):
        return False
