"""The one record that travels from the spider through every pipeline stage to the store.

Declared fields (rather than a free dict) make a misspelt key fail loudly in the stage that
wrote it. Stages fill their own group of fields; the store keeps all but the raw page.
"""

from __future__ import annotations

import scrapy
from scrapy.exceptions import DropItem


class Article(scrapy.Item):
    # -- set by the spider ---------------------------------------------------------------
    url = scrapy.Field()              # final URL after redirects
    request_url = scrapy.Field()      # URL as discovered (feed/sitemap/search link, or aggregator link)
    origin_url = scrapy.Field()       # URL first requested, before any HTTP redirect
    source = scrapy.Field()           # Source.name from sources.yaml
    source_language = scrapy.Field()  # hint; the page's own language wins
    source_locale = scrapy.Field()    # e.g. ar-MA, for region-specific month names
    source_timezone = scrapy.Field()  # IANA zone for dates written without an offset
    fetched_at = scrapy.Field()       # aware datetime (UTC) of the fetch
    html = scrapy.Field()             # decoded page text; dropped by the store
    http_status = scrapy.Field()
    content_type = scrapy.Field()
    discovered_via = scrapy.Field()   # feed | sitemap | news-sitemap | search | section | cli
    feed_date = scrapy.Field()        # ISO date/time string from the feed or sitemap (a hint)
    feed_title = scrapy.Field()
    max_age_days = scrapy.Field()     # the source's age window (0/None: none), applied once dated
    overrides = scrapy.Field()        # the source's title/date/body selectors (dict) or None
    # -- extract ---------------------------------------------------------------------------
    title = scrapy.Field()
    text = scrapy.Field()
    author = scrapy.Field()
    canonical_url = scrapy.Field()
    image = scrapy.Field()
    html_lang = scrapy.Field()        # <html lang> / og:locale, a hint for the language stage
    page_kind = scrapy.Field()        # article | listing | search | tag | challenge | not-found | ...
    # -- dates -----------------------------------------------------------------------------
    published_at = scrapy.Field()     # "2025-02-21T17:42:00Z", "2025-02-21", or None
    modified_at = scrapy.Field()
    date_source = scrapy.Field()      # jsonld | meta | time | byline | url | feed | None
    # -- language --------------------------------------------------------------------------
    lang = scrapy.Field()
    # -- relevance -------------------------------------------------------------------------
    relevant = scrapy.Field()         # bool
    topics = scrapy.Field()           # list[str] of matched topic names
    matched_terms = scrapy.Field()    # dict[str, int]: term -> count
    relevance_score = scrapy.Field()  # float
    # -- dedupe / store --------------------------------------------------------------------
    id = scrapy.Field()               # stable id derived from the canonical URL
    content_hash = scrapy.Field()


class Dropped(DropItem):
    """A stage's decision not to store a page, with a stable reason slug for the run's stats.

    The message stays human ("not relevant: URL (why)"); ``reason`` is what gets counted
    (``newsmon/source/<name>/dropped/<reason>``) and remembered so the page is not fetched again.
    """

    def __init__(self, reason: str, url: str | None, detail: str = "", message: str | None = None):
        self.reason = reason
        super().__init__(message or f"{reason.replace('_', ' ')}: {url}" + (f" ({detail})" if detail else ""))
