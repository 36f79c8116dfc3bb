"""The one record that travels from the spider through every stage to the store.

``Article`` is a plain ``dict`` with declared keys: a misspelt key fails loudly in the stage that
wrote it, and Scrapy takes it as an item as it is (dicts are items), so this layer needs no Scrapy.
Stages fill their own group of fields; the store keeps all but the raw page.
"""

from __future__ import annotations

from typing import Any

FIELDS = frozenset({
    # -- set by the spider (or by whoever hands a page in) -----------------------------------
    "url",              # final URL after redirects
    "request_url",      # URL as discovered (feed/sitemap/search link, or aggregator link)
    "origin_url",       # URL first requested, before any HTTP redirect
    "source",           # Source.name from sources.yaml
    "source_language",  # hint; the page's own language wins
    "source_locale",    # e.g. ar-MA, for region-specific month names
    "source_timezone",  # IANA zone for dates written without an offset
    "fetched_at",       # aware datetime (UTC) of the fetch
    "html",             # decoded page text; dropped by the store
    "http_status",
    "content_type",
    "discovered_via",   # feed | sitemap | news-sitemap | search | section | cli
    "feed_date",        # ISO date/time string from the feed or sitemap (a hint)
    "feed_title",
    "max_age_days",     # the source's age window (0/None: none), applied once dated
    "overrides",        # the source's title/date/body selectors (dict) or None
    # -- extract -------------------------------------------------------------------------------
    "title", "text", "author", "canonical_url", "image",
    "html_lang",        # <html lang> / og:locale, a hint for the language stage
    "page_kind",        # article | listing | search | tag | challenge | not-found | ...
    # -- dates ---------------------------------------------------------------------------------
    "published_at",     # as the page wrote it: "2025-02-21T18:42:00+01:00", "2025-02-21", or None
    "published_utc",    # the same instant in UTC: "2025-02-21T17:42:00Z" (or the date), or None
    "modified_at",
    "date_source",      # jsonld | meta | time | byline | url | feed | override | None
    # -- language ------------------------------------------------------------------------------
    "lang",
    # -- relevance -----------------------------------------------------------------------------
    "relevant",         # bool
    "topics",           # list[str] of matched topic names
    "matched_terms",    # dict[str, int]: term -> count
    "relevance_score",  # float
    # -- dedupe / store ------------------------------------------------------------------------
    "id",               # stable id derived from the canonical URL
    "content_hash",
})


class Article(dict):
    """A dict that accepts only the declared :data:`FIELDS`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.update(*args, **kwargs)

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in FIELDS:
            raise KeyError(f"Article has no field {key!r}")
        super().__setitem__(key, value)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]


class Dropped(Exception):
    """A stage's decision not to store a page, with a stable reason slug for the run's stats.

    The message stays human ("not relevant: URL (why)"); ``reason`` is what gets counted
    (``newsmon/source/<name>/dropped/<reason>``) and remembered so the page is not fetched again.
    """

    def __init__(self, reason: str, url: str | None, detail: str = "", message: str | None = None):
        self.reason = reason
        self.url = url
        super().__init__(message or f"{reason.replace('_', ' ')}: {url}" + (f" ({detail})" if detail else ""))
