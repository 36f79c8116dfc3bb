"""News-search aggregators: their redirect links are resolved to the publisher before any fetch.

For a source with ``aggregator: true`` (Google News or Bing News RSS search), each feed link is
turned into the publisher's URL first — Bing's locally, Google's by one request that does not
follow the redirect (see :mod:`crawler.aggregators`) — and only then goes through the usual
entry filter, so what is fetched, stored and deduplicated is the publisher's URL, on whatever
host the publisher uses (still subject to the private-address guard). Counted per source:
``resolved/bing``, ``resolved/redirect``, ``resolved/interstitial``, ``skipped/unresolved``.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urljoin

import scrapy
from scrapy.http import Response, TextResponse

from crawler import aggregators
from crawler.sources import Source
from crawler.discovery import Entry
from crawler.spiders.core import SpiderCore

REDIRECT_STATUSES = [301, 302, 303, 307, 308]


class AggregatorLinks(SpiderCore):
    def resolve_link(self, source: Source, entry: Entry, via: str) -> Iterator[scrapy.Request] | None:
        target = aggregators.bing_target(entry.url)
        if target:
            self.inc(source.name, "resolved/bing")
            return self.follow_entries(source, [Entry(target, entry.date, entry.title)], via, counted=False)
        if not aggregators.is_google_news_link(entry.url):
            return None
        # a link resolved by an earlier crawl is remembered with its article (or verdict)
        if self.already_have(source, entry, refetch_when_newer=False):
            return iter(())
        self.requested.add(entry.url)
        request = self._request(
            entry.url, source, self.parse_redirect, dont_filter=True, via=via, dont_redirect=True,
            handle_httpstatus_list=REDIRECT_STATUSES, entry_date=entry.date, entry_title=entry.title,
        )
        return iter((request,))

    def parse_redirect(self, response: Response) -> Iterator[scrapy.Request]:
        source = self.source_of(response)
        target, how = None, "redirect"
        if response.status in REDIRECT_STATUSES:
            location = response.headers.get(b"Location", b"").decode("latin-1").strip()
            target = urljoin(response.url, location) if location else None
        elif isinstance(response, TextResponse):
            target, how = aggregators.interstitial_target(response.text, response.url), "interstitial"
        if not target or aggregators.is_google_news_link(target) or not target.startswith(("http://", "https://")):
            self.inc(source.name, "skipped/unresolved")
            self.logger.info("%s: %s: redirect link not resolved", source.name, response.url)
            return
        self.inc(source.name, f"resolved/{how}")
        entry = Entry(target, response.meta.get("entry_date"), response.meta.get("entry_title"))
        yield from self.follow_entries(source, [entry], response.meta.get("via") or "search", counted=False,
                                       discovered_url=response.url)
