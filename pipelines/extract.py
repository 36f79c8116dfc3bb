"""Extract stage: a fetched page → headline, clean body text, author, canonical URL, image, kind.

The body comes from trafilatura (the best general extractor) run with precision-oriented
settings and comments off, on a tree first cleaned by :mod:`pipelines.cleaning` of what
trafilatura keeps on common news themes. Metadata (headline, author, canonical URL, image, page
kind) is read here from the raw tree rather than through trafilatura's metadata pass, which also
runs htmldate — dates are the dates stage's job, and skipping that pass halves the cost per page.

Pages that are not articles (home, section, tag and search listings, bot challenges, consent
walls, soft 404s) are recognised by :func:`classify` and dropped by :class:`ExtractStage`, as
are bodies shorter than ``NEWSMON_MIN_TEXT_CHARS``, pages above ``NEWSMON_MAX_PAGE_BYTES`` and
pages whose extraction exceeds ``NEWSMON_EXTRACT_TIMEOUT`` seconds.

A source's ``overrides`` (title and body selectors, see :mod:`pipelines.overrides`) are applied
before the generic path, which still runs for whatever the overrides do not find.
"""

from __future__ import annotations

import copy
import re
import signal
import unicodedata
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import justext.core
import trafilatura
import trafilatura.external
from lxml import etree
from lxml.html import HtmlElement
from trafilatura.settings import Extractor

from pipelines.items import Article, Dropped
from pipelines.overrides import apply_overrides
from pipelines import cleaning, jsonld, prune
from pipelines.html import CHALLENGE, parse  # CHALLENGE: the bot-wall test, shared with the spider

MIN_TEXT_CHARS = 150  # agency briefs run 150–200 characters; listings and walls are caught by kind, not length
MAX_PAGE_BYTES = 5_000_000
EXTRACT_TIMEOUT = 5.0
LISTING_MAX_PARAGRAPH = 300  # teaser excerpts are shorter; nearly every article has a longer paragraph

ARTICLE_TYPES = jsonld.ARTICLE_TYPES
TRACKING_PARAMS = re.compile(r"^(utm_\w+|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|_ga|igshid|ref_src|amp;utm_\w+)$", re.I)

NOT_FOUND = re.compile(
    r"\b404\b|page not found|not found|page introuvable|page non trouvée|pagina non trovata|"
    r"страница не найдена|бет табылмады|página no encontrada|الصفحة غير موجودة|الصفحة المطلوبة غير موجودة|"
    r"لم يتم العثور|nothing found|rien n'a été trouvé|nessun risultato|ничего не найдено",
    re.I,
)
SEARCH_TITLE = re.compile(
    r"search results|results for|résultats de (la )?recherche|risultati (della )?ricerca|"
    r"результаты поиска|іздеу нәтижелері|resultados de (la )?búsqueda|نتائج البحث|البحث عن",
    re.I,
)


@dataclass
class Extracted:
    title: str | None
    text: str
    author: str | None
    canonical_url: str
    image: str | None
    html_lang: str | None
    page_kind: str  # "article" | "listing" | "search" | "tag" | "challenge" | "not-found" | "login-wall" | "empty" | "non-html"
    overridden: tuple[str, ...] = ()  # override kinds (title, body) that decided this result
    override_missed: tuple[str, ...] = ()  # override kinds configured but not found on the page


class ExtractTimeout(Exception):
    """Raised inside extraction when the per-page time cap expires."""


# -- parsing and metadata -------------------------------------------------------------------------
def _clean_space(text: str | None) -> str:
    if isinstance(text, str):  # split() cuts at exactly what \s matches: same result, 3-5x cheaper
        return " ".join(text.split())
    return re.sub(r"\s+", " ", text or "").strip()


def _meta(tree: HtmlElement, *names: str) -> str | None:
    """The first non-empty ``content`` of ``<meta property|name|itemprop=NAME>``, names in order.
    Read from the page's index of its ``<meta>`` (:func:`_meta_index`): the one :func:`extract`
    built for ``tree``, else one built for this call."""
    held = _META_INDEX.get()
    index = held[1] if held is not None and held[0] is tree else _meta_index(tree)
    for name in names:
        value = index.get(name)
        if value:
            return value
    return None


def _meta_index(tree: HtmlElement) -> dict[str, str]:
    """Each ``property``, ``name`` and ``itemprop`` value of the page's ``<meta>`` → the
    whitespace-normalized ``content`` of the first such element, in document order, whose
    content is not blank: what a walk for that one name would find."""
    index: dict[str, str] = {}
    for el in tree.iter("meta"):
        content = el.get("content")
        if not content:
            continue
        value = None
        for key in (el.get("property"), el.get("name"), el.get("itemprop")):
            if key is not None and key not in index:
                if value is None:
                    value = _clean_space(content)
                if value:
                    index[key] = value
    return index


# The <meta> index of the tree whose metadata extract() is reading (it reads it 6-8 times a
# page, each a walk of all the page's <meta>); set only while that tree is not changed.
_META_INDEX: ContextVar[tuple[HtmlElement, dict[str, str]] | None] = ContextVar("_META_INDEX", default=None)


def json_ld(tree: HtmlElement) -> list[dict]:
    """The page's JSON-LD main entities (see :mod:`pipelines.jsonld`)."""
    return jsonld.objects(tree)


_ld_types = jsonld.types


def _ld_name(value: object) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_ld_name(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    if isinstance(value, dict):
        value = value.get("name")
    return _clean_space(value) if isinstance(value, str) and value.strip() else None


def _ld_image(value: object) -> str | None:
    if isinstance(value, list):
        return next((u for u in map(_ld_image, value) if u), None)
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value.strip() if isinstance(value, str) and value.strip() else None


SITE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " « ", " » ", " • ", " · ", ": ")


def strip_site_name(title: str, site: str | None) -> str:
    """'Headline - Site' / 'Site | Headline' → 'Headline' when the site name is known."""
    if not site:
        return title
    for sep in SITE_SEPARATORS:
        if title.endswith(sep + site):
            return title[: -len(sep + site)].strip()
        if title.startswith(site + sep):
            return title[len(site + sep):].strip()
    return title


def _is_site_prefix(norm: str, page: str, declared: list[str]) -> bool:
    """An <h1> that ``<title>`` merely starts with (a long remainder after it) and that the
    declared headlines (JSON-LD, og:title; at least one needed) do not contain names the site,
    not the article. Without a declared headline the case is ambiguous and left alone."""
    return (bool(declared) and page.startswith(norm + " ") and len(page) - len(norm) > 15
            and not any(norm in d for d in declared))


def _norm_title(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def pick_title(tree: HtmlElement, ld_article: dict | None) -> str | None:
    """The article headline, not the ``<title>`` with " - Site name".

    An ``<h1>`` confirmed by another source (JSON-LD headline, og:title, ``<title>``) wins, since
    the visible headline is what readers quote; then JSON-LD, og:title and ``<title>`` stripped of
    the site name.
    """
    site = _meta(tree, "og:site_name", "application-name")
    h1s = [_clean_space(h.text_content()) for h in tree.xpath("//h1")]
    h1s = [h for h in h1s if h]
    ld = _clean_space(ld_article.get("headline") or ld_article.get("name")) if ld_article else ""
    og = _meta(tree, "og:title", "twitter:title") or ""
    page = _clean_space(tree.findtext(".//title"))
    others = [_norm_title(strip_site_name(t, site)) for t in (ld, og, page) if t]
    for h1 in h1s:
        norm = _norm_title(h1)
        if norm and not site and _is_site_prefix(norm, _norm_title(page), [_norm_title(t) for t in (ld, og) if t]):
            # Blogger-style: the only <h1> is the blog's name and <title> is "Blog: Post title".
            site = h1
            others = [_norm_title(strip_site_name(t, site)) for t in (ld, og, page) if t]
            continue
        if norm and any(norm == other or (len(norm) > 15 and norm in other) for other in others):
            return h1
    for candidate in (ld, og, page):
        if candidate and not site:
            # No site name to strip: accept "Headline - Site" when an <h1> starts with "Headline"
            # (broken markup can leave the byline inside an unclosed <h1>).
            for sep in SITE_SEPARATORS:
                head = candidate.rsplit(sep, 1)[0].strip()
                if head != candidate and any(_norm_title(h).startswith(_norm_title(head)) for h in h1s):
                    return head
        if candidate:
            return strip_site_name(candidate, site)
    return h1s[0] if h1s else None


def _author(tree: HtmlElement, ld_article: dict | None) -> str | None:
    if ld_article:
        name = _ld_name(ld_article.get("author"))
        if name:
            return name
    name = _meta(tree, "author", "article:author", "parsely-author", "sailthru.author")
    if name and not name.startswith("http"):
        return name
    for el in tree.xpath("//*[@rel='author' or @itemprop='author' or contains(@class, 'author-name')][1]"):
        text = _clean_space(el.text_content())
        if 0 < len(text) <= 80:
            return text
    return None


def _html_lang(tree: HtmlElement) -> str | None:
    lang = tree.get("lang") or tree.get("xml:lang") or _meta(tree, "og:locale", "language")
    if not lang:
        for el in tree.xpath("//meta[translate(@http-equiv, 'CONTELAGU', 'contelagu')='content-language']"):
            lang = el.get("content")
    return _clean_space(lang) or None


def normalize_url(url: str) -> str:
    """Stable form of a URL: lowercase host, no default port, no fragment, no tracking params.

    The scheme is kept (http and https may serve different things); remaining query parameters
    keep their order, so a URL the site itself links to stays recognisable.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.port and not ((parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)):
        host = f"{host}:{parts.port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING_PARAMS.match(k)])
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", query, ""))


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def believable_canonical(claimed: str, url: str) -> bool:
    """Whether a page's canonical claim can be believed: the one rule, for every caller.

    Believed, a page on host B could replace host A's stored article (same id), and a theme that
    points every article's canonical at its section ("/news/") or home page would collapse a
    whole site into one row. So the claim must stay on the page's own host (www. aside), and
    must not be an ancestor of the page's own path.
    """
    if urlsplit(claimed).scheme not in ("http", "https") or _host(claimed) != _host(url):
        return False
    own, path = urlsplit(url).path.rstrip("/"), urlsplit(claimed).path.rstrip("/")
    if not path:
        return not own  # the home page claims itself, a deeper page may not claim it
    return path == own or not own.startswith(path + "/")


_ASCII_CANONICAL = str.maketrans("CANONICAL", "canonical")


def canonical_links(tree: HtmlElement) -> list[HtmlElement]:
    """The ``<link href>`` whose space-separated ``rel`` holds "canonical" (its ASCII letters in
    any case), in document order: ``//link[@href][contains(concat(' ', translate(@rel,
    'CANONICAL', 'canonical'), ' '), ' canonical ')]``, read over the page's few ``<link>``
    rather than by an XPath compiled anew for every page."""
    return [el for el in tree.iter("link")
            if el.get("href") is not None and " canonical " in f" {(el.get('rel') or '').translate(_ASCII_CANONICAL)} "]


def canonical_url(tree: HtmlElement | None, url: str) -> str:
    """``<link rel=canonical>``, then og:url, else the fetched URL — resolved and normalized;
    a claim that :func:`believable_canonical` refuses is skipped."""
    candidates: list[str] = []
    if tree is not None:
        candidates += [el.get("href", "") for el in canonical_links(tree)]
        candidates.append(_meta(tree, "og:url") or "")
    for candidate in candidates:
        candidate = candidate.strip()
        if candidate and believable_canonical(absolute := urljoin(url, candidate), url):
            return normalize_url(absolute)
    return normalize_url(url)


# -- page kind ----------------------------------------------------------------------------------
def _body_classes(tree: HtmlElement) -> set[str]:
    body = tree.find(".//body")
    return set((body.get("class") or "").lower().split()) if body is not None else set()


def _headline_is_site_name(tree: HtmlElement, title: str | None) -> bool:
    if not title:
        return False
    site = _meta(tree, "og:site_name", "application-name")
    page = _clean_space(tree.findtext(".//title"))
    parts = {_norm_title(part) for part in re.split("|".join(map(re.escape, SITE_SEPARATORS)), page) if part.strip()}
    norm = _norm_title(title)
    return (site is not None and norm == _norm_title(site)) or (len(parts) == 1 and norm in parts and page != title)


SEARCH_PATH = re.compile(r"/(search|recherche|ricerca|buscar|poisk|بحث)(/|$)")
TAG_PATH = re.compile(r"/(tag|tags|etiquette|etiqueta|tema|teg|وسم)/")
LISTING_PATH = re.compile(r"/(category|categorie|categoria|section|rubrique|rubrica|page/\d+)(/|$)")
LISTING_CLASSES = {"home", "blog", "archive", "category", "author", "date"}
ARTICLE_CLASSES = {"single", "single-post", "postid"}


@dataclass
class _Evidence:
    """What :func:`classify` reads of a page, gathered once."""

    tree: HtmlElement
    title: str | None
    classes: set[str]
    head_text: str
    body_text: str
    path: str
    query: dict[str, str]
    types: set[str]
    is_article: bool
    _prose: bool | None = None

    @property
    def has_prose(self) -> bool:
        """Whether the page carries an article body (see :func:`has_article_prose`), computed once."""
        if self._prose is None:
            self._prose = has_article_prose(self.tree)
        return self._prose

    @classmethod
    def of(cls, tree: HtmlElement, url: str, ld: list[dict], title: str | None) -> "_Evidence":
        classes = _body_classes(tree)
        body = tree.find(".//body")
        parts = urlsplit(url)
        types = set().union(*(_ld_types(obj) for obj in ld)) if ld else set()
        is_article = bool(types & ARTICLE_TYPES) or (_meta(tree, "og:type") or "").lower() == "article" \
            or bool(ARTICLE_CLASSES & classes) or any(c.startswith("postid-") for c in classes)
        return cls(tree, title, classes, " ".join(filter(None, [tree.findtext(".//title"), title])),
                   _clean_space(body.text_content()) if body is not None else "", parts.path.lower(),
                   dict(parse_qsl(parts.query)), types, is_article)

    def markup(self) -> str:
        """The body's markup (its first 20,000 characters) without comment forms: a reCAPTCHA
        guarding the comment form of an article is no bot check."""
        body = self.tree.find(".//body")
        if body is None:
            return ""
        markup = etree.tostring(body, encoding="unicode")
        for form in body.iter("form"):
            if form.find(".//textarea") is not None:
                markup = markup.replace(etree.tostring(form, encoding="unicode", with_tail=False), "")
        return markup[:20_000]


def _is_empty(e: _Evidence) -> bool:
    return not e.body_text and not e.head_text.strip()


def _is_challenge(e: _Evidence) -> bool:
    """A bot check or consent wall: its words in the title, or in the markup of a short page.
    A page that also carries an article body, even a short one, is that article (a reCAPTCHA
    in its comment form, a cookie banner over it, a headline saying "Just a moment")."""
    if not (CHALLENGE.search(e.head_text.lower())
            or (len(e.body_text) < 3000 and CHALLENGE.search(e.markup().lower()))):
        return False
    return not e.has_prose and prose_beside(e.tree, WALL_WORDS)[1] < SHORT_ARTICLE_CHARS


def _is_not_found(e: _Evidence) -> bool:
    """A (soft) 404: the theme's class, or "not found" in the title of a page with no article
    body ("404" in a headline about an error code, or in a short article's title, is no 404)."""
    if "error404" in e.classes:
        return True
    h1 = e.tree.find(".//h1")  # "Error 404" in the page's heading under the site's name as title
    said = NOT_FOUND.search(e.head_text) or (h1 is not None and NOT_FOUND.search(_clean_space(h1.text_content())))
    return bool(said) and not e.has_prose and prose_beside(e.tree, APOLOGY_WORDS)[1] < SHORT_ARTICLE_CHARS


def _is_login_wall(e: _Evidence) -> bool:
    """A login or subscription wall served in place of the article: it says so ("sign in to
    continue reading", "réservé aux abonnés"…) and beside that offers a teaser at most. The
    same box over an article whose text is all there (an overlay, a modal) leaves it an article."""
    text = e.body_text.lower()
    if not any(hint in text for hint in LOGIN_HINTS) or e.has_prose or not LOGIN_WORDS.search(text):
        return False  # (cheapest first: a whole article's text costs the regex ~15 ms per 100 kB)
    paragraphs, chars = prose_beside(e.tree, LOGIN_WORDS)
    return paragraphs < 2 or chars < LOGIN_TEASER_CHARS


# Prose beside a wall, a challenge or an apology: paragraphs of an article told apart from the
# box that names the wall. Short articles (agency briefs) run 150-400 characters; a soft 404 or
# a bot check says a sentence or two, and those sentences carry the words below.
SHORT_ARTICLE_CHARS = 200
LOGIN_TEASER_CHARS = 400  # a wall shows the lede, one paragraph; an overlay leaves the whole text
APOLOGY_WORDS = re.compile(
    r"not found|n[o']t exist|no longer|can(no|')t be found|could not be found|been (re)?moved|"
    r"n'existe (pas|plus)|introuvable|non esiste|non è stata trovata|не существует|не найден|"
    r"no existe|غير موجود|غير متوفر|табылмады|search|recherche|ricerca|поиск|buscar|بحث", re.I)
WALL_WORDS = re.compile(CHALLENGE.pattern + r"|cookie|javascript|consent|privacy|browser|robot|captcha", re.I)
LOGIN_WORDS = re.compile(  # what a wall says of the article; not "log in" or "already a subscriber?" of a site's header
    r"(sign|log) ?in to (continue|keep|read)|(subscribe|register) to (continue|keep|read)|"
    r"(only|exclusively|reserved) (to|for) (our )?subscribers|subscribers[- ]only|to read (the|this) (full|whole|rest)|"
    r"réservé aux abonnés|pour lire la suite|abonnez-vous pour lire|connectez-vous pour lire|"
    r"riservato agli abbonati|per continuare a leggere|"
    r"только для подписчиков|чтобы продолжить чтение|"
    r"solo para suscriptores|para seguir leyendo|"
    r"للمشتركين فقط|لمواصلة القراءة")  # searched in lower-cased text
# One of these is in every LOGIN_WORDS match, branch by branch ("(sign|log) ?in to …" holds
# "in to ", "… subscribers" and "subscribers[- ]only" hold "subscribers"…): a page holding none
# is no wall, told without the regex or the prose test ("log" and "sign", hints before, are in
# nearly every page: "blog", "design").
LOGIN_HINTS = ("in to ", "subscribe to ", "register to ", "subscribers", "to read ", "réservé aux abonnés",
               "pour lire", "riservato agli abbonati", "per continuare a leggere", "только для подписчиков",
               "чтобы продолжить чтение", "solo para suscriptores", "para seguir leyendo", "للمشتركين فقط",
               "لمواصلة القراءة")


def prose_beside(tree: HtmlElement, words: re.Pattern[str]) -> tuple[int, int]:
    """Paragraphs (and their characters of unlinked text) that read as an article's: 80
    characters or more, outside forms, dialogs and rails, and not naming ``words``."""
    count = chars = 0
    for p in tree.iter("p"):
        text = _clean_space(p.text_content())
        if len(text) < PROSE_MIN_PARAGRAPH or words.search(text):
            continue
        if any(a.tag in ("form", "dialog", *_NOT_PROSE) for a in p.iterancestors()):
            continue
        own = prose_length(text) - sum(len(_clean_space(a.text_content())) for a in p.iter("a"))
        if own >= PROSE_MIN_PARAGRAPH:
            count, chars = count + 1, chars + own
    return count, chars


def _is_search(e: _Evidence) -> bool:
    return bool({"search", "search-results"} & e.classes or {"s", "q"} & e.query.keys()
                or SEARCH_PATH.search(e.path) or SEARCH_TITLE.search(e.head_text))


def _is_tag(e: _Evidence) -> bool:
    return bool({"tag", "tag-template"} & e.classes or TAG_PATH.search(e.path))


def _is_listing(e: _Evidence) -> bool:
    """A page of teasers: told by its template or its address, or by its shape when it has no
    article body (teaser cards, rails of linked headlines and short paragraphs also sit beside
    real articles, so the shape alone never drops a page whose prose is there)."""
    if e.is_article:
        return False
    if LISTING_CLASSES & e.classes or e.path in ("", "/") or LISTING_PATH.search(e.path) \
            or e.types & {"collectionpage", "itemlist"}:
        # The template says listing; a listing shows at least one teaser. A site's only page
        # at "/" (a welcome text, a gallery's front page) has none and is judged by its shape.
        if _has_teasers(e.tree):
            return True
    if e.has_prose:
        return False
    if _single_post(e.tree):  # one WordPress post container (id="post-123"): a single post
        return False
    if _headline_is_site_name(e.tree, e.title):  # a home page: its only headline is the site's name
        return True
    if len(e.tree.xpath("//article")) >= 4:
        return True  # one <article> per teaser
    linked_headlines = len(e.tree.xpath("//*[self::h2 or self::h3][a][not(ancestor::aside or ancestor::nav or ancestor::footer)]"))
    body = cleaning.find_body(e.tree)
    if linked_headlines >= 6 and (body is None or body.tag in ("article", "main")):
        return True
    longest = max((prose_length(_clean_space(p.text_content())) for p in e.tree.iter("p")), default=0)
    return linked_headlines >= 2 and longest < LISTING_MAX_PARAGRAPH  # several headlines, teaser-sized paragraphs


_LINKED_HEADLINES = etree.XPath(
    "//*[self::h2 or self::h3 or self::h4][.//a][not(ancestor::aside or ancestor::nav or ancestor::footer)]")
TEASER_LINK_CHARS = 30  # a link this long outside menus and footers is a headline


def _has_teasers(tree: HtmlElement) -> bool:
    """Any teaser at all: a linked headline, two ``<article>`` cards, or three headline-length
    links outside the menus, rails and footer."""
    if _LINKED_HEADLINES(tree) or len(tree.xpath("//article")) >= 2:
        return True
    long_links = 0
    for a in tree.iter("a"):
        if len(_clean_space(a.text_content())) >= TEASER_LINK_CHARS and not any(x.tag in _NOT_PROSE for x in a.iterancestors()):
            long_links += 1
            if long_links >= 3:
                return True
    return False


_POST_ID = re.compile(r"post-\d+$")


def _single_post(tree: HtmlElement) -> bool:
    """Exactly one element with WordPress's post id (``id="post-239"``): classic themes without
    ``single`` body classes mark the post this way, and an archive repeats it once per teaser."""
    return sum(1 for el in tree.xpath("//*[starts-with(@id, 'post-')]") if _POST_ID.match(el.get("id", ""))) == 1


# Scripts written without spaces carry about three times the content per character.
_DENSE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
PROSE_MIN_PARAGRAPH = 80   # characters of unlinked text for a paragraph to count as prose
PROSE_MIN_PARAGRAPHS = 3   # ... that many side by side, in one container
PROSE_MIN_CHARS = 700      # ... adding up to this much


def prose_length(text: str) -> int:
    """Length of ``text`` with CJK and Hangul characters counted three times."""
    return len(text) + 2 * len(_DENSE_SCRIPT.findall(text))


PROSE_MIN_BLOCK = 600      # or one run of text this long (paragraphs made of <br>s)
_NOT_PROSE = ("aside", "nav", "footer")


def has_article_prose(tree: HtmlElement) -> bool:
    """Does the page carry an article body? Several paragraphs of unlinked prose side by side in
    one container, or one long run of text in one element (a body made of ``<br>``-separated
    lines). Teaser excerpts each sit in their own card; an article's paragraphs share a parent.
    Text inside ``<aside>``, ``<nav>`` or ``<footer>`` does not count."""
    per_parent: dict[HtmlElement, list[int]] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        if parent is None:
            continue
        text = _clean_space(p.text_content())
        if len(text) < 40:
            continue
        linked = sum(len(_clean_space(a.text_content())) for a in p.iter("a"))
        own = prose_length(text) - linked
        if own >= PROSE_MIN_PARAGRAPH:
            per_parent.setdefault(parent, []).append(own)
    for parent, lengths in per_parent.items():
        if len(lengths) >= PROSE_MIN_PARAGRAPHS and sum(lengths) >= PROSE_MIN_CHARS and not _in_rail(parent):
            return True
    for el in tree.iter("p", "div", "td", "section", "article", "span", "font", "main"):
        if el.tag == "p":  # one long paragraph: no teaser excerpt runs this long
            own = el.text_content()
            linked = sum(len(a.text_content()) for a in el.iter("a")) if len(own) >= PROSE_MIN_BLOCK // 3 else 0
        else:  # the element's own text between its children: <br>-separated lines
            own = (el.text or "") + "".join(child.tail or "" for child in el if child.tag != "script")
            linked = 0
        if len(own) >= PROSE_MIN_BLOCK // 3 and prose_length(_clean_space(own)) - linked >= PROSE_MIN_BLOCK \
                and not _in_rail(el):
            return True
    return False


def _in_rail(el: HtmlElement) -> bool:
    return el.tag in _NOT_PROSE or any(a.tag in _NOT_PROSE for a in el.iterancestors())


# Checked in order: the first kind whose test holds is the page's kind; else it is an article.
PAGE_KINDS = (
    ("empty", _is_empty), ("challenge", _is_challenge), ("not-found", _is_not_found),
    ("login-wall", _is_login_wall), ("search", _is_search), ("tag", _is_tag), ("listing", _is_listing),
)


def classify(tree: HtmlElement, url: str, ld: list[dict], title: str | None) -> str:
    """Decide what kind of page this is, before extraction.

    Evidence, strongest first: WordPress body classes (``single``, ``home``, ``tag``, ``search``,
    ``error404``), schema.org / og types, URL shapes (``?s=``, ``/tag/``), and the shape of the
    page (many teaser headlines and no article body).
    """
    evidence = _Evidence.of(tree, url, ld, title)
    return next((kind for kind, holds in PAGE_KINDS if holds(evidence)), "article")


# -- text ---------------------------------------------------------------------------------------
def trafilatura_options(url: str) -> Extractor:
    """How newsmon calls trafilatura: precision first, no comments, no fallback extractors.

    ``fast`` skips the readability/jusText fallbacks: on pre-cleaned news pages they add nothing
    measurable to the corpus scores and cost about half the time per page.
    """
    return _for_url(_PRECISE, url)


def _for_url(options: Extractor, url: str) -> Extractor:
    """``options`` as ``Extractor(..., url=url)`` would build them: only the address differs from
    page to page, and building them anew read eight settings from trafilatura's ConfigParser
    (~0.08 ms a page). trafilatura copies an Extractor it changes, so a shared one is safe."""
    options = copy.copy(options)
    options.url = url
    options.source = url.encode("utf-8", "replace").decode("utf-8") if url else None
    return options


_PRECISE = Extractor(output_format="python", precision=True, comments=False, tables=True, fast=True)
_PLAIN = Extractor(output_format="python", comments=False, tables=True)


_BLANKS = re.compile(r"[ \t\u00a0]+")


def _postprocess(text: str, title: str | None) -> str:
    """Drop leading repeats of the headline and widget lines; one paragraph per line; Unicode NFC.

    NFC because pages mix composed and decomposed forms of the same letters (Bengali, Devanagari,
    Vietnamese, accents typed on a Mac): a query or a quote in the standard form must match."""
    text = unicodedata.normalize("NFC", text)
    lines = [_BLANKS.sub(" ", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line and cleaning.normalize_label(line) not in cleaning.CLUTTER_LINE_LABELS]
    if title:
        norm = _norm_title(title)
        while lines and _norm_title(lines[0]) == norm:
            lines.pop(0)
    # A short line with nothing after it is a label or a stray placeholder ("poup"), not prose:
    # a real heading is always followed by its paragraphs.
    # Only a bare word is cut: a signature ("x Franzi"), a credit or a CJK sentence is text.
    while lines and len(lines[-1].split()) == 1 and len(lines[-1]) <= 15 and not _DENSE_SCRIPT.search(lines[-1]) \
            and not re.search(r"[.!?…。؟»\"”)\d]$", lines[-1]):
        lines.pop()
    return "\n".join(lines)


RESCUE_MIN_CHARS = 80
RESCUE_MAX_CLIMB = 4


def rescue_orphans(tree: HtmlElement, text: str) -> str:
    """Put back paragraphs that broken markup moved out of the article's subtree.

    trafilatura keeps one subtree. On malformed pages (an unclosed ``<div class=ad>`` or ``<td>``)
    the parser re-parents the rest of the article next to that subtree, and it is lost. Only
    pages without a recognisable body container get this pass; a paragraph is rescued when it is
    long prose (not links), comes after the first extracted paragraph, and sits within a few
    levels of it.
    """
    lines = text.split("\n")
    seen = {_clean_space(line) for line in lines}
    blocks = [el for el in tree.iter("p", "h2", "h3", "h4") if _clean_space(el.text_content())]
    anchor = next((el for el in blocks if _clean_space(el.text_content()) in seen), None)
    if anchor is None:
        return text
    scope = anchor
    for _ in range(RESCUE_MAX_CLIMB):
        if scope.getparent() is None:
            break
        scope = scope.getparent()
    in_scope = set(scope.iter())
    out: list[str] = []
    used: set[str] = set()
    pending_heading: str | None = None
    started = False
    for el in blocks:
        content = _clean_space(el.text_content())
        if el is anchor:
            started = True
        if not started or el not in in_scope:
            continue
        if content in seen:
            out.append(content)
            used.add(content)
            pending_heading = None
            continue
        if el.tag != "p":
            pending_heading = content if len(content) <= 150 else None
            continue
        linked = sum(len(_clean_space(a.text_content())) for a in el.iter("a"))
        if len(content) >= RESCUE_MIN_CHARS and linked < 0.3 * len(content):
            if pending_heading:
                out.append(pending_heading)
                pending_heading = None
            out.append(content)
    if len(out) == len(used):
        return text
    before = [line for line in lines if _clean_space(line) not in used]
    return "\n".join(before + out) if before and _clean_space(before[0]) != _clean_space(lines[0]) else "\n".join(out + before)


def body_text(tree: HtmlElement, url: str) -> str:
    """Clean ``tree`` in place and run trafilatura on it."""
    body, candidates = cleaning.survey(tree)  # the body and the markup pass's candidates in one walk
    structured = body is not None
    cleaning.preclean(tree, body, candidates)
    options = trafilatura_options(url)
    document = trafilatura.bare_extraction(tree, url=url, options=options)
    text = (getattr(document, "text", None) or "") if document is not None else ""
    if text and not structured:
        text = rescue_orphans(tree, text)
    return text


def share_all_language_stoplist() -> bool:
    """Hold jusText's stopwords of all languages once, as the set jusText looks words up in.

    trafilatura's plain run (:func:`plain_text`) has no target language, so its jusText fallback
    uses the stopwords of all of jusText's languages: trafilatura gathers them into a tuple
    (154,000 words, 12.7 MiB), and jusText's cached ``define_stoplist`` keeps, beside that tuple,
    the frozenset of the same words lower-cased: 33 MiB resident from the first page that needs
    them to the end of the process. Here that frozenset is built once, when first needed, from
    the same words lower-cased the same way, and handed to jusText as it is (18 MiB): the same
    words, so the same verdicts. False (and both libraries left as they are) if either no
    longer has the functions this replaces."""
    justext_core, external = justext.core, trafilatura.external
    try:
        define_stoplist, stoplists, stoplist = justext_core.define_stoplist, external.get_stoplists, external.get_stoplist
        external.jt_stoplist_init  # noqa: B018 (replaced below: it must exist)
    except AttributeError:
        return False
    built: list[frozenset[str]] = []

    def all_stopwords() -> frozenset[str]:
        if not built:
            # jusText's get_stoplist lower-cases each word already: the union of its sets is the
            # set of the words lower-cased (the test compares them), without a Python loop
            # over 154,000 words in every worker
            built.append(frozenset().union(*(stoplist(language) for language in stoplists())))
            external.JT_STOPLIST = built[0]
        return built[0]

    def shared(words: Any) -> frozenset[str]:
        return words if built and words is built[0] else define_stoplist(words)

    external.jt_stoplist_init = all_stopwords
    justext_core.define_stoplist = shared
    return True


share_all_language_stoplist()
prune.install()  # trafilatura's XPath pruning answered in Python, same elements (see pipelines.prune)


def prepare_fallback() -> None:
    """Build now what the first plain run (:func:`plain_text`) of a process would build: the
    stopwords of all of jusText's languages. For a process about to fork workers
    (``extract --batch --jobs N``): built once there, they are shared by every worker; each
    worker that met a fallback page built its own (~0.1 s, ~0.2 s with the collections and
    the page faults of 154,000 new strings in a forked process)."""
    trafilatura.external.jt_stoplist_init()


FALLBACK_CHARS = 600  # a body shorter than this is checked against trafilatura on the raw page
FALLBACK_GAIN = 1.5    # ... and replaced when that is this many times longer


def plain_options(url: str) -> Extractor:
    """trafilatura as it comes (balanced, with its readability/jusText fallbacks, no comments)."""
    return _for_url(_PLAIN, url)


def plain_text(raw: HtmlElement, url: str) -> str:
    """trafilatura's own result on the untouched page (it copies the tree; ``raw`` is not changed)."""
    document = trafilatura.bare_extraction(raw, url=url, options=plain_options(url))
    return (getattr(document, "text", None) or "") if document is not None else ""


def with_fallback(text: str, raw: HtmlElement | None, url: str, title: str | None) -> str:
    """An article dropped is worse than a little clutter: when the pre-cleaned extraction is
    empty or short, trafilatura's plain result on the raw page is taken if it is much longer
    (the cleaning or the precision setting lost the body)."""
    if raw is None or len(text) >= FALLBACK_CHARS:
        return text
    plain = _postprocess(plain_text(raw, url), title)
    if len(text) < MIN_TEXT_CHARS:
        # Ours would be dropped as too short: trafilatura's longer body, even one that merely
        # wraps ours in a caption and a byline, keeps the article.
        return plain if len(plain) > len(text) else text
    # Only new prose counts: a line that merely wraps our paragraphs in a byline and share
    # buttons (a body trafilatura could not split) is clutter around the same article.
    ours = [line for line in text.split("\n") if len(line) >= 20]
    new = [line for line in plain.split("\n") if line not in ours and not any(o in line for o in ours)]
    gain = sum(len(line) for line in new)
    return plain if gain >= max(FALLBACK_GAIN * len(text) - len(text), MIN_TEXT_CHARS) else text


# Kinds whose text ``extract(..., keep_found=True)`` extracts: articles, and pages classified as
# listings (a misjudged article keeps its text for ``extract --batch``; the stage still drops
# the page). The crawl, which stores no listing, extracts the text of articles only.
TEXT_KINDS = ("article", "listing", "search", "tag")


def extract(html: str | HtmlElement, url: str, overrides: Mapping[str, Any] | None = None,
            raw: HtmlElement | None = None, keep_found: bool = False) -> Extracted:
    """Pure: page text (or its parsed tree, which is then cleaned in place) and its URL →
    :class:`Extracted`. Never raises on bad markup.

    ``overrides`` (a source's title/body selectors) win over the generic title and body when
    they match; a page whose body selector matched is an article unless it is a challenge,
    a 404, a search or a tag page. ``raw``: an untouched copy of the page's tree for the
    fallback (:func:`with_fallback`); when ``html`` is text it is parsed again if needed.
    """
    tree = html if isinstance(html, HtmlElement) else parse(html)
    if tree is None:
        kind = "empty" if not str(html).strip() else "non-html"
        return Extracted(None, "", None, normalize_url(url), None, None, kind)
    applied = apply_overrides(tree, overrides)  # before anything cleans the tree in place
    held = _META_INDEX.set((tree, _meta_index(tree)))  # the metadata: read before the tree is cleaned
    try:
        ld = json_ld(tree)
        ld_article = next((obj for obj in ld if _ld_types(obj) & ARTICLE_TYPES), None)
        title = applied.title or pick_title(tree, ld_article)
        title = unicodedata.normalize("NFC", title) if title else title
        image = (_ld_image(ld_article.get("image")) if ld_article else None) or _meta(tree, "og:image", "twitter:image")
        result = Extracted(
            title=title,
            text="",
            author=_author(tree, ld_article),
            canonical_url=canonical_url(tree, url),
            image=urljoin(url, image) if image else None,
            html_lang=_html_lang(tree),
            page_kind=classify(tree, url, ld, title),
            overridden=tuple(k for k, v in (("title", applied.title), ("body", applied.text)) if v),
            override_missed=applied.missed,
        )
    finally:
        _META_INDEX.reset(held)
    if applied.text and result.page_kind in ("listing", "empty"):
        result.page_kind = "article"
    if result.page_kind in (TEXT_KINDS if keep_found else ("article",)):
        if applied.text:
            result.text = _postprocess(applied.text, title)
        else:
            text = _postprocess(body_text(tree, url), title)
            if raw is None and len(text) < FALLBACK_CHARS and not isinstance(html, HtmlElement):
                raw = parse(html)
            result.text = with_fallback(text, raw, url, title)
        if not result.text and not title and result.page_kind == "article":
            result.page_kind = "empty"
    return result


# -- time cap -----------------------------------------------------------------------------------
@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`ExtractTimeout` in the block after ``seconds`` (main thread only).

    Scrapy runs pipelines in the reactor thread, which is the main thread, and so does the CLI;
    elsewhere (a worker thread) signals cannot be used and the block runs uncapped. Any timer
    already armed (pytest-timeout's, say) is restored afterwards.
    """
    if not seconds or seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def _expire(signum, frame):  # type: ignore[no-untyped-def]
        raise ExtractTimeout(f"extraction exceeded {seconds:g}s")

    started = time.monotonic()
    previous_handler = signal.signal(signal.SIGALRM, _expire)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            remaining = max(previous_delay - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, remaining, previous_interval)


# -- the stage ----------------------------------------------------------------------------------
class ExtractStage:
    """Fills title/text/author/canonical_url/image/html_lang/page_kind; drops what is not an article.

    ``stats`` is anything with ``inc_value(key, count=1)`` (a Scrapy stats collector, or the
    :class:`collections.Counter`-backed one :func:`pipelines.page.process_page` uses).
    """

    def __init__(self, min_text_chars: int = MIN_TEXT_CHARS, max_page_bytes: int = MAX_PAGE_BYTES,
                 timeout: float = EXTRACT_TIMEOUT, stats: Any = None, keep_found: bool = False):
        self.min_text_chars = min_text_chars
        self.keep_found = keep_found  # also extract the text of pages it drops as listings
        self.max_page_bytes = max_page_bytes
        self.timeout = timeout
        self.stats = stats

    def _count(self, outcome: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"newsmon/extract/{outcome}")

    def _drop(self, outcome: str, reason: str, url: str) -> Dropped:
        self._count(outcome)
        slug = re.sub(r"[^a-z0-9]+", "_", outcome.replace("not-article/", "not_an_article_")).strip("_")
        return Dropped(slug, url, message=f"{reason}: {url}")

    def too_large(self, html: str) -> bool:
        """Byte size of the page, computed only when the character count makes it possible."""
        if len(html) * 4 <= self.max_page_bytes:
            return False
        return len(html) > self.max_page_bytes or len(html.encode("utf-8", "surrogatepass")) > self.max_page_bytes

    def process_item(self, item: Article, tree: HtmlElement | None = None, raw: HtmlElement | None = None) -> Article:
        """``tree``: the page already parsed (it is cleaned in place); else ``item["html"]`` is.
        ``raw``: an untouched parse of the page, read (never changed) by the fallback."""
        url = item.get("url") or ""
        html = item.get("html") or ""
        if self.too_large(html):
            raise self._drop("too-large", f"page larger than {self.max_page_bytes} bytes", url)
        try:
            with time_limit(self.timeout):
                result = extract(html if tree is None else tree, url, item.get("overrides"), raw, self.keep_found)
        except ExtractTimeout:
            raise self._drop("timeout", f"extraction exceeded {self.timeout:g}s", url) from None
        except Exception as err:  # noqa: BLE001 - one bad page must not stop a crawl
            raise self._drop("error", f"extraction failed ({type(err).__name__}: {err})", url) from err
        for field in ("title", "text", "author", "canonical_url", "image", "html_lang", "page_kind"):
            item[field] = getattr(result, field)
        for kind in result.overridden:
            self._count(f"override/{kind}")
        for kind in result.override_missed:
            self._count(f"override_missed/{kind}")
        if result.page_kind == "login-wall":  # one reason with a link redirected to a sign-in page
            raise self._drop("login-wall", "a login wall (not an article)", url)
        if result.page_kind != "article":
            reason = {"empty": "empty page", "non-html": "not an HTML page"}.get(result.page_kind, f"not an article ({result.page_kind})")
            raise self._drop(f"not-article/{result.page_kind}", reason, url)
        if len(result.text) < self.min_text_chars:
            raise self._drop("too-short", f"body shorter than {self.min_text_chars} characters ({len(result.text)})", url)
        self._count("article")
        return item
