"""Pre-cleaning: remove from a parsed page what trafilatura keeps on typical WordPress news themes.

trafilatura decides per block whether text is boilerplate. It is good at menus and footers, but
on Jannah, tagDiv (Newspaper) and hand-made themes it keeps blocks that sit *inside* the article
container: "Lire aussi" / "اقرأ أيضا" boxes, ad placeholders, share bars, newsletter boxes and
reader comments written without the usual ``comment`` class names. Those are easy to recognise
before extraction, by two kinds of evidence:

* **markup**: class/id words (``related``, ``td-a-rec``, ``stream-item``, ``share``, ``comment``…)
  and elements that are never article text (``aside``, ``nav``, ``form``…);
* **labels**: a box introduced by "Read also", "Leggi anche", "Читайте также"…, a section under
  "Comments" / "اترك تعليقاً", or an element whose whole text is "Publicité" or "زر الذهاب إلى الأعلى".

Everything here works on an lxml tree in place. One safety rule holds throughout: an element that
contains the article body (:func:`find_body`) is never removed, so an over-eager class word on a
wrapper cannot delete the article.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from lxml import etree
from lxml.html import HtmlElement, fragment_fromstring

from pipelines.analysis import CACHED_CHARS

# -- markup evidence ----------------------------------------------------------------------------
# Elements that never hold article text. <header> is not here: many themes put the headline and
# the standfirst in an <header> inside <article>; the theme-level <header> is caught by its class.
DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "form", "nav", "aside", "footer",
             "button", "select", "svg", "canvas", "dialog", "ins", "object", "embed")
_DROP_TAGS = frozenset(DROP_TAGS)

# One class or id word (split on whitespace) that marks clutter. Matched against whole words and
# their "-"/"_" parts so "td-a-rec" or "post-share" match without "header" matching "ad".
CLUTTER_WORDS = frozenset("""
    ad ads adv advert adverts advertisement advertising adsbygoogle adslot ad-slot banner sponsor sponsored
    publicite publicity pub td-a-rec stream-item stream-item-in-post dfp gpt
    related relatedposts related-posts jp-relatedposts yarpp crp read-also readalso also-read lire-aussi
    more-stories post-components td_block_related_posts inline-related
    comment comments commentlist comment-list comment-respond respond disqus disqus_thread reactions
    share shares sharing sharedaddy addtoany a2a social social-links share-buttons td-post-sharing
    newsletter subscribe subscription signup mc4wp optin boletin bulletin infolettre
    breadcrumb breadcrumbs sidebar widget widgets widget-area menu main-menu topbar top-bar navbar nav
    navigation post-navigation post-meta entry-meta meta-info td-module-meta-info post-views td-post-views
    td-post-comments reading-time
    pagination prev-next weather today-date date-today tie-weather
    go-to-top back-to-top scroll-top to-top popup modal cookie cookies consent gdpr
    post-tags tags-list tagcloud author-box about-author
""".split())
# Compound words that are clutter only as a whole (their parts, e.g. "post", are not).
CLUTTER_PARTS = frozenset({
    "ad", "ads", "advert", "advertisement", "adsbygoogle", "banner", "sponsor", "sponsored",
    "publicite", "related", "comment", "comments", "commentlist", "share", "sharing", "social",
    "newsletter", "boletin", "infolettre", "subscribe", "breadcrumb", "breadcrumbs", "sidebar", "menu", "weather",
    "disqus", "popup", "modal", "cookie", "consent", "gdpr", "pagination", "signup",
})
_SPLIT = re.compile(r"[-_]")
AD_WORDS = frozenset({"ad", "ads", "adv", "advert", "adverts", "advertisement", "advertising", "adsbygoogle",
                      "adslot", "banner", "sponsor", "sponsored", "publicite", "pub", "td-a-rec", "td-a-ad",
                      "stream-item", "dfp", "gpt"})

# -- label evidence -------------------------------------------------------------------------------
READ_ALSO = (
    "read also", "read more", "also read", "see also", "related", "related articles", "related posts",
    "related news", "more on this", "you may also like", "recommended",
    "lire aussi", "à lire aussi", "a lire aussi", "lire également", "à lire également", "voir aussi",
    "à voir aussi", "sur le même sujet", "articles similaires", "articles liés",
    "leggi anche", "leggi pure", "potrebbe interessarti", "articoli correlati",
    "читайте также", "читайте по теме", "смотрите также", "по теме", "похожие новости", "см. также",
    "lea también", "lee también", "leer también", "te puede interesar", "noticias relacionadas",
    "artículos relacionados", "ver también",
    "оқи отырыңыз", "оқыңыз", "тағы оқыңыз", "ұқсас жаңалықтар", "тақырыпқа қатысты",
    "اقرأ أيضا", "اقرأ ايضا", "إقرأ أيضا", "إقرأ ايضا", "اقرأ كذلك", "اقرأ المزيد", "مقالات ذات صلة",
    "أخبار ذات صلة", "مواضيع ذات صلة", "ذات صلة", "شاهد أيضا",
)
COMMENTS = (
    "comments", "comment", "leave a reply", "leave a comment", "post a comment", "reader comments",
    "laisser un commentaire", "commentaires", "commentaire", "réagir", "vos réactions", "réactions",
    "commenti", "lascia un commento", "lascia una risposta",
    "комментарии", "оставить комментарий", "оставьте комментарий", "ваш комментарий",
    "пікірлер", "пікір қалдыру", "пікір",
    "comentarios", "deja un comentario", "deja una respuesta", "comentar",
    "التعليقات", "تعليقات", "اترك تعليقا", "أترك تعليقا", "اضف تعليقا", "أضف تعليقا", "تعليقات القراء",
)
# Elements whose *whole* text is one of these are widgets, never prose.
CLUTTER_LINES = frozenset((
    "advertisement", "advertising", "sponsored", "ad", "publicité", "publicite", "publicité gauche",
    "publicité droite", "pubblicità", "реклама", "жарнама", "publicidad", "إعلان", "اعلان",
    "back to top", "scroll to top", "go to top", "زر الذهاب إلى الأعلى", "إغلاق", "close",
    "اظهر المزيد", "أظهر المزيد", "show more", "voir plus", "mostra altro", "показать еще", "ver más",
    "share", "partager", "condividi", "поделиться", "compartir", "شارك", "مشاركة", "бөлісу",
    "tweet", "facebook", "twitter", "whatsapp", "telegram", "linkedin", "pinterest", "email",
    "print", "imprimer", "stampa", "печать", "imprimir", "طباعة",
))
_LABEL_TRAIL = " \t:：.-–—»›>|•·…"


def normalize_label(text: str) -> str:
    """Casefold, unify Arabic alef/hamza and yeh forms, drop tashkeel, trim punctuation.

    Labels are written "اقرأ أيضاً", "إقرأ ايضا", "Lire aussi :", "ЧИТАЙТЕ ТАКЖЕ"; one form
    per label in the tables above is enough once both sides go through this. Short lines (labels
    repeat on every page of a site) are cached; longer ones, every paragraph of every article,
    are not, so the cache cannot grow a crawl's memory with the text it reads.
    """
    return _normalize_label_cached(text) if len(text) <= CACHED_CHARS else _normalize_label(text)


_TASHKEEL = re.compile(r"[\u064b-\u065f\u0670\u0640]")  # tashkeel, tatweel
_ALEF_YEH = str.maketrans("أإآٱىۀ", "ااااية")
_ALEF_YEH_FORMS = re.compile("[أإآٱىۀ]")  # str.translate looks up every character: only where needed


def _normalize_label(text: str) -> str:
    text = _TASHKEEL.sub("", unicodedata.normalize("NFKC", text).casefold())
    if _ALEF_YEH_FORMS.search(text):
        text = text.translate(_ALEF_YEH)
    # str.split cuts at exactly what \s matches: runs of white space become one space
    return " ".join(text.split()).strip(_LABEL_TRAIL + " ")


_normalize_label_cached = lru_cache(maxsize=65_536)(_normalize_label)


def _label_set(labels: Iterable[str]) -> frozenset[str]:
    return frozenset(normalize_label(label) for label in labels)


READ_ALSO_LABELS = _label_set(READ_ALSO)
_READ_ALSO_FIRST_WORDS = frozenset(label.split(" ", 1)[0] for label in READ_ALSO_LABELS)
COMMENT_LABELS = _label_set(COMMENTS)
CLUTTER_LINE_LABELS = _label_set(CLUTTER_LINES)
_COMMENT_COUNT = re.compile(r"^(\d+\s+)?(" + "|".join(map(re.escape, sorted(COMMENT_LABELS, key=len, reverse=True))) + r")(\s*\(\d+\))?$")


def is_read_also(text: str) -> bool:
    """True for a "read also" label, alone or followed by the linked title ("Lire aussi : …")."""
    norm = normalize_label(text)
    if norm in READ_ALSO_LABELS:
        return True
    head = re.split(r"\s*[:：»›|]\s*", norm, maxsplit=1)[0].strip(_LABEL_TRAIL)
    if head == norm:
        return False
    if head in READ_ALSO_LABELS:
        return True
    # a known label plus one word: "Potrebbe interessarti anche:", "Lisez aussi :", "Read more also:"
    words = head.split()
    return len(words) >= 2 and " ".join(words[:-1]) in READ_ALSO_LABELS


def is_comment_heading(text: str) -> bool:
    return bool(_COMMENT_COUNT.match(normalize_label(text)))


# -- helpers on the tree --------------------------------------------------------------------------
def text_of(el: HtmlElement) -> str:
    return " ".join(el.text_content().split())


def text_length(el: HtmlElement) -> int:
    """``len(text_of(el))`` without joining the words (a whole page's text, inline scripts
    included, runs to hundreds of kilobytes)."""
    return normalized_length(el.text_content() if len(el) else (el.text or ""))


def short_text(el: HtmlElement, limit: int) -> str | None:
    """``text_of(el)`` when it is at most ``limit`` characters long, else None; a long text is
    told by its first words, without splitting the rest. A leaf's text is its ``.text`` (no
    child of any kind: ``len()`` counts comments, PIs and entities too)."""
    raw = el.text_content() if len(el) else (el.text or "")
    if len(raw) <= limit:
        own = " ".join(raw.split())
        return own
    most = (limit + 1) // 2
    words = raw.split(None, most)
    if len(words) > most:
        return None  # more than ``most`` words and the spaces between them: over the limit
    own = " ".join(words)
    return own if len(own) <= limit else None


def _words(el: HtmlElement) -> Iterator[str]:
    for attr in ("class", "id"):
        value = el.get(attr)
        if value:
            for word in value.lower().split():
                yield word


# Long, unambiguous clutter stems also found inside run-together or CamelCase names
# ("NewsLetterBox", "relatedPostsWidget", "commentsArea"): matched as substrings.
CLUTTER_STEMS = ("newsletter", "boletin", "infolettre", "relatedpost", "relatedarticle", "relatednews",
                 "commentlist", "commentsarea", "commentsblock", "sharebutton", "socialshare", "breadcrumb",
                 "cookiebanner", "cookieconsent")


class _Verdicts(dict):
    """A string's verdict, judged once: a page repeats the same class strings on hundreds of
    elements, and the loops over every element read it by subscript (an ``lru_cache`` call cost
    more than the question). Emptied when full."""

    def __init__(self, judge: Any, limit: int = 65_536) -> None:
        super().__init__()
        self._judge, self._limit = judge, limit

    def __missing__(self, value: str) -> Any:
        if len(self) >= self._limit:
            self.clear()
        verdict = self[value] = self._judge(value)
        return verdict


_CLUTTER_STEM = re.compile("|".join(CLUTTER_STEMS))  # letters only: no "-" or "_" to escape


def _clutter_value(value: str) -> bool:
    """Whether a word of a class or id value is clutter (a word of ``CLUTTER_WORDS``, a word with
    a "-"/"_" part in ``CLUTTER_PARTS``, or a word holding one of ``CLUTTER_STEMS`` once its "-"
    and "_" are taken out), asked of the whole value at once (most values are judged once, on
    the page that has them: a word at a time in Python cost twice as much). The words' parts are the value's runs between white
    space, "-" and "_"; a stem never holds white space, so it is sought in the value with only
    "-" and "_" taken out."""
    value = value.lower()
    if not CLUTTER_WORDS.isdisjoint(value.split()):
        return True
    if not CLUTTER_PARTS.isdisjoint(value.replace("-", " ").replace("_", " ").split()):
        return True
    return _CLUTTER_STEM.search(value.replace("-", "").replace("_", "")) is not None


# One class or id value → whether a word of it is clutter (an element is clutter when its class
# or its id is).
_CLUTTER_VALUES = _Verdicts(_clutter_value)


def is_ad_markup(el: HtmlElement) -> bool:
    return _ad_attrs(el.get("class"), el.get("id"))


@lru_cache(maxsize=16_384)
def _ad_attrs(cls: str | None, ident: str | None) -> bool:
    words = [word for value in (cls, ident) if value for word in value.lower().split()]
    return any(word in AD_WORDS or any(part in AD_WORDS for part in _SPLIT.split(word)) for word in words)


CONSENT_WORDS = frozenset({"cookie", "cookies", "consent", "gdpr", "cmp"})


def is_consent_markup(el: HtmlElement) -> bool:
    """A cookie/consent notice: its sentence is prose, but never the article's."""
    if (el.get("role") or "").lower() in ("dialog", "alertdialog"):
        return True
    return any(word in CONSENT_WORDS or any(p in CONSENT_WORDS for p in _SPLIT.split(word)) for word in _words(el))


BODY_CLASSES = ("entry-content", "td-post-content", "article-body", "article-content", "post-content", "story-body")
_ARTICLE_BODY = etree.XPath("//*[@itemprop='articleBody']")


def _body_class_rank(classes: str) -> int | None:
    """The rank of the first of ``BODY_CLASSES`` that is a word of ``classes`` (1 for the first),
    or None."""
    words = classes.split()
    return next((i + 1 for i, name in enumerate(BODY_CLASSES) if name in words), None)


_BODY_RANKS = _Verdicts(_body_class_rank)  # every element with a class asks


def find_body(tree: HtmlElement) -> HtmlElement | None:
    """The element holding the article body, by the usual theme markers (``itemprop=articleBody``,
    ``BODY_CLASSES``, ``<article>``, ``<main>``, in that order of trust; the longest when several
    match), or None. One pass over the tree, in Python: an XPath testing six class names on
    every element cost twice as much."""
    if tree.getparent() is not None:  # a subtree: ``//*[@itemprop]`` searches the whole document
        marked = _ARTICLE_BODY(tree)
        if marked:
            return _longest(marked)
    return _walk(tree, collect=False)[0]


def survey(tree: HtmlElement) -> tuple[HtmlElement | None, list[HtmlElement] | None]:
    """:func:`find_body` of ``tree``, and the elements :func:`drop_by_markup` may remove (a drop
    tag, a ``<header>``, a clutter class or id: what it judges further), in one walk over the
    page's elements instead of two. The candidates are None for a subtree (``find_body`` then
    searches the whole document for the itemprop)."""
    if tree.getparent() is not None:
        return find_body(tree), None
    return _walk(tree, collect=True)


def _walk(tree: HtmlElement, collect: bool) -> tuple[HtmlElement | None, list[HtmlElement]]:
    """The one walk of :func:`find_body` and :func:`survey`: the body by rank (the itemprop read
    in the same pass as the classes; once one is found, only itemprops count), and with
    ``collect`` :func:`drop_by_markup`'s candidates."""
    ranks: dict[int, list[HtmlElement]] = {}
    marked: list[HtmlElement] = []
    candidates: list[HtmlElement] = []
    clutter, body_ranks, drop_tags = _CLUTTER_VALUES, _BODY_RANKS, _DROP_TAGS
    for el in tree.iter(etree.Element):
        tag = el.tag
        cls = el.get("class")
        if el.get("itemprop") == "articleBody":
            marked.append(el)
        elif not marked:
            rank = body_ranks[cls] if cls else None
            if rank is None and tag in ("article", "main"):
                rank = len(BODY_CLASSES) + (1 if tag == "article" else 2)
            if rank is not None:
                ranks.setdefault(rank, []).append(el)
        if not collect:
            continue
        # drop_by_markup's: the class, then the id
        if tag in drop_tags or tag == "header" or (cls and clutter[cls]):
            candidates.append(el)
            continue
        ident = el.get("id")
        if ident and clutter[ident]:
            candidates.append(el)
    if marked:
        return _longest(marked), candidates
    return (_longest(ranks[min(ranks)]) if ranks else None), candidates


def _longest(found: list[HtmlElement]) -> HtmlElement:
    return found[0] if len(found) == 1 else max(found, key=lambda el: len(el.text_content()))


def prose_container(tree: HtmlElement) -> HtmlElement | None:
    """The element whose own paragraphs hold the most prose (paragraphs of 80+ characters):
    where trafilatura will find the article even when no theme marker names it."""
    totals: dict[HtmlElement, int] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        if parent is None:
            continue
        size = len(p.text_content())
        if size >= 80:
            totals[parent] = totals.get(parent, 0) + size
    return max(totals, key=totals.__getitem__) if totals else None


def _protected(tree: HtmlElement, body: HtmlElement | None) -> set[HtmlElement]:
    """The body and all its ancestors: removing any of them would remove the article.

    ``<html>`` and ``<body>`` are always kept, container found or not: themes put words like
    "sidebar-second" or "off-canvas-menu" on ``<body>``, and matching them as clutter emptied
    whole pages of unfamiliar CMSs.
    """
    keep: set[HtmlElement] = {tree, *tree.iter("body")}
    for node in (body, prose_container(tree)):
        while node is not None:
            keep.add(node)
            node = node.getparent()
    return keep


def _remove(el: HtmlElement) -> None:
    """Drop an element but keep its tail text (which belongs to the parent)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _link_density(el: HtmlElement, skip: str = "") -> float:
    total = len(text_of(el)) - len(skip)
    if total <= 0:
        return 1.0
    linked = sum(len(text_of(a)) for a in el.iter("a"))
    return min(1.0, linked / total)


# -- the passes -----------------------------------------------------------------------------------
def holds_prose(el: HtmlElement) -> bool:
    """Does ``el`` contain real paragraphs? An ad slot never does, unless broken markup
    (an unclosed ``<div class=ad>``) made the rest of the article its children."""
    return any(text_length(p) >= 80 for p in el.iter("p"))


def _unwrap(el: HtmlElement) -> None:
    """Keep the children of a broken wrapper, drop its own text (the "Publicité" label)."""
    el.text = None
    for child in list(el):
        if child.tag not in ("p", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "div", "section", "table"):
            _remove(child)
    el.drop_tag()


def normalized_length(text: str) -> int:
    """``len(" ".join(text.split()))`` without joining the words."""
    words = text.split()
    return sum(map(len, words)) + len(words) - 1 if words else 0


class _PageChars:
    """``text_length(tree) or 1`` of the page as it was when made (before its caller changes
    the tree: removing an empty element can join two words), worked out only as far as the
    questions need: is an element's text (``n`` characters, white space included)
    more than ``PAGE_WRAPPER_SHARE`` of it? The page's text (inline scripts included, ~93 kB on
    average) is read once, but its words are split only up to a prefix that answers "no" (the
    normalised length of a prefix is at most the whole's), and all of them only when a prefix
    cannot (an element holding much of the page's text: a wrapper, a long inline script)."""

    def __init__(self, tree: HtmlElement) -> None:
        self._text = tree.text_content() if len(tree) else (tree.text or "")
        self._read = 0  # the length of the prefix whose normalised length is ``_bound``
        self._bound = 0  # a lower bound of the page's normalised length
        self.chars: int | None = None  # text_length(tree) or 1, once worked out

    def over_share(self, n: int) -> bool:
        if n <= PAGE_WRAPPER_SHARE * self._bound:
            return False
        if self.chars is None:
            read = 4 * n + 64  # ~2n non-space characters, unless the text is mostly white space
            if self._read < read < len(self._text):
                self._read, self._bound = read, normalized_length(self._text[:read])
                if n <= PAGE_WRAPPER_SHARE * self._bound:
                    return False
            self.chars = normalized_length(self._text) or 1
        return n > PAGE_WRAPPER_SHARE * self.chars


def drop_by_markup(tree: HtmlElement, keep: set[HtmlElement], candidates: list[HtmlElement] | None = None) -> int:
    """Remove the elements that markup marks as clutter. ``candidates``: :func:`survey`'s, when no
    element has been added, removed or given another tag, class or id since (but a
    ``<header>``'s): the elements outside it cannot be clutter, so only they are judged."""
    removed = 0
    doomed: list[HtmlElement] = []
    # Every candidate passes here (every element of the page without ``candidates``): the
    # protected chain is looked up only for an element that would otherwise go, and the
    # class/id words only for an element that has some.
    clutter = _CLUTTER_VALUES
    for el in tree.iter(etree.Element) if candidates is None else candidates:
        tag = el.tag
        if tag in _DROP_TAGS:
            if el not in keep:
                doomed.append(el)
            continue
        if tag == "header" and el not in keep and el.xpath("ancestor::article") == [] and not el.xpath(".//h1"):
            doomed.append(el)
            continue
        # the class, then the id: either one's clutter word dooms the element
        cls = el.get("class")
        if cls and clutter[cls]:
            if el not in keep:
                doomed.append(el)
            continue
        ident = el.get("id")
        if ident and clutter[ident] and el not in keep:
            doomed.append(el)
    if not doomed:
        return 0
    doomed_set = set(doomed)
    page = _PageChars(tree)
    # element -> whether it or an ancestor is in doomed_set: doomed elements share most of their
    # ancestors, each is looked at once. An answer never goes stale: only an element's own
    # subtree changes when it is handled (its tag dropped, it leaves the set, or it is removed
    # whole), and no element of that subtree has been asked about yet (those come after it in
    # document order, as in ``doomed``).
    under: dict[HtmlElement, bool] = {}
    for el in doomed:
        node = el.getparent()
        if node is None:
            continue
        chain = []
        while node is not None:
            known = under.get(node)
            if known is not None:
                break
            chain.append(node)
            if node in doomed_set:
                known = True
                break
            node = node.getparent()
        for node in chain:
            under[node] = bool(known)
        if known:
            continue
        # an upper bound of text_of's length, without the regex (a leaf's, its .text: see short_text)
        raw = len(el.text_content() if len(el) else (el.text or ""))
        if page.over_share(raw) and text_length(el) > PAGE_WRAPPER_SHARE * page.chars:
            # Most of the page's text is inside: a page-wide wrapper (an ASP.NET WebForms <form>,
            # a layout div named "main-menu-wrapper"), not clutter. Drop only the tag; the
            # clutter inside is judged on its own (its ancestor is gone from the doomed set).
            doomed_set.discard(el)
            el.drop_tag()
            continue
        if is_ad_markup(el) and holds_prose(el) and not is_consent_markup(el):  # a "cookie-banner" is no ad wrapper
            _unwrap(el)
        else:
            _remove(el)
        removed += 1
    return removed


BOX_MAX_CHARS = 600
PAGE_WRAPPER_SHARE = 0.5  # an element holding more than this share of the page's text is no clutter  # a "read also" box is a label and one to five headlines, not a section


def _box_for_label(label: HtmlElement, keep: set[HtmlElement]) -> HtmlElement:
    """Grow from the label to the largest ancestor that is still just the box (short, mostly links)."""
    label_text = text_of(label)
    box = label
    node = label.getparent()
    while node is not None and node not in keep:
        text = text_of(node)
        if len(text) > BOX_MAX_CHARS or _link_density(node, label_text) < 0.5:
            break
        box = node
        node = node.getparent()
    return box


# The first 40 characters of an element's own text → whether its first word could start a label.
_READ_ALSO_STARTS = _Verdicts(lambda head: normalize_label(head).split(" ", 1)[0] in _READ_ALSO_FIRST_WORDS)


def drop_read_also(tree: HtmlElement, keep: set[HtmlElement]) -> int:
    """Remove inline related boxes introduced by a "read also" label, in any markup."""
    removed = 0
    starts = _READ_ALSO_STARTS
    for el in list(tree.iter(etree.Element)):
        # The innermost element carrying a label starts with it in its own text: a cheap test
        # on that text first (most elements have none), before the whole subtree's text is
        # gathered (real pages have thousands of elements).
        head = el.text
        if not head:
            continue
        head = head.strip()
        if not head or not starts[head[:40]]:
            continue
        if el.getparent() is None or el in keep or el.tag in ("html", "body"):
            continue
        own = short_text(el, 300)
        if not own or not is_read_also(own):
            continue
        # Only the innermost element carrying the label starts a box.
        if any(is_read_also(text_of(child)) for child in el):
            continue
        box = _box_for_label(el, keep)
        if box is el and normalize_label(own) in READ_ALSO_LABELS:
            # A bare label ("<h3>Lire aussi</h3>") followed by a list of links as siblings.
            sibling = el.getnext()
            while sibling is not None and sibling not in keep and _link_density(sibling) >= 0.5 and len(text_of(sibling)) <= BOX_MAX_CHARS:
                following = sibling.getnext()
                _remove(sibling)
                sibling = following
        _remove(box)
        removed += 1
    return removed


COMMENTS_AFTER_CHARS = 200  # body text before a "Comments" heading for it to start the thread


def drop_comment_sections(tree: HtmlElement, keep: set[HtmlElement]) -> int:
    """Remove reader comments announced by a heading, whatever the markup below it.

    Inside the protected chain (the heading sits among the article's own paragraphs) the heading
    and everything after it go; elsewhere the heading's nearest block container goes.
    """
    removed = 0
    for el in list(tree.iter("h1", "h2", "h3", "h4", "h5", "h6", "div", "span", "p", "strong", "b", "header", "legend", "label")):
        if el.getparent() is None or el in keep or len(el) > 6:
            continue
        if any(child.tag in ("p", "div", "ul", "ol", "section", "article") for child in el):
            continue
        own = short_text(el, 60)
        if not own or not is_comment_heading(own):
            continue
        anchor = el
        while anchor.getparent() is not None and anchor.getparent() not in keep and text_length(anchor.getparent()) <= len(own) + 5:
            anchor = anchor.getparent()  # climb out of <div><h3>Comments</h3></div>-style wrappers
        container = anchor.getparent()
        if container is None:
            continue
        if container in keep:
            # Inside the article's own container the heading starts the thread, unless no body
            # text precedes it (a "Comments (3)" counter above the first paragraph): then only
            # the heading goes, and the body after it stays.
            before = sum(text_length(s) for s in anchor.itersiblings(preceding=True))
            if before >= COMMENTS_AFTER_CHARS:
                for sibling in list(anchor.itersiblings()):
                    _remove(sibling)
            _remove(anchor)
        else:
            _remove(container)
        removed += 1
    return removed


LABEL_RAW_MAX = 400


def drop_clutter_lines(tree: HtmlElement, keep: set[HtmlElement]) -> int:
    """Remove small elements whose entire text is a widget label ("Publicité", "إغلاق")."""
    removed = 0
    for el in list(tree.iter(etree.Element)):
        children = len(el)
        if children > 4 or el.getparent() is None or el in keep:  # a label has next to no markup
            continue
        # a leaf's whole text is its .text (no child of any kind: len() counts comments, PIs
        # and entities too), read without text_content()'s XPath call
        raw = el.text_content() if children else (el.text or "")
        if len(raw) > LABEL_RAW_MAX:  # no indentation pads a 40-character label this much
            continue
        own = " ".join(raw.split())
        if own and len(own) <= 40 and (normalize_label(own) in CLUTTER_LINE_LABELS or is_weather_line(own)):
            _remove(el)
            removed += 1
    return removed


# A weather widget's whole text: "23 C Marrakech", "مراكش: 22 درجة، غائم جزئيا", "Алматы +5°".
_WEATHER = re.compile(r"[-+−]?\d{1,2}\s*(?:°\s*[CF]?|º|C\b|درجة|градус|gradi|grados|degrés|degrees)", re.I)
WEATHER_MAX_CHARS = 40


def is_weather_line(text: str) -> bool:
    return len(text) <= WEATHER_MAX_CHARS and bool(_WEATHER.search(text))


_DOUBLE_BREAK = re.compile(r"(?:<br\s*/?>\s*){2,}", re.I)
_BLOCKS = frozenset({"p", "div", "section", "article", "ul", "ol", "table", "blockquote", "h1", "h2", "h3", "h4"})


def paragraphs_from_breaks(tree: HtmlElement) -> int:
    """Give ``<br><br>``-separated text real paragraphs.

    Old CMSs (ASP.NET WebForms, early Joomla) emit an article as one ``<span>`` of text broken
    by double ``<br>``; with no paragraphs, trafilatura's precision mode passes it over. Only
    inline-only containers with several double breaks are rebuilt.
    """
    count = 0
    breaks: dict[HtmlElement, int] = {}
    for br in tree.iter("br"):
        parent = br.getparent()
        if parent is not None:
            breaks[parent] = breaks.get(parent, 0) + 1
    if not any(n >= 4 for n in breaks.values()):
        return 0  # no element holds four <br> of its own: nothing to rebuild (most pages)
    for el in list(tree.iter("span", "div", "td", "font")):
        if len(el.findall("br")) < 4 or any(child.tag in _BLOCKS for child in el):
            continue
        inner = (el.text or "") + "".join(etree.tostring(c, encoding="unicode", with_tail=True) for c in el)
        chunks = [c.strip() for c in _DOUBLE_BREAK.split(inner) if c.strip()]
        if len(chunks) < 3:
            continue
        try:
            rebuilt = fragment_fromstring("<div>" + "".join(f"<p>{c}</p>" for c in chunks) + "</div>")
        except (etree.ParserError, ValueError):
            continue
        el.tag, el.text = "div", None
        for child in list(el):
            el.remove(child)
        el.extend(list(rebuilt))
        count += 1
    return count


def unwrap_layout_tables(tree: HtmlElement) -> int:
    """Turn tables used for page layout into plain blocks.

    Old hand-made themes put the whole page in ``<table><tr><td>``; trafilatura then renders the
    article as one table row ("| headline text |"). A table holding headings or real paragraphs
    is layout, not data.
    """
    count = 0
    for table in reversed(tree.xpath("//table")):
        if not table.xpath(".//h1|.//h2|.//h3") and sum(text_length(p) >= 80 for p in table.iter("p")) < 2:
            continue
        for cell in table.xpath(".//td|.//th"):
            cell.tag = "div"
        for part in table.xpath(".//tr|.//tbody|.//thead|.//tfoot"):
            part.drop_tag()
        table.tag = "div"
        count += 1
    return count


def open_article_headers(tree: HtmlElement, body: HtmlElement | None) -> int:
    """Turn the article's own ``<header>`` (inside ``<article>`` or the body container) into a
    plain block.

    Themes put the standfirst ("chapeau", "sottotitolo", excerpt) there, beside the headline;
    trafilatura's precision setting drops every ``<header>`` it meets, and the lead paragraph
    with it. Its byline, date and share bar are removed by the other passes as anywhere else.
    The theme's own page header sits outside the article and is left alone (and is removed
    by :func:`drop_by_markup` when it holds no headline).
    """
    count = 0
    for header in list(tree.iter("header")):
        if any(anc.tag == "article" or anc is body for anc in header.iterancestors()):
            header.tag = "div"
            count += 1
    return count


# The elements trafilatura deletes when empty (``CUT_EMPTY_ELEMS`` in its settings). In precision
# mode it deletes their tail too: an icon (``<i class="fa …"/> Question?``), a stray ``<strong/>``
# or a hidden placeholder ``<div/>`` before a sentence took the sentence with it.
EMPTY_CUT_TAGS = ("article", "b", "blockquote", "dd", "div", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6",
                  "i", "li", "main", "p", "pre", "q", "section", "span", "strong")


def drop_empty_keeping_tails(tree: HtmlElement) -> int:
    """Remove empty elements that are followed by text, moving the text to their parent."""
    doomed = [el for el in tree.iter(*EMPTY_CUT_TAGS)
              if len(el) == 0 and not (el.text and el.text.strip()) and el.tail and el.tail.strip()]
    for el in doomed:
        _remove(el)
    return len(doomed)


_UNSET: Any = object()


def preclean(tree: HtmlElement, body: HtmlElement | None = _UNSET,
             candidates: list[HtmlElement] | None = None) -> dict[str, int]:
    """Run every pass on ``tree`` in place; returns how many elements each pass removed.

    ``body``: :func:`find_body` of ``tree`` when the caller already has it (it is searched once),
    with ``candidates`` the caller's :func:`survey` of the untouched tree if it made one."""
    if body is _UNSET:
        body, candidates = survey(tree)
    keep = _protected(tree, body)
    counts = {
        "article_headers": open_article_headers(tree, body),  # renames <header>s only: all are candidates
        "break_paragraphs": paragraphs_from_breaks(tree),
        "layout_tables": unwrap_layout_tables(tree),
    }
    if counts["break_paragraphs"] or counts["layout_tables"]:
        candidates = None  # elements rebuilt or unwrapped since the survey: every element is judged
    return {
        **counts,
        "markup": drop_by_markup(tree, keep, candidates),
        "read_also": drop_read_also(tree, keep),
        "comments": drop_comment_sections(tree, keep),
        "lines": drop_clutter_lines(tree, keep),
        "empty": drop_empty_keeping_tails(tree),
    }
