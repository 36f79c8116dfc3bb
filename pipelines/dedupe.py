"""Dedupe stage: one article, one row — across URLs, runs and syndication.

Three kinds of duplicates reach this stage: the same article found twice in one crawl (feed and
sitemap both list it, or two URLs share a canonical), an unchanged article seen again under a new
URL, and the same text republished under another URL (agency copy on a partner site). The id is
the hash of the canonical URL; the content hash is taken on normalized text so whitespace and
typographic quotes do not make two copies look different.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from pipelines.items import Article, Dropped
from newsmon.store import Store, article_id

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def trusted_canonical(canonical: str | None, url: str) -> str:
    """The canonical URL a page declares, when it can be believed; else the fetched URL.

    A page's ``rel=canonical`` is the page's own claim: believed, a page on host B could replace
    host A's stored article (same id), and a theme that points every article's canonical at its
    section ("/news/") would collapse a whole site into one row. So the claim must stay on the
    page's own host (www. aside) and must not be an ancestor of the page's own path.
    """
    if not canonical or canonical == url:
        return url
    if _host(canonical) != _host(url):
        return url
    own, claimed = urlsplit(url).path.rstrip("/"), urlsplit(canonical).path.rstrip("/")
    if claimed != own and own.startswith(claimed + "/") or not claimed:
        return url
    return canonical


def content_hash(title: str | None, text: str) -> str:
    """Hash of the article's words, insensitive to spacing, case, punctuation and Unicode forms."""
    flat = unicodedata.normalize("NFKC", f"{title or ''}\n{text}").casefold()
    flat = _SPACE.sub(" ", _PUNCT.sub(" ", flat)).strip()
    return hashlib.sha256(flat.encode("utf-8")).hexdigest()[:32]


class DedupePipeline:
    def __init__(self, store: Store | None = None, stats: StatsCollector | None = None):
        self.store = store
        self.stats = stats
        self.seen_ids: set[str] = set()
        self.seen_hashes: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "DedupePipeline":
        return cls(Store(crawler.settings.get("NEWSMON_DATA_DIR"), readonly=False), crawler.stats)

    def close_spider(self) -> None:
        if self.store:
            self.store.close()

    def _drop(self, item: Article, reason: str) -> None:
        if self.stats:
            self.stats.inc_value(f"newsmon/dedupe/{reason}")
        raise Dropped(reason, item.get("url"))

    def process_item(self, item: Article) -> Article:
        canonical = trusted_canonical(item.get("canonical_url"), item["url"])
        if canonical != item.get("canonical_url") and self.stats:
            self.stats.inc_value("newsmon/dedupe/canonical_refused")
        item["canonical_url"] = canonical
        item["id"] = article_id(canonical)
        item["content_hash"] = content_hash(item.get("title"), item.get("text") or "")
        if item["id"] in self.seen_ids:
            self._drop(item, "duplicate_in_run")
        twin = self.seen_hashes.get(item["content_hash"])
        if twin is None and self.store is not None:
            twin = self.store.find_by_hash(item["content_hash"])
        if twin is not None and twin != item["id"]:
            self._drop(item, "duplicate_content")
        self.seen_ids.add(item["id"])
        self.seen_hashes[item["content_hash"]] = item["id"]
        if self.stats:
            self.stats.inc_value("newsmon/dedupe/unique")
        return item
