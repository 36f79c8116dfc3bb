"""The publication date of the *article* on a page, not of the page.

Sources are tried from most to least trustworthy: JSON-LD ``datePublished`` of the article
node, ``article:published_time``-style meta, ``<time datetime>`` in the article header, the
byline text, the URL path, and last the feed/sitemap date. Themes put a "today" widget in the
site header, readers' comments and related-post cards carry their own dates, and article
bodies mention event dates; those zones are skipped, and a candidate later than the fetch
(plus one day) or before 1995 is rejected in favour of the next source.

The fetch time is never used as a publication date: an undated page gets ``published=None``.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import htmldate
from lxml.html import HtmlElement

from pipelines import jsonld
from pipelines.html import parse as parse_html

from .normalize import ParsedDate, parse

EARLIEST = date(1995, 1, 1)
logging.getLogger("htmldate").setLevel(logging.ERROR)  # it logs every page it cannot date

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
MAX_BYLINE_CHARS = 200


@dataclass(frozen=True)
class PageDates:
    published: ParsedDate | None
    modified: ParsedDate | None
    source: str | None  # jsonld | meta | time | byline | url | feed | htmldate


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
    """
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=timezone.utc)
    ctx = _Ctx(lang, tz, fetched_at, locale)
    tree = html if isinstance(html, HtmlElement) else parse_html(html)
    published = _first(_published_candidates(tree, url, hint, ctx))
    modified_pick = _first(_modified_candidates(tree, ctx)) if tree is not None else None
    modified = modified_pick[1] if modified_pick else None
    if published is None and tree is not None and not _declared(tree, url) \
            and (found := _htmldate(tree, url, ctx)) is not None:
        published = "htmldate", found
    if published is None:
        return PageDates(None, modified, None)
    source, value = published
    if not value.has_time:  # a time written elsewhere on the same local day makes it precise
        refined = _refine(value, _published_candidates(tree, url, None, ctx), ctx)
        if refined:
            source, value = refined
    return PageDates(value, modified, source)


def _first(candidates: Iterator[tuple[str, ParsedDate]]) -> tuple[str, ParsedDate] | None:
    return next(candidates, None)


def _refine(value: ParsedDate, candidates, ctx: _Ctx) -> tuple[str, ParsedDate] | None:
    zone = ZoneInfo(ctx.tz)
    for source, other in candidates:
        if other.has_time and other.value.astimezone(zone).date() == value.value:
            return source, other
    return None


# --- candidates -----------------------------------------------------------------------------
def _published_candidates(tree, url: str, hint: str | None, ctx: _Ctx) -> Iterator[tuple[str, ParsedDate]]:
    if tree is not None:
        yield from _page_candidates(tree, url, ctx, modified=False)
    if (p := _url_date(url, ctx)):
        yield "url", p
    if hint and (p := ctx.read(hint)):
        yield "feed", p


def _modified_candidates(tree, ctx: _Ctx) -> Iterator[tuple[str, ParsedDate]]:
    yield from _page_candidates(tree, "", ctx, modified=True)


def _page_candidates(tree, url: str, ctx: _Ctx, *, modified: bool) -> Iterator[tuple[str, ParsedDate]]:
    """The page's own evidence, most machine-readable first: JSON-LD, meta, <time>, byline."""
    key, names = ("datemodified", MODIFIED_META) if modified else ("datepublished", PUBLISHED_META)
    for text in _jsonld_values(tree, url, key):
        if (p := ctx.read(text)):
            yield "jsonld", p
    for text in _meta_values(tree, names):
        if (p := ctx.read(text)):
            yield "meta", p
    scope = _article_scope(tree)
    for text in _time_values(scope, modified=modified):
        if (p := ctx.read(text)):
            yield "time", p
    for text in _byline_texts(scope, modified=modified):
        if (p := ctx.read(text, fallback=False)):
            yield "byline", p


def _jsonld_values(tree, url: str, key: str) -> Iterator[str]:
    """Dates of article nodes first (the one naming this URL before others), then any node."""
    nodes: list[tuple[int, str]] = []
    for node in jsonld.objects(tree, descend=lambda k: k not in LD_SKIP_KEYS):
        value = next((v for k, v in node.items() if k.lower() == key), None)
        if not isinstance(value, str):
            continue
        rank = 2
        if jsonld.is_article(node):
            rank = 0 if url and _names_url(node, url) else 1
        nodes.append((rank, value))
    for _, value in sorted(nodes, key=lambda n: n[0]):
        yield value


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


def _meta_values(tree, names: tuple[str, ...]) -> Iterator[str]:
    found: dict[str, list[str]] = {}
    for meta in tree.iterfind(".//meta"):
        content = meta.get("content")
        if not content:
            continue
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or meta.get("http-equiv") or "").lower()
        if key in names and not _excluded(meta):
            found.setdefault(key, []).append(content)
    for name in names:
        yield from found.get(name, ())


def _article_scope(tree) -> HtmlElement:
    """The element holding the article: the <article> with the page's h1, else <main>, else body."""
    for article in tree.iterfind(".//article"):
        if not _excluded(article) and article.find(".//h1") is not None:
            return article
    h1 = tree.find(".//h1")
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


def _excluded(el) -> bool:
    """Inside the site header/footer/nav, a comment thread, a related-posts block or a widget."""
    for node in (el, *el.iterancestors()):
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in ("body", "html"):  # page-wide classes ("has-sidebar") say nothing here
            break
        if tag in _EXCLUDED_TAGS:
            return True
        if tag == "header" and _site_header(node):
            return True
        words = _words(node)
        if _EXCLUDED.search(words):
            return True
        if any(not _ARTICLE_HEADER.search(w) for w in _HEADER_WORD.findall(words)):
            return True
    return False


def _site_header(header) -> bool:
    """A ``<header>`` outside any ``<article>``/``<main>`` is the site's, unless it holds the
    page's headline (themes without ``<article>`` put the post's title and date in one)."""
    if any(a.tag in ("article", "main") for a in header.iterancestors()):
        return False
    return header.find(".//h1") is None


def _in_body_text(el, scope) -> bool:
    """Inside the running text (an event date), unless the element says it is the byline."""
    if _BYLINE.search(_words(el)):
        return False
    for node in el.iterancestors():
        if node is scope:
            return False
        if _BYLINE.search(_words(node)) and not _BODY.search(_words(node)):
            return False
        if _BODY.search(_words(node)) or node.get("itemprop", "").lower() == "articlebody":
            return True
    return False


def _is_modified(el) -> bool:
    """A modification date, by its own or its parent's class. WordPress marks the publication
    ``<time class="entry-date published updated">`` until the post is edited: a published
    word on the element itself wins."""
    own = _words(el)
    if _PUBLISHED_HINT.search(own) or "datepublished" in own:
        return False
    words = own + " " + _words(el.getparent()) if el.getparent() is not None else own
    return "datemodified" in words or bool(_UPDATED.search(words))


def _time_values(scope, modified: bool) -> Iterator[str]:
    ranked: list[tuple[int, int, str]] = []
    for i, el in enumerate(scope.iter("time", "meta", "span", "div", "abbr")):
        value = el.get("datetime") or (el.get("content") if el.get("itemprop") else None)
        if el.tag != "time" and not (el.get("itemprop") or "").lower() in ("datepublished", "datemodified"):
            continue
        if not value:
            continue
        if _is_modified(el) != modified or _excluded(el) or _in_body_text(el, scope):
            continue
        hint = _PUBLISHED_HINT.search(_words(el)) or (el.get("itemprop") or "").lower() == "datepublished" \
            or el.get("pubdate") is not None
        ranked.append((0 if hint else 1, i, value))
    for _, _, value in sorted(ranked):
        yield value


def _byline_texts(scope, modified: bool) -> Iterator[str]:
    for el in scope.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "article", "main", "body"):
            continue
        if el.tag != "time" and not _BYLINE.search(_words(el)):
            continue
        text = " ".join(el.text_content().split())
        if not text or len(text) > MAX_BYLINE_CHARS:
            continue
        if (_is_modified(el) or bool(_UPDATE_LEAD.match(text))) != modified:
            continue
        if _excluded(el) or _in_body_text(el, scope):
            continue
        yield text


def _declared(tree: HtmlElement, url: str) -> bool:
    """Does the page declare a publication date in JSON-LD or meta, plausible or not? Then an
    undated result means that date was rejected (later than the fetch), and guessing is wrong."""
    return next(_jsonld_values(tree, url, "datepublished"), None) is not None \
        or next(_meta_values(tree, PUBLISHED_META), None) is not None


def _without_excluded(tree: HtmlElement) -> HtmlElement:
    """A copy of the page without the zones whose dates are not the article's (site header,
    "today" widgets, comments, related posts, footer)."""
    clone = copy.deepcopy(tree)
    doomed = [el for el in clone.iter() if isinstance(el.tag, str) and el.tag not in ("html", "body", "head")
              and _excluded_itself(el)]
    for el in doomed:
        parent = el.getparent()
        if parent is not None:
            parent.remove(el)
    return clone


def _excluded_itself(node) -> bool:
    tag = node.tag
    if tag in _EXCLUDED_TAGS:
        return True
    if tag == "header" and _site_header(node):
        return True
    words = _words(node)
    return bool(_EXCLUDED.search(words)) or any(not _ARTICLE_HEADER.search(w) for w in _HEADER_WORD.findall(words))


def _htmldate(tree: HtmlElement, url: str, ctx: _Ctx) -> ParsedDate | None:
    """The last resort when none of our sources holds a date: htmldate's extensive search
    (text patterns, copyright lines, image names…), made for the job, on a copy of the page
    without the zones whose dates are not the article's. A calendar date; None when it finds
    nothing plausible."""
    try:
        found = htmldate.find_date(_without_excluded(tree), url=url if url.startswith("http") else None,
                                   extensive_search=True, original_date=True,
                                   max_date=(ctx.fetched_at + timedelta(days=1)).strftime("%Y-%m-%d"))
    except Exception:  # noqa: BLE001 - a library failure on a hostile page is a miss, never a crash
        return None
    if not found:
        return None
    try:
        parsed = ParsedDate(date.fromisoformat(found[:10]), False)
    except ValueError:
        return None
    return parsed if ctx.plausible(parsed) else None


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
