"""What every discovery method shares: requests tagged with their source, the entry filter, articles.

:class:`SpiderCore` is the base of the discovery mixins (``feeds``, ``sitemaps``, ``search``,
``sections``, ``aggregators``) that :class:`crawler.spiders.news.NewsSpider` composes. Each
mixin only turns fetched discovery pages into :class:`crawler.discovery.Entry` records; they
all hand them to :meth:`SpiderCore.follow_entries`, the one place that decides whether an
entry is worth an article request (age window, allowed host, already requested, stored, seen).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler import discovery
from crawler.backoff import HostBlocked
from crawler.failures import classify
from crawler.middlewares import HostUnreachable, PrivateAddressBlocked
from crawler.resolver import PrivateAddressRefused
from crawler.robots import RobotsDisallowed
from crawler.sources import Source
from crawler.store import CrawlStore, StoreUnavailable
from pipelines.html import CHALLENGE, decode_html, is_html
from pipelines.items import Article


def source_stat(source: str, key: str) -> str:
    return f"newsmon/source/{source}/{key}"


# The per-source caps (crawler.sources.Limits fields) and the settings that give their defaults.
LIMIT_SETTINGS = {
    "sitemaps": "NEWSMON_MAX_SITEMAPS",
    "sitemap_depth": "NEWSMON_MAX_SITEMAP_DEPTH",
    "feeds": "NEWSMON_MAX_FEEDS",
    "listing_pages": "NEWSMON_MAX_LISTING_PAGES_PER_SOURCE",
    "urls_per_document": "NEWSMON_MAX_URLS_PER_DOCUMENT",
    "articles": "NEWSMON_MAX_ARTICLES_PER_SOURCE",
}


class SpiderCore(scrapy.Spider):
    # set by NewsSpider.from_crawler
    sources: list[Source]
    by_name: dict[str, Source]
    default_max_age: int
    max_age_override: int | None
    search_terms: dict[str, list[str]]
    max_listing_pages: int
    store: CrawlStore  # the crawl's one writer, opened by the application (see news.py)
    now: datetime
    requested: set[str]
    reported_unreachable: set[tuple[str, str]]
    seen_since: str  # verdicts older than this have expired (NEWSMON_SEEN_TTL_DAYS)
    topics_fingerprint: str | None
    default_limits: dict[str, int]  # the NEWSMON_MAX_* caps, by Limits field name (see LIMIT_SETTINGS)
    spent: dict[tuple[str, str], int]  # (source, limit) → how much of it this crawl used
    quarantine_retries: int  # NEWSMON_QUARANTINE_RETRIES

    def inc(self, source: str, key: str, count: int = 1) -> None:
        self.crawler.stats.inc_value(source_stat(source, key), count)

    def source_of(self, response: Response) -> Source:
        return self.by_name[response.meta["source"]]

    def max_age(self, source: Source) -> int:
        if self.max_age_override is not None:
            return self.max_age_override
        return self.default_max_age if source.max_age_days is None else source.max_age_days

    # -- caps: every run ends, whatever a site offers ------------------------------------------

    def limit(self, source: Source, name: str) -> int:
        own = getattr(source.limits, name, None) if source.limits is not None else None
        return own if own is not None else self.default_limits[name]

    def capped(self, source: Source, name: str, count: int = 1) -> None:
        """Count what a cap kept out (``capped/<name>``), with the cap that did it."""
        self.inc(source.name, f"capped/{name}", count)
        self.crawler.stats.set_value(source_stat(source.name, f"limit/{name}"), self.limit(source, name))

    def take(self, source: Source, name: str) -> bool:
        """Spend one unit of the source's ``name`` budget for this crawl; False (counted) when spent."""
        key = (source.name, name)
        if self.spent.get(key, 0) >= self.limit(source, name):
            self.capped(source, name)
            return False
        self.spent[key] = self.spent.get(key, 0) + 1
        return True

    def newest_entries(self, source: Source, entries: Iterable[discovery.Entry]) -> list[discovery.Entry]:
        """The newest ``urls_per_document`` entries of one document; the rest counted ``capped/urls_per_document``."""
        kept, total = discovery.newest(entries, self.limit(source, "urls_per_document"))
        if total > len(kept):
            self.capped(source, "urls_per_document", total - len(kept))
        return kept

    def _request(self, url: str, source: Source, callback: Any, dont_filter: bool = False, **meta: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_error, dont_filter=dont_filter,
                              meta={"source": source.name, **meta})

    # -- the one entry filter ----------------------------------------------------------------

    def follow_entries(self, source: Source, entries: list[discovery.Entry], via: str,
                       counted: bool = True, discovered_url: str | None = None) -> Iterator[scrapy.Request]:
        """Article requests for the entries that pass; everything skipped is counted by reason.

        ``counted=False`` for an entry already counted as discovered (a resolved redirect link);
        ``discovered_url`` is that redirect link, remembered with the article so the next crawl
        recognises the link without resolving it again.
        """
        max_age = self.max_age(source)
        for entry in entries:
            if counted:
                self.inc(source.name, "discovered")
            if discovery.is_too_old(entry.date, max_age, self.now):
                self.inc(source.name, "skipped/too_old")
                continue
            if source.aggregator and (resolved := self.resolve_link(source, entry, via)) is not None:
                yield from resolved  # a redirect link: its publisher URL goes through this filter
                continue
            host = urlsplit(entry.url).hostname or ""
            if not source.aggregator and host not in source.allowed_hosts:
                self.inc(source.name, "skipped/offsite")
                continue
            if self.already_have(source, entry):
                continue
            if not self.take(source, "articles"):
                continue
            self.requested.add(entry.url)
            # dont_filter: duplicates are caught above; with Scrapy's filter on, a redirect loop
            # would end silently in the dupefilter instead of being counted as an error. It also
            # lets an aggregator's article through the offsite filter: its host is the publisher's.
            yield self._request(
                entry.url, source, self.parse_article, via=via, dont_filter=True,
                feed_date=entry.date.isoformat() if entry.date else None, feed_title=entry.title,
                discovered_url=discovered_url,
            )

    def already_have(self, source: Source, entry: discovery.Entry, refetch_when_newer: bool = True) -> bool:
        """True (and counted why) when ``entry.url`` needs no request: requested in this crawl,
        stored and not changed since (or stored at all, without ``refetch_when_newer``), or
        judged not worth storing by an earlier crawl."""
        if entry.url in self.requested:
            self.inc(source.name, "skipped/duplicate_link")
            return True
        fetched_at = self.store.known_fetched_at(entry.url)
        if fetched_at is not None:
            if not (refetch_when_newer and entry.changed and entry.changed > discovery.parse_iso(fetched_at)):
                self.inc(source.name, "skipped/known")
                return True
            self.inc(source.name, "refetch/updated")  # the feed or sitemap says it changed since
            return False
        if self.store.seen_outcome(entry.url, since=self.seen_since, topics=self.topics_fingerprint):
            self.inc(source.name, "skipped/seen")
            return True
        return False

    def quarantine_requests(self, source: Source) -> Iterator[scrapy.Request]:
        """Pages an earlier crawl dropped for a reason that may hide an article: fetched again,
        through the same entry filter, until stored or tried ``NEWSMON_QUARANTINE_RETRIES`` times."""
        if not self.quarantine_retries:
            return
        rows = self.store.quarantined(source.name, max_attempts=self.quarantine_retries,
                                      limit=self.limit(source, "urls_per_document"))
        entries = [discovery.Entry(r["url"], None, r.get("title")) for r in rows]
        self.inc(source.name, "retried/quarantine", len(entries))
        yield from self.follow_entries(source, entries, "quarantine", counted=False)

    def resolve_link(self, source: Source, entry: discovery.Entry, via: str) -> Iterator[scrapy.Request] | None:
        """Hook for aggregator sources (see the aggregators mixin): None means fetch as is."""
        return None

    # -- articles ----------------------------------------------------------------------------

    def owner_of(self, source: Source, url: str) -> Source | None:
        """The source an article at ``url`` belongs to: the one that fetched it when the host is
        one of its own (or a subdomain of one), else the one other source whose host it is;
        None when it is nobody's (or several others')."""
        host = (urlsplit(url).hostname or "").lower()

        def owns(candidate: Source) -> bool:
            return any(host == h or host.endswith("." + h) for h in candidate.allowed_hosts)

        if source.aggregator or owns(source):
            return source
        others = [s for s in self.sources if s is not source and not s.aggregator and owns(s)]
        return others[0] if len(others) == 1 else None

    def parse_article(self, response: Response) -> Iterator[Article]:
        source = self.source_of(response)
        self.inc(source.name, "pages")
        self.inc(source.name, "articles_fetched")
        if response.meta.get("redirect_urls"):
            # a link of this source that redirected: the article is stored under the source
            # whose host it ended on, never under one that merely linked to it
            owner = self.owner_of(source, response.url)
            if owner is None:
                self.inc(source.name, "skipped/redirected_offsite")
                self.logger.info("%s: %s: redirected to %s, no source's host", source.name,
                                 response.meta["redirect_urls"][0], response.url)
                return
            if owner is not source:
                self.inc(source.name, "skipped/redirected_to_other_source")
                self.inc(owner.name, "adopted")
                source = owner
            if LOGIN_PATH.search(urlsplit(response.url).path) and not LOGIN_PATH.search(
                    urlsplit(response.meta["redirect_urls"][0]).path):
                # an article link that lands on a sign-in page: a login wall, not the article;
                # kept in quarantine and fetched again by the next crawls
                self.inc(source.name, "dropped/login_wall")
                self.inc(source.name, "quarantined")
                try:
                    self.store.quarantine(response.meta["redirect_urls"][0], source.name, "login_wall",
                                          response.meta.get("feed_title"))
                except StoreUnavailable:
                    pass  # the store pipeline stops the crawl
                return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        if not is_html(content_type, response.body):
            self.inc(source.name, "skipped/non_html")
            self.logger.info("%s: %s: not HTML (%s)", source.name, response.url, content_type)
            return
        yield Article(
            url=response.url,
            request_url=response.meta.get("discovered_url") or response.meta.get("redirect_urls", [response.url])[0],
            origin_url=response.meta.get("redirect_urls", [response.url])[0],
            source=source.name,
            source_language=source.language,
            source_locale=source.effective_locale,
            source_timezone=source.timezone,
            fetched_at=datetime.now(timezone.utc),
            html=decode_html(response.body, content_type),
            http_status=response.status,
            content_type=content_type,
            discovered_via=response.meta.get("via"),
            feed_date=response.meta.get("feed_date"),
            feed_title=response.meta.get("feed_title"),
            max_age_days=self.max_age(source),
            overrides=source.overrides.model_dump(exclude_none=True) if source.overrides else None,
        )

    def on_error(self, failure: Failure) -> None:
        request: scrapy.Request = getattr(failure, "request")  # set by Scrapy on every errback failure
        name = request.meta.get("source", "?")
        reason = failure_reason(failure)
        if reason in HOST_DOWN_REASONS:
            # the first request a dead host costs a source is its one error and one log line;
            # the host's other requests were never sent and are counted as skipped
            host = urlsplit(request.url).hostname or ""
            if (name, host) not in self.reported_unreachable:
                self.reported_unreachable.add((name, host))
                self.inc(name, "errors")
                self.inc(name, f"error/{reason}")
                # the crawl's verdict line for the source carries this; here only with -v
                self.crawler.stats.set_value(source_stat(name, "first_error"),
                                             f"{request.url}: {failure_message(failure)}")
                self.logger.info("%s: %s: %s", name, request.url, failure_message(failure))
            else:
                self.inc(name, "skipped/unreachable")
            return
        if reason in ("robots", "offsite", "blocked_host"):
            self.inc(name, f"skipped/{reason}")
            return
        exc = failure.value
        if isinstance(exc, HttpError) and request.callback == self.parse_article and is_challenge_response(exc.response):
            # a bot check answered in place of the article (403/503 and the challenge's own
            # header or page): the article may be there tomorrow; quarantined, fetched again
            self.inc(name, "dropped/not_an_article_challenge")
            self.inc(name, "quarantined")
            self.logger.info("%s: %s: bot challenge (HTTP %s), quarantined", name, request.url, exc.response.status)
            try:
                self.store.quarantine(request.meta.get("discovered_url") or request.url, name,
                                      "not_an_article_challenge", request.meta.get("feed_title"))
            except StoreUnavailable:
                pass  # the store pipeline stops the crawl
            return
        self.inc(name, "errors")
        self.inc(name, f"error/{reason}")
        self.logger.warning("%s: %s: %s", name, request.url, failure_message(failure))


# Where a login wall sends an article link: sign-in, account and subscription pages.
LOGIN_PATH = re.compile(r"/(?:wp-login\.php|log-?in|sign-?in|signin|connexion|account/login|users?/login|"
                        r"auth(?:/|$)|sso(?:/|$)|subscribe|abonnement|paywall)(?:[/.?]|$)", re.I)

def is_challenge_response(response: Response) -> bool:
    """A bot check on the response itself: HTTP 403, 429 or 503 with the challenge's header
    (Cloudflare's ``cf-mitigated: challenge``), or a small body (under 50 kB) made of the
    challenge's markup. Words in a large page decide nothing."""
    if response.status not in (403, 429, 503):
        return False
    if response.headers.get(b"cf-mitigated", b"").lower() == b"challenge":
        return True
    body = response.body[:50_000]
    return len(response.body) < 50_000 and bool(CHALLENGE.search(body.decode("utf-8", "replace").lower()))


# Failures that condemn the host, not the page: counted (and logged) once per source and host.
HOST_DOWN_REASONS = ("unreachable", "dns", "connection_refused")


def failure_reason(failure: Failure) -> str:
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, HostBlocked):
        return "blocked_host"
    if isinstance(exc, HostUnreachable):
        return "unreachable"
    if isinstance(exc, RobotsDisallowed):
        return "robots"
    if isinstance(exc, (PrivateAddressBlocked, PrivateAddressRefused)):
        return "private_address"
    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, IgnoreRequest):
        # the rest are Scrapy's own refusals, which carry no type of their own
        if "offsite" in text.lower():
            return "offsite"
        if "redirect" in text.lower():
            return "redirect_loop"
        if "max size" in text.lower() or "maxsize" in text.lower():
            return "too_large"  # a body (or its decompressed form: a gzip bomb) past DOWNLOAD_MAXSIZE
        return "ignored"
    known = classify(exc)
    if known:
        return known
    return name.lower()


def failure_message(failure: Failure) -> str:
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
