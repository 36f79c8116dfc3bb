"""The publication date of the *article* on a page, not of the page.

Sources are tried from most to least trustworthy: JSON-LD ``datePublished`` of the article
node, ``article:published_time``-style meta, ``<time datetime>`` in the article header, the
byline text, the URL path, the feed/sitemap date, htmldate's search, and last a relative
byline (see :func:`page_dates` for the corrections applied to the winner). Themes put a "today" widget in the
site header, readers' comments and related-post cards carry their own dates, and article
bodies mention event dates; those zones are skipped, and a candidate later than the fetch
(plus one day) or before 1995 is rejected in favour of the next source.

The fetch time is never used as a publication date: an undated page gets ``published=None``.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from contextlib import contextmanager
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

import htmldate
from lxml.html import HtmlElement
from lxml.html import tostring as lxml_tostring

from pipelines import jsonld
from pipelines.html import parse as parse_html

from . import locale_filter
from .normalize import ParsedDate, parse

EARLIEST = date(1995, 1, 1)
logging.getLogger("htmldate").setLevel(logging.ERROR)  # it logs every page it cannot date
# dateparser behind htmldate skips the locales that cannot read a string before compiling their
# tables (~2 s of CPU in each process that meets a string no locale reads; same answers).
locale_filter.filter_htmldate()

# JSON-LD keys whose nodes are other things' dates: related posts, comments, breadcrumbs.
LD_SKIP_KEYS = {
    "comment", "comments", "review", "reviews", "itemlistelement", "relatedlink",
    "significantlink", "haspart", "ispartof", "citation", "breadcrumb", "potentialaction",
    "publisher", "author", "image", "video", "associatedmedia", "liveblogupdate",
}

PUBLISHED_META = (
    "article:published_time", "og:article:published_time", "article:published",
    "og:published_time", "datepublished", "pubdate", "publishdate", "publish-date",
    "publish_date", "publication_date", "dc.date.issued", "dcterms.issued", "dc.date.created",
    "dcterms.created", "dc.date", "dcterms.date", "sailthru.date", "parsely-pub-date",
    "article.published", "originalpublicationdate", "cxenseparse:recs:publishtime",
    "date", "displaydate",
)
MODIFIED_META = (
    "article:modified_time", "og:updated_time", "og:article:modified_time", "datemodified",
    "dc.date.modified", "dcterms.modified", "article.updated", "last-modified", "lastmod",
)

_META_NAMES = frozenset(PUBLISHED_META) | frozenset(MODIFIED_META)

# Zones whose dates are not the article's. Matched at the start of a class/id word.
_EXCLUDED = re.compile(
    r"(?<![a-z])(?:comment|related|recommend|widget|sidebar|side-bar|footer|topbar|top-bar|"
    r"site-header|masthead|today|current-date|ticker|breaking|more-news|more-stories|"
    r"read-also|readalso|also-read|popular|trending|similar|suggest|newsletter|menu|navbar|"
    r"share|social|head-date|header-date|header_date|date-now|datenow|clock)"
)
# "header" in a class is the site's header unless it is the article's own.
_HEADER_WORD = re.compile(r"[\w-]*header[\w-]*")
_ARTICLE_HEADER = re.compile(r"entry|article|post|single|story|title|content|news")
_EXCLUDED_TAGS = {"footer", "nav", "aside", "form"}
# Containers of the article's running text: their dates are events, not the publication.
_BODY = re.compile(
    r"(?<![a-z])(?:entry-content|article-body|articlebody|post-content|article-content|"
    r"story-body|article__body|content-body|post-body|td-post-content|text-body)"
)
_BYLINE = re.compile(
    r"(?<![a-z])(?:byline|dateline|date|time|posted|published|pubdate|post-meta|entry-meta|"
    r"article-meta|meta|timestamp|info)"
)
_UPDATED = re.compile(r"(?<![a-z])(?:updated|modified|update)")
_UPDATE_LEAD = re.compile(
    r"^\W*(?:last updated|updated|mis à jour|modifié|actualisé|aggiornato|actualizado|обновлено|"
    r"изменено|жаңартылды|آخر تحديث|اخر تحديث|تحديث|تم التحديث)", re.I
)
_PUBLISHED_HINT = re.compile(r"(?<![a-z])(?:published|pubdate|entry-date|post-date|date-published|publish)")
_URL_DATE = re.compile(
    r"(?<!\d)((?:19|20)\d\d)([/_-]?)(0[1-9]|1[0-2])\2(0[1-9]|[12]\d|3[01])(?!\d)"
)
_URL_SEGMENT_DATE = re.compile(
    r"/((?:19|20)\d\d)(?:/|-|_)?(0[1-9]|1[0-2])(?:/|-|_)?(0[1-9]|[12]\d|3[01])(?=/|\.\w+$|$)"
)
MAX_BYLINE_CHARS = 200
# A publication date-time an inline script assigns (``article.publication_date = '2020-12-06 00:15'``,
# ``"publishDate": "2020-02-17T21:18:11"``), read only to find the offset of a UTC instant.
_SCRIPT_PUBLISHED = re.compile(
    r"""(?i)(?:publication|published|publish|pub)[_-]?(?:date|time|datetime|at)?["']?\s*[:=]\s*["']"""
    r"""((?:19|20)\d\d-\d\d-\d\d[ T]\d\d:\d\d(?::\d\d)?[^"'<>]{0,12})["']"""
)
MAX_SCRIPT_CHARS = 200_000
_REVISION_URL = re.compile(r"[?&](?:diff|oldid)=")
# A teaser card: a date within CARD_LEVELS parents of a link to another page whose text has at
# least CARD_LINK_WORDS words (a headline, not "By Ann Lee" or "Politics").
CARD_LEVELS = 3
# How many of the article's first bylines may show the wall clock of a UTC instant.
OFFSET_BYLINES = 3
CARD_LINK_WORDS = 4


@dataclass(frozen=True)
class PageDates:
    published: ParsedDate | None
    modified: ParsedDate | None
    source: str | None  # revision | jsonld | meta | time | byline | url | feed | htmldate


@dataclass(frozen=True)
class _Ctx:
    lang: str | None
    tz: str
    fetched_at: datetime
    locale: str | None
    # One page's texts already read: the candidates are walked more than once (published,
    # then a time for a date-only winner), and pages repeat one date in many places.
    seen: dict = field(default_factory=dict, compare=False, hash=False)

    def read(self, text: str | None, fallback: bool = True) -> ParsedDate | None:
        if not text or not text.strip():
            return None
        key = (text[:400], fallback)
        if key not in self.seen:
            parsed = parse(key[0], self.lang, self.tz, self.fetched_at, self.locale, fallback=fallback)
            self.seen[key] = parsed if parsed is not None and self.plausible(parsed) else None
        return self.seen[key]

    def plausible(self, parsed: ParsedDate) -> bool:
        """Not before 1995, not more than a day after the fetch."""
        latest = self.fetched_at + timedelta(days=1)
        if parsed.has_time:
            return datetime(1995, 1, 1, tzinfo=timezone.utc) <= parsed.value <= latest
        return EARLIEST <= parsed.value <= latest.date()


def page_dates(
    html: str | HtmlElement,
    url: str,
    lang: str | None,
    tz: str,
    fetched_at: datetime,
    hint: str | None = None,
    locale: str | None = None,
) -> PageDates:
    """Publication and modification dates of the article on ``html`` (its text, or its tree as
    parsed once by :func:`pipelines.page.process_page`: read, never changed).

    ``tz`` (the source's zone) applies to dates written without one; ``fetched_at`` anchors
    relative bylines and the plausibility window; ``hint`` is the feed/sitemap date.

    Order: the page's absolute dates (JSON-LD, meta, ``<time>``, byline) → the URL's date →
    the feed's → htmldate's search → a relative byline ("3 hours ago", read against the fetch
    clock, which a cached or archived page no longer shares). Then three corrections: a date
    later than the day the URL was minted on is a later edit, so the URL's day wins; a date-only
    winner takes a time written elsewhere on the same day; an instant written in UTC takes the
    offset of the page's visible wall clock when one shows the same moment.
    """
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=timezone.utc)
    ctx = _Ctx(lang, tz, fetched_at, locale)
    tree = html if isinstance(html, HtmlElement) else parse_html(html)
    page = _Evidence(tree, url, ctx) if tree is not None else None
    revision = _wiki_revision(tree, url, ctx) if tree is not None else None
    published = ("revision", revision) if revision else _first(_published_candidates(page, url, hint, ctx, relative=False))
    modified_pick = _first(page.candidates(modified=True)) if page is not None else None
    modified = modified_pick[1] if modified_pick else None
    if published is None and page is not None and not page.declared() \
            and (found := _htmldate(tree, url, ctx, page.excluded_itself)) is not None:
        published = "htmldate", found
    if published is None and page is not None:
        published = _first((s, p) for s, p in page.candidates(modified=False) if p.relative)
    if published is None:
        return PageDates(None, modified, None)
    source, value = published
    minted = _url_segment_date(url, ctx)
    if minted is not None and _later_than(value, minted):  # a later edit passed off as the publication
        source, value = "url", minted
    if not value.has_time:  # a time written elsewhere on the same local day makes it precise
        refined = _refine(value, _published_candidates(page, url, None, ctx, relative=True), ctx)
        if refined:
            source, value = refined
    elif not value.offset and page is not None:
        value = _visible_offset(value, page, ctx)
    return PageDates(value, modified, source)


def _wiki_revision(tree: HtmlElement, url: str, ctx: _Ctx) -> ParsedDate | None:
    """A wiki page shown at one revision (MediaWiki's ``?diff=``/``?oldid=`` addresses) is dated
    by that revision, which MediaWiki writes in the newer revision's heading ("Latest revision as
    of 05:33, 7 April 2020"), not by the page's creation in its JSON-LD or its last edit."""
    if not _REVISION_URL.search(url or ""):
        return None
    for heading in ("mw-diff-ntitle1", "mw-revision-info"):
        el = tree.find(f".//*[@id='{heading}']")
        if el is None:
            continue
        text = el.text_content()[:MAX_BYLINE_CHARS]
        if (found := ctx.read(text) or _wiki_language_date(text, tree.get("lang"), ctx)):
            return found
    return None


def _wiki_language_date(text: str, lang: str | None, ctx: _Ctx) -> ParsedDate | None:
    """A revision heading in a language newsmon's lexicon does not know (MediaWiki writes it in
    the wiki's language and digits: "০৫:৩৩, ৭ এপ্রিল ২০২০ তারিখে সংশোধিত সংস্করণ"): dateparser's
    search in the page's ``<html lang>`` (every language when it does not know that one)."""
    from dateparser.search import search_dates  # imported on first use, as the parser's fallback is (start-up)

    folded = "".join(str(d) if (d := unicodedata.decimal(c, None)) is not None else c for c in text)
    settings = {"PREFER_DATES_FROM": "past", "RELATIVE_BASE": ctx.fetched_at.replace(tzinfo=None)}
    found = None
    for languages in ([lang.split("-")[0].lower()], None) if lang else (None,):
        try:
            found = search_dates(folded, languages=languages, settings=settings)
        except Exception:  # noqa: BLE001 - an unknown language (ValueError) or a dateparser failure
            continue
        break
    for written, value in found or ():
        if not re.search(r"(?:19|20)\d\d", written):  # a day, not a relative word
            continue
        if re.search(r"\d:\d\d", written):
            parsed = ParsedDate.at(value.replace(tzinfo=value.tzinfo or ZoneInfo(ctx.tz), microsecond=0))
        else:
            parsed = ParsedDate(value.date(), False)
        if ctx.plausible(parsed):
            return parsed
    return None


def _first(candidates: Iterator[tuple[str, ParsedDate]]) -> tuple[str, ParsedDate] | None:
    return next(iter(candidates), None)


def _refine(value: ParsedDate, candidates, ctx: _Ctx) -> tuple[str, ParsedDate] | None:
    zone = ZoneInfo(ctx.tz)
    for source, other in candidates:
        if not other.has_time:
            continue
        days = {other.value.astimezone(zone).date()}
        if other.offset is not None:  # the day as the page wrote it
            days.add(other.value.astimezone(timezone(timedelta(seconds=other.offset))).date())
        if value.value in days:
            return source, other
    return None


def _later_than(value: ParsedDate, minted: ParsedDate) -> bool:
    """Is ``value`` after the URL's day in every zone (UTC-12 … UTC+14)? A URL is minted when
    the article first goes out and never moves; a CMS's "published" often follows edits."""
    if value.has_time:
        return value.value >= datetime.combine(minted.value + timedelta(days=1), time(12), timezone.utc)
    return value.value > minted.value


def _visible_offset(value: ParsedDate, page: "_Evidence", ctx: _Ctx) -> ParsedDate:
    """An instant written in UTC ("…Z") with the page's own offset, when the page also shows the
    same moment on a local wall clock: the visible byline ("Apr 13, 2020 at 4:38 PM" beside
    "2020-04-14T00:38:07Z" is UTC-8), else another of its publication dates (a meta or JSON-LD
    value with an offset, a script's ``publication_date = "2020-02-17 21:18:11"``) on a day the
    byline allows. The instant never changes; only the offset it is shown in."""
    days = set()  # the local days the bylines show without a clock
    for text in itertools.islice(page.byline_texts(modified=False), OFFSET_BYLINES):
        wall = parse(text[:400], ctx.lang, "UTC", ctx.fetched_at, ctx.locale, fallback=False)
        if wall is None:
            continue
        if not wall.has_time:
            if not wall.relative:
                days.add(wall.value)
            continue
        if wall.relative:  # "2 hours ago" shows no clock
            return value
        offset = _clock_offset(value, wall)
        return ParsedDate(value.value, True, offset) if offset else value  # the first clock decides
    for text in page.wall_clocks():
        wall = parse(text[:400], ctx.lang, "UTC", ctx.fetched_at, ctx.locale, fallback=False)
        if wall is None or not wall.has_time or wall.relative:
            continue
        offset = _clock_offset(value, wall)
        if offset and (not days or (value.value + timedelta(seconds=offset)).date() in days):
            return ParsedDate(value.value, True, offset)
    return value


def _clock_offset(value: ParsedDate, wall: ParsedDate) -> int | None:
    """The offset (seconds; whole, half or quarter hours within ±14 h) at which ``wall``'s clock
    as written shows the instant ``value``; None when it shows another moment or UTC itself."""
    written = wall.value + timedelta(seconds=wall.offset or 0)  # the clock as written
    diff = (written - value.value).total_seconds()
    quarters = round(diff / 900)
    if quarters and abs(quarters) <= 14 * 4 and abs(diff - quarters * 900) <= 90:
        return quarters * 900
    return None


# --- candidates -----------------------------------------------------------------------------
def _published_candidates(page: "_Evidence | None", url: str, hint: str | None, ctx: _Ctx,
                          relative: bool) -> Iterator[tuple[str, ParsedDate]]:
    if page is not None:
        for source, p in page.candidates(modified=False):
            if relative or not p.relative:
                yield source, p
    if (p := _url_date(url, ctx)):
        yield "url", p
    if hint and (p := ctx.read(hint)):
        yield "feed", p


class _Evidence:
    """One page's date evidence, each kind gathered once: the published walk, the modified
    walk, the refinement and the fallbacks all read the same lists."""

    def __init__(self, tree: HtmlElement, url: str, ctx: _Ctx) -> None:
        self.tree, self.url, self.ctx = tree, url, ctx
        self._bylines: list[tuple[str, bool]] | None = None
        self._byline_walk: Iterator[tuple[str, bool]] | None = None
        # Answers per element, asked again and again (every candidate walks up its ancestors, a
        # card test reads the same links from each level): the dicts keep the elements' proxies
        # alive, so each key stays its element while this page is read.
        self._itself: dict = {}  # excluded by its own tag or class (the headline's holders never)
        self._inside: dict = {}  # excluded, by itself or an ancestor below <body>
        self._card_link: dict = {}  # a link to another page with a headline's worth of words
        self._url_key = _page_key(url) if url else None

    @cached_property
    def headline(self) -> HtmlElement | None:
        return _headline(self.tree)

    @cached_property
    def _headline_holders(self) -> tuple[tuple, frozenset[int]]:
        """The headline and everything around it, and their ids (the tuple keeps lxml's proxy
        objects alive, so an id stays the element's while this page is read)."""
        if self.headline is None:
            return (), frozenset()
        holders = (self.headline, *self.headline.iterancestors())
        return holders, frozenset(id(n) for n in holders)

    def holds_headline(self, el) -> bool:
        return id(el) in self._headline_holders[1]

    def excluded(self, el) -> bool:
        """Inside the site header/footer/nav, a comment thread, a related-posts block or a
        widget: :func:`_excluded_itself` of the element or of an ancestor below ``<body>``,
        remembered for every element on the way up (an element's answer is its own test's, else
        its parent's)."""
        walked = []
        node, found = el, False
        while node is not None:
            known = self._inside.get(node)
            if known is not None:
                found = known
                break
            if node.tag in ("body", "html"):
                break
            walked.append(node)
            if self.excluded_itself(node):
                found = True
                break
            node = node.getparent()
        for node in walked:
            self._inside[node] = found
        return found

    def excluded_itself(self, el) -> bool:
        found = self._itself.get(el)
        if found is None:
            found = self._itself[el] = _excluded_itself(el, self.holds_headline)
        return found

    @cached_property
    def scope(self) -> HtmlElement:
        return _article_scope(self.tree, self)

    @cached_property
    def _ld(self) -> list[tuple[int, dict]]:
        """JSON-LD nodes, article nodes first (the one naming this URL before others)."""
        nodes = []
        for node in jsonld.objects(self.tree, descend=lambda k: k not in LD_SKIP_KEYS):
            rank = 2
            if jsonld.is_article(node):
                rank = 0 if self.url and _names_url(node, self.url) else 1
            nodes.append((rank, node))
        return sorted(nodes, key=lambda n: n[0])

    def jsonld_values(self, key: str) -> Iterator[str]:
        for _, node in self._ld:
            value = next((v for k, v in node.items() if k.lower() == key), None)
            if isinstance(value, str):
                yield value

    @cached_property
    def _metas(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for meta in self.tree.iterfind(".//meta"):
            content = meta.get("content")
            if not content:
                continue
            key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv") or "").lower()
            if key in _META_NAMES and not self.excluded(meta):
                found.setdefault(key, []).append(content)
        return found

    def meta_values(self, names: tuple[str, ...]) -> Iterator[str]:
        for name in names:
            yield from self._metas.get(name, ())

    @cached_property
    def _times(self) -> list[tuple[int, int, str, bool]]:
        """(published hint first, document order, datetime, is a modification) of the machine
        dates in the article: ``<time datetime>`` and itemprop dates."""
        ranked = []
        scope = self.scope
        for i, el in enumerate(scope.iter("time", "meta", "span", "div", "abbr", "p")):
            prop = (el.get("itemprop") or "").lower()
            if el.tag != "time" and prop not in ("datepublished", "datemodified"):
                continue
            value = el.get("datetime") or (el.get("content") if prop else None)
            if not value or _is_duration(el, prop, value) or self.excluded(el) or _in_body_text(el, scope) or self.in_card(el):
                continue
            hint = _PUBLISHED_HINT.search(_words(el)) or prop == "datepublished" or el.get("pubdate") is not None
            ranked.append((0 if hint else 1, i, value, _is_modified(el)))
        return sorted(ranked)

    def _walk_bylines(self) -> Iterator[tuple[str, bool]]:
        """(text, is a modification) of the short byline-like texts in the article."""
        scope = self.scope
        for el in scope.iter():
            if not isinstance(el.tag, str) or el.tag in ("script", "style", "article", "main", "body"):
                continue
            if el.tag != "time" and not _IS_BYLINE[_key(el)]:
                continue
            if el.tag == "time" and _is_duration(el, (el.get("itemprop") or "").lower(), el.get("datetime")):
                continue
            text = " ".join(el.text_content().split())
            if not text or len(text) > MAX_BYLINE_CHARS:
                continue
            if self.excluded(el) or _in_body_text(el, scope) or self.in_card(el):
                continue
            yield text, _is_modified(el) or bool(_UPDATE_LEAD.match(text))

    def byline_texts(self, modified: bool) -> Iterator[str]:
        """The walk is lazy and remembered: most pages are dated by their first byline."""
        if self._bylines is None:
            self._bylines, self._byline_walk = [], self._walk_bylines()
        i = 0
        while True:
            if i == len(self._bylines):
                found = next(self._byline_walk, None)
                if found is None:
                    return
                self._bylines.append(found)
            text, is_mod = self._bylines[i]
            i += 1
            if is_mod == modified:
                yield text

    def wall_clocks(self) -> Iterator[str]:
        """The page's other publication date-times: JSON-LD, meta, ``<time>``, and the values
        inline scripts assign to a publication key (CMS data layers write the local clock)."""
        yield from self.jsonld_values("datepublished")
        yield from self.meta_values(PUBLISHED_META)
        yield from (text for _, _, text, is_mod in self._times if not is_mod)
        for script in self.tree.iter("script"):
            if script.text and (script.get("type") or "").lower() != "application/ld+json":
                yield from _SCRIPT_PUBLISHED.findall(script.text[:MAX_SCRIPT_CHARS])

    def in_card(self, el) -> bool:
        """A date in a teaser card: within a few levels, before reaching the article's headline,
        sits a link to another page with a headline's worth of words ("related" rails, "more
        news" lists whatever their class is called)."""
        node = el
        for _ in range(CARD_LEVELS):
            node = node.getparent()
            if node is None or node is self.scope or self.holds_headline(node) or node.tag in ("body", "html"):
                return False
            if any(self._links_away(link) for link in node.iter("a")):
                return True
        return False

    def _links_away(self, link) -> bool:
        found = self._card_link.get(link)
        if found is None:
            href = link.get("href") or ""
            found = self._card_link[link] = bool(
                href and not href.startswith("#") and not (self._url_key is not None and _page_key(href) == self._url_key)
                and len(link.text_content().split()) >= CARD_LINK_WORDS)
        return found

    def candidates(self, *, modified: bool) -> Iterator[tuple[str, ParsedDate]]:
        """The page's own evidence, most machine-readable first: JSON-LD, meta, <time>, byline."""
        ctx = self.ctx
        key, names = ("datemodified", MODIFIED_META) if modified else ("datepublished", PUBLISHED_META)
        for text in self.jsonld_values(key):
            if (p := ctx.read(text)):
                yield "jsonld", p
        for text in self.meta_values(names):
            if (p := ctx.read(text)):
                yield "meta", p
        for _, _, text, is_mod in self._times:
            if is_mod == modified and (p := ctx.read(text)):
                yield "time", p
        for text in self.byline_texts(modified):
            if (p := ctx.read(text, fallback=False)):
                yield "byline", p

    def declared(self) -> bool:
        """Does the page declare a publication date in JSON-LD or meta, plausible or not? Then
        an undated result means that date was rejected (later than the fetch), and guessing is
        wrong."""
        return next(self.jsonld_values("datepublished"), None) is not None \
            or next(self.meta_values(PUBLISHED_META), None) is not None


_PAGE_KEY_DROPS = re.compile(r"^https?://(www\.)?[^/]*|[?#].*$|/$")


@lru_cache(maxsize=4096)
def _page_key(u: str) -> str:
    """An address without its scheme, host, query, fragment and final slash."""
    return _PAGE_KEY_DROPS.sub("", u)


def _names_url(node: dict, url: str) -> bool:
    def norm(u: str) -> str:
        return re.sub(r"^https?://(www\.)?|[?#].*$|/$", "", u)

    target = norm(url)
    for key in ("url", "@id", "mainEntityOfPage"):
        value = node.get(key)
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        if isinstance(value, str) and norm(value) == target:
            return True
    return False


def _headline(tree: HtmlElement) -> HtmlElement | None:
    """The page's headline: the ``<h1>`` sharing most words with its title (og:title, else
    ``<title>``); a site's logo is often an h1 too. The only h1 when there is one."""
    h1s = list(tree.iter("h1"))
    if len(h1s) <= 1:
        return h1s[0] if h1s else None
    title = next((m.get("content") for m in tree.iterfind(".//meta")
                  if (m.get("property") or m.get("name") or "").lower() in ("og:title", "twitter:title")
                  and m.get("content")), None)
    if not title:
        node = tree.find(".//title")
        title = node.text_content() if node is not None else ""
    wanted = set(re.findall(r"\w+", title.lower()))
    scored = [(len(set(re.findall(r"\w+", h.text_content().lower())) & wanted), -i, h) for i, h in enumerate(h1s)]
    best = max(scored, key=lambda s: s[:2])
    return best[2] if best[0] else h1s[0]


def _article_scope(tree, page: "_Evidence") -> HtmlElement:
    """The element holding the article: the <article> with the headline, else the headline's
    <main>/<article>/itemprop ancestor, else <main>, else body."""
    h1 = page.headline
    for article in tree.iterfind(".//article"):
        if not page.excluded(article) and h1 is not None and page.holds_headline(article):
            return article
    if h1 is not None:
        for parent in h1.iterancestors():
            if parent.tag in ("main", "article") or "itemprop" in parent.attrib:
                return parent
    main = tree.find(".//main")
    if main is not None:
        return main
    body = tree.find(".//body")
    return body if body is not None else tree


def _words(el) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''} {el.get('itemprop') or ''}".lower()


def _key(el) -> tuple[str | None, str | None, str | None]:
    """What :func:`_words` reads of an element: its class, id and itemprop as written."""
    get = el.get
    return get("class"), get("id"), get("itemprop")


def _excluded_words(words: str) -> bool:
    """A zone's words (:data:`_EXCLUDED`), or a "header" word that is not the article's own."""
    return bool(_EXCLUDED.search(words)) or any(not _ARTICLE_HEADER.search(w) for w in _HEADER_WORD.findall(words))


class _ByWords(dict):
    """``test(words)`` remembered by :func:`_key`: a page repeats a few class strings on
    thousands of elements, and a site on every page. Emptied when full."""

    def __init__(self, test) -> None:
        super().__init__()
        self.test = test

    def __missing__(self, key: tuple[str | None, str | None, str | None]) -> bool:
        if len(self) >= WORDS_REMEMBERED:
            self.clear()
        found = self[key] = bool(self.test(f"{key[0] or ''} {key[1] or ''} {key[2] or ''}".lower()))
        return found


WORDS_REMEMBERED = 20_000
_IS_BYLINE = _ByWords(_BYLINE.search)
_IS_BODY = _ByWords(_BODY.search)
_IS_EXCLUDED = _ByWords(_excluded_words)


def _site_header(header, holds_headline) -> bool:
    """A ``<header>`` outside any ``<article>``/``<main>`` is the site's, unless it holds the
    page's headline (themes without ``<article>`` put the post's title and date in one)."""
    if any(a.tag in ("article", "main") for a in header.iterancestors()):
        return False
    return not holds_headline(header)


def _in_body_text(el, scope) -> bool:
    """Inside the running text (an event date), unless the element says it is the byline."""
    if _IS_BYLINE[_key(el)]:
        return False
    for node in el.iterancestors():
        if node is scope:
            return False
        key = _key(node)
        body = _IS_BODY[key]
        if not body and _IS_BYLINE[key]:
            return False
        if body or node.get("itemprop", "").lower() == "articlebody":
            return True
    return False


# schema.org properties whose values are durations (a recipe's "15 min", a video's length)
_DURATION_PROPS = frozenset({"duration", "timerequired", "preptime", "cooktime", "totaltime", "performtime"})
# HTML's valid duration strings: ISO 8601 ("PT15M", "P2DT3H") or the "4h 18m 3s" form
_DURATION = re.compile(
    r"\s*(?:P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?"
    r"|(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+)\s*$", re.I)


def _is_duration(el, prop: str, value: str | None) -> bool:
    """A ``<time>`` that holds a length of time, not a moment: a schema.org duration property
    (``itemprop="prepTime"``, even with an empty ``datetime``) or a duration string in
    ``datetime``. Its "15 min" would otherwise read as fifteen minutes before the fetch."""
    return prop in _DURATION_PROPS or bool(value and _DURATION.match(value))


def _is_modified(el) -> bool:
    """A modification date, by its own or its parent's class. WordPress marks the publication
    ``<time class="entry-date published updated">`` until the post is edited: a published
    word on the element itself wins."""
    own = _words(el)
    if _PUBLISHED_HINT.search(own) or "datepublished" in own:
        return False
    words = own + " " + _words(el.getparent()) if el.getparent() is not None else own
    return "datemodified" in words or bool(_UPDATED.search(words))


@contextmanager
def _without_excluded(tree: HtmlElement, excluded_itself) -> Iterator[HtmlElement]:
    """The page without the zones whose dates are not the article's (site header, "today"
    widgets, comments, related posts, footer), for the length of a ``with``: they are taken out
    of ``tree`` and put back where they were, tails included, when it ends (htmldate copies the
    tree before it changes anything, so a copy of ours was a second one). ``excluded_itself(el)``:
    :func:`_excluded_itself` with the page's headline."""
    doomed = [el for el in tree.iter() if isinstance(el.tag, str)
              and el.tag not in ("html", "body", "head") and excluded_itself(el)]
    taken = []  # (element, parent, index), last in the document first: an element inside a
    # zone leaves its zone before the zone leaves the page, and comes back after it
    try:
        for el in reversed(doomed):
            parent = el.getparent()
            if parent is not None:
                taken.append((el, parent, parent.index(el)))
                parent.remove(el)
        yield tree
    finally:
        for el, parent, index in reversed(taken):
            parent.insert(index, el)


def _excluded_itself(node, holds_headline) -> bool:
    """The site header/footer/nav, a comment thread, a related-posts block or a widget, by its
    own tag or class. A container holding the page's headline is the article's, whatever its tag
    or class says (a theme's ``<header class="header-wrapper">``, ASP.NET's page-wide
    ``<form>``, a ``page-with-sidebar`` wrapper)."""
    if holds_headline(node):
        return False
    tag = node.tag
    if tag in _EXCLUDED_TAGS:
        return True
    if tag == "header" and _site_header(node, holds_headline):
        return True
    return _IS_EXCLUDED[_key(node)]


def _htmldate(tree: HtmlElement, url: str, ctx: _Ctx, excluded_itself) -> ParsedDate | None:
    """The last resort when none of our sources holds a date: htmldate's extensive search
    (text patterns, copyright lines, image names…), made for the job, on the page
    without the zones whose dates are not the article's. A calendar date; None when it finds
    nothing plausible."""
    try:
        with _without_excluded(tree, excluded_itself) as pruned:
            found = htmldate.find_date(pruned, url=url if url.startswith("http") else None,
                                       extensive_search=True, original_date=True,
                                       max_date=(ctx.fetched_at + timedelta(days=1)).strftime("%Y-%m-%d"))
    except Exception:  # noqa: BLE001 - a library failure on a hostile page is a miss, never a crash
        return None
    if not found:
        return None
    try:
        day = date.fromisoformat(found[:10])
    except ValueError:
        return None
    if (day.month, day.day) == (1, 1) and not _writes_new_year(tree, day.year):
        return None  # htmldate's guess from a bare year ("© 2015"): names no day
    parsed = ParsedDate(day, False)
    return parsed if ctx.plausible(parsed) else None


def _writes_new_year(tree: HtmlElement, year: int) -> bool:
    """Does the page write 1 January ``year`` as a date, not only the year?"""
    text = lxml_tostring(tree, encoding="unicode").lower()
    return any(f in text for f in (f"{year}-01-01", f"{year}/01/01", f"01.01.{year}", f"01/01/{year}", f"{year}0101",
                                   f"1 january {year}", f"january 1, {year}", f"1er janvier {year}"))


def _url_segment_date(url: str, ctx: _Ctx) -> ParsedDate | None:
    """The day a URL path names in segments of its own (``/2020/05/04/``, ``/20200413/``,
    ``/2020-02-18/``): the day the CMS minted it, not a date in a slug's words."""
    path = re.sub(r"^[a-z]+://[^/]+", "", url or "", flags=re.I).split("?")[0].split("#")[0]
    for m in _URL_SEGMENT_DATE.finditer(path):
        try:
            parsed = ParsedDate(date(int(m.group(1)), int(m.group(2)), int(m.group(3))), False)
        except ValueError:
            continue
        if ctx.plausible(parsed):
            return parsed
    return None


def _url_date(url: str, ctx: _Ctx) -> ParsedDate | None:
    path = re.sub(r"^[a-z]+://[^/]+", "", url or "", flags=re.I).split("?")[0]
    for m in _URL_DATE.finditer(path):
        try:
            parsed = ParsedDate(date(int(m.group(1)), int(m.group(3)), int(m.group(4))), False)
        except ValueError:
            continue
        if ctx.plausible(parsed):
            return parsed
    return None
