"""Finding article URLs: feeds, sitemaps (incl. Google News), site search and section pages.

Pure functions from a fetched body to ``Entry`` records, so the spider stays a thin router and
each format is tested on its own. Feeds are parsed by feedparser (RSS 0.9x–2.0, RSS 1.0, Atom,
and the broken variants real sites serve); sitemaps by lxml's iterparse with entity resolution
off (as Scrapy's own Sitemap does), because we also need the nested ``news:publication_date``
that Scrapy's parser flattens away.

Sitemaps are streamed: :func:`read_sitemap` decompresses (when gzipped) and parses as it reads,
frees each element once read, and keeps only the ``limit`` newest entries (:func:`newest`), so
a 900,000-URL sitemap costs the memory of ``limit`` entries, not of 900,000.
"""

from __future__ import annotations

import calendar
import functools
import gzip
import heapq
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from io import BufferedIOBase, BytesIO
from typing import Any
from urllib.parse import quote_plus, urljoin, urlsplit

import lxml.etree
import lxml.html
from w3lib.url import safe_url_string

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/xml", "text/xml")
# Listing pages link to many things; these path shapes are never articles.
NON_ARTICLE_PATH = re.compile(
    r"/(?:category|categorie|tag|tags|author|auteur|page|search|feed|wp-json|wp-admin|wp-login|login|"
    r"register|contact|about|privacy|cookies?|sitemap|rss|amp/?$)(?:/|$|\?)|[?&](?:s|q|replytocom|share)=",
    re.I,
)
# No unbounded ".*" here: hrefs are crawled content, and a backtracking pattern over a 64 KB
# href cost seconds per link. "-word-word" followed by a letter anywhere later is the same test
# as "-word-word" (the second word ends in a letter or digit), so the tail is dropped.
ARTICLE_HINT = re.compile(r"/\d{4}/\d{1,2}/|/\d{4,}[-/]|\d{5,}|-[a-z0-9]+-[a-z]|\.html?$", re.I)
MAX_URL_CHARS = 2083  # longer hrefs are junk or attacks; browsers and servers reject them too


@dataclass(frozen=True)
class Entry:
    url: str
    date: datetime | None = None  # aware UTC when known
    title: str | None = None
    kind: str = "article"  # article | sitemap (a nested sitemap to fetch)
    updated: datetime | None = None  # last edit, when the feed or sitemap says (Atom updated, lastmod)

    @property
    def changed(self) -> datetime | None:
        """When the entry last changed, for deciding whether a stored copy is stale."""
        return max((d for d in (self.date, self.updated) if d), default=None)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def parse_iso(value: str | None) -> datetime | None:
    """W3C datetime as sitemaps and WordPress write it: '2025-03-05', '2025-03-05T10:00:00+01:00'."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00+00:00"
    try:
        return _aware(datetime.fromisoformat(text))
    except ValueError:
        return None


@functools.lru_cache(maxsize=4096)
def _parse_iso_cached(value: str | None) -> datetime | None:
    """parse_iso for sitemaps, where thousands of entries share a handful of lastmod values."""
    return parse_iso(value)


def clean_url(url: str, base: str) -> str | None:
    """Absolute, percent-safe http(s) URL without fragment; None for mailto:, javascript: and junk."""
    url = (url or "").strip()
    if not url or url.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    absolute = safe_url_string(urljoin(base, url))
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts._replace(fragment="").geturl()


# -- feeds ---------------------------------------------------------------------------------

def feed_entries(body: bytes, base_url: str) -> list[Entry]:
    # Imported at the first feed (~30 ms of CPU): a crawl of sitemaps alone, and the commands
    # that only read dates through this module (search, show, stats), never need it.
    import feedparser

    parsed = feedparser.parse(body)
    out: list[Entry] = []
    for item in parsed.entries:
        link = item.get("link") or next((l.get("href") for l in item.get("links", []) if l.get("href")), None)
        url = clean_url(link or "", base_url)
        if not url:
            continue
        stamp = item.get("published_parsed") or item.get("updated_parsed")
        date = datetime.fromtimestamp(calendar.timegm(stamp), timezone.utc) if stamp else None
        edited = dict.get(item, "updated_parsed")  # not item.get: feedparser maps it to published_parsed
        updated = datetime.fromtimestamp(calendar.timegm(edited), timezone.utc) if edited else None
        out.append(Entry(url, date, item.get("title"), updated=updated))
    return out


def looks_like_feed(body: bytes) -> bool:
    head = body[:2000].lstrip().lower()
    return b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head


def autodiscover_feeds(html: str, base_url: str) -> list[str]:
    """Feeds a page advertises with <link rel="alternate" type="application/rss+xml">."""
    try:
        doc = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    urls = []
    for link in doc.xpath('//link[contains(concat(" ", normalize-space(@rel), " "), " alternate ")][@href]'):
        if (link.get("type") or "").split(";")[0].strip().lower() in FEED_TYPES[:3]:
            url = clean_url(link.get("href"), base_url)
            if url and "/comments/" not in url:
                urls.append(url)
    return list(dict.fromkeys(urls))


# -- sitemaps ------------------------------------------------------------------------------

def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def sitemap_entries(body: bytes, base_url: str) -> list[Entry]:
    """Entries of a sitemap index (kind="sitemap") or urlset (kind="article"), all of them.

    For Google News sitemaps the ``news:publication_date`` wins over ``lastmod``: it is the
    article's date, while lastmod moves with every edit or comment.
    """
    return _cleaned(iter_sitemap(BytesIO(body), SitemapStats()), base_url)


def _cleaned(entries: Iterable[Entry], base_url: str) -> list[Entry]:
    """Entries whose raw ``loc`` makes an http(s) URL, with that URL (the costly step: done only
    for the entries that are kept)."""
    out = []
    for entry in entries:
        url = clean_url(entry.url, base_url)
        if url:
            out.append(Entry(url, entry.date, entry.title, entry.kind, entry.updated))
    return out


@dataclass
class SitemapStats:
    root: str = ""  # local name of the root element: urlset, sitemapindex (anything else: not a sitemap)
    error: str = ""  # why the document could not be read to its end
    news: bool = False  # a Google News sitemap (its entries carry news:publication_date)


_SITEMAP_FIELDS = frozenset(("loc", "lastmod", "publication_date", "title"))


def iter_sitemap(stream: Any, stats: SitemapStats) -> Iterator[Entry]:
    """Entries as they are parsed, their ``url`` the raw ``<loc>`` text (see :func:`_cleaned`);
    each element is freed once read, so memory stays flat."""
    events = lxml.etree.iterparse(
        stream, events=("end",), tag=("{*}url", "{*}sitemap"), recover=True, resolve_entities=False,
        remove_comments=True, remove_pis=True, huge_tree=False, no_network=True, load_dtd=False,
    )
    try:
        for _, elem in events:
            if not stats.root:
                parent = elem.getparent()
                stats.root = _local(parent.tag) if parent is not None else ""
            fields: dict[str, str] = {}
            for child in elem:  # loc, lastmod; news:news holds publication_date and title
                for node in (child, *child) if len(child) else (child,):
                    key = _local(node.tag)
                    if key in _SITEMAP_FIELDS and node.text and key not in fields:
                        fields[key] = node.text
            url = fields.get("loc", "").strip()
            lastmod = _parse_iso_cached(fields["lastmod"].strip() if "lastmod" in fields else None)
            published = fields.get("publication_date")
            title = fields.get("title")
            kind = "sitemap" if _local(elem.tag) == "sitemap" else "article"
            elem.clear()
            parent = elem.getparent()
            while parent is not None and elem.getprevious() is not None:
                del parent[0]  # the read siblings: without this the tree keeps every emptied element
            if url and len(url) <= MAX_URL_CHARS:
                date = _parse_iso_cached(published.strip() if published else None) or lastmod
                stats.news = stats.news or published is not None
                yield Entry(url, date, title.strip() if title else None, kind, updated=lastmod)
    except lxml.etree.XMLSyntaxError as exc:
        stats.error = f"XML error: {exc}"
    except (OSError, EOFError, ValueError) as exc:  # a corrupt or oversized gzip stream
        stats.error = str(exc) or type(exc).__name__
    if not stats.root:
        root = getattr(events, "root", None)
        stats.root = _local(root.tag) if root is not None else ""


class _Capped(BufferedIOBase):
    """Reads ``raw`` and fails once more than ``limit`` bytes came out (a gzip bomb's guard)."""

    def __init__(self, raw: Any, limit: int):
        self.raw, self.left = raw, limit

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        chunk = self.raw.read(65536 if size is None or size < 0 else min(size, 65536))
        self.left -= len(chunk)
        if self.left < 0:
            raise ValueError("sitemap larger than the size limit once decompressed")
        return chunk


@dataclass
class SitemapRead:
    kind: str  # "index", "urlset" or "" (not a sitemap)
    entries: list[Entry]  # the newest ``limit`` entries, newest first
    total: int  # entries in the document, kept or not
    error: str = ""
    news: bool = False


def read_sitemap(body: bytes, base_url: str, limit: int, max_bytes: int) -> SitemapRead:
    """A sitemap (plain or gzip), streamed: only the ``limit`` newest entries are kept."""
    raw: Any = BytesIO(body)
    if body[:2] == b"\x1f\x8b":
        raw = gzip.GzipFile(fileobj=raw, mode="rb")
    stats = SitemapStats()
    counter = itertools.count()
    kept, total = newest(iter_sitemap(_Capped(raw, max_bytes), stats), limit, counter)
    kept = _cleaned(kept, base_url)
    kind = {"urlset": "urlset", "sitemapindex": "index"}.get(stats.root, "")
    error = stats.error
    if not kind and not error:
        error = f"not a sitemap (root element {stats.root or 'missing'!r})"
    return SitemapRead(kind, kept, total, error, stats.news)


def newest(entries: Iterable[Entry], limit: int, counter: Iterator[int] | None = None) -> tuple[list[Entry], int]:
    """(the ``limit`` newest entries, newest first, then undated ones in document order; how many
    there were). Memory is that of ``limit`` entries, however long ``entries`` is."""
    counter = counter or itertools.count()
    floor = datetime.min.replace(tzinfo=timezone.utc)
    heap: list[tuple[datetime, int, Entry]] = []  # the smallest (oldest, latest in document) on top
    total = 0
    for entry in entries:
        total += 1
        date = entry.date or floor
        if len(heap) < limit:
            heapq.heappush(heap, (date, -next(counter), entry))
        elif limit and date > heap[0][0]:  # on a tie the entry earlier in the document stays
            heapq.heapreplace(heap, (date, -next(counter), entry))
    return [e for _, _, e in sorted(heap, key=lambda k: k[:2], reverse=True)], total


def without_blanket_lastmod(entries: list[Entry], share: float = 0.5, minimum: int = 10) -> list[Entry]:
    """Drop ``updated`` when most entries share one lastmod: a sitemap stamped with its own
    generation time says nothing about the articles, and believing it would re-fetch them all."""
    stamps = [e.updated for e in entries if e.updated]
    if len(stamps) < minimum:
        return entries
    common = max(set(stamps), key=stamps.count)
    if stamps.count(common) / len(entries) <= share:
        return entries
    return [Entry(e.url, e.date if e.date != common else None, e.title, e.kind) if e.updated == common else e
            for e in entries]


def robots_sitemaps(robots_txt: str, base_url: str) -> list[str]:
    urls = []
    for line in robots_txt.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap":
            url = clean_url(value.strip(), base_url)
            if url:
                urls.append(url)
    return urls


# -- search and section pages -------------------------------------------------------------

def search_url(template: str, term: str) -> str:
    """A source's search template with ``{query}`` filled by ``term`` (form-encoded, spaces as +)."""
    return template.replace("{query}", quote_plus(term))


def wp_json_entries(body: bytes, base_url: str) -> list[Entry]:
    """WordPress REST search results: ``/wp-json/wp/v2/posts?search=``."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    out = []
    for post in data if isinstance(data, list) else []:
        if not isinstance(post, dict):
            continue
        url = clean_url(str(post.get("link") or ""), base_url)
        if not url:
            continue
        date = parse_iso(post.get("date_gmt") and post["date_gmt"] + "+00:00") or parse_iso(post.get("date"))
        title = post.get("title", {}).get("rendered") if isinstance(post.get("title"), dict) else None
        out.append(Entry(url, date, title))
    return out


def listing_links(html: str, page_url: str, hosts: set[str]) -> tuple[list[Entry], list[str]]:
    """(article links, other listing pages) found on a home, section, tag or search page.

    Article links are those inside headings or <article> elements, or whose path looks like an
    article (dated path, numeric id, long slug); listing links are pagination and sections on
    the same hosts, for a depth-limited walk.
    """
    try:
        doc = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return [], []
    articles: dict[str, Entry] = {}
    listings: dict[str, None] = {}
    for a in doc.iter("a"):
        if len(a.get("href") or "") > MAX_URL_CHARS:
            continue
        url = clean_url(a.get("href") or "", page_url)
        if not url or (urlsplit(url).hostname or "") not in hosts or url.rstrip("/") == page_url.rstrip("/"):
            continue
        in_heading = any(anc.tag in ("h1", "h2", "h3", "h4", "article") for anc in a.iterancestors())
        path = urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else "")
        if NON_ARTICLE_PATH.search(path):
            if "rel" in a.attrib and "next" in (a.get("rel") or "") or re.search(r"/(?:category|page)/", path):
                listings[url] = None
            continue
        if in_heading or ARTICLE_HINT.search(path):
            articles.setdefault(url, Entry(url, None, (a.text_content() or "").strip() or None))
    return list(articles.values()), list(listings)


def is_too_old(date: datetime | None, max_age_days: int, now: datetime) -> bool:
    """An entry dated before the window is skipped; undated entries are never skipped here."""
    return bool(date and max_age_days and date < now - timedelta(days=max_age_days))
