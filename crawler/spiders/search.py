"""Discovery by site search: a source's ``search`` URL templates, filled with the topics' terms.

One request per template and term (terms in the source's language, see
:func:`newsmon.crawl.search_terms`). The answer decides how it is read: WordPress REST JSON
(``/wp-json/wp/v2/posts?search=``), an RSS/Atom feed (news-search aggregators such as Google
News and Bing News, whose links :mod:`.aggregators` resolves), or an HTML results page
(WordPress ``?s=``) read like a section page without following its pagination.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote_plus

import scrapy
from scrapy.http import Response, TextResponse

from crawler import discovery
from crawler.sources import Source
from crawler.spiders.sections import SectionDiscovery


class SearchDiscovery(SectionDiscovery):
    """Site search; an HTML results page is read as a listing."""

    def search_requests(self, source: Source) -> Iterator[scrapy.Request]:
        terms = self.search_terms.get(source.language) or self.search_terms.get("any") or []
        for template in source.search:
            for term in terms:
                url = template.replace("{query}", quote_plus(term))
                yield self._request(url, source, self.parse_search, via="search", depth_left=0)

    def parse_search(self, response: Response) -> Iterator[scrapy.Request]:
        source = self.source_of(response)
        kind = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
        head = response.body[:200].lstrip()
        if kind.endswith("json") or head[:1] in (b"[", b"{"):
            self.inc(source.name, "pages")
            yield from self.follow_entries(
                source, self.newest_entries(source, discovery.wp_json_entries(response.body, response.url)), "search")
        elif discovery.looks_like_feed(response.body):
            self.inc(source.name, "pages")
            yield from self.follow_entries(
                source, self.newest_entries(source, discovery.feed_entries(response.body, response.url)), "search")
        elif isinstance(response, TextResponse):
            yield from self.parse_listing(response)
        else:
            self.inc(source.name, "pages")
