"""One page → one article: the single path every caller takes.

The spider's item pipeline (:mod:`crawler.itempipelines`), ``newsmon extract``, the benchmarks
and any batch job call :func:`process_page`, so an offline figure is a crawl figure. The page is
decoded and parsed once; extraction cleans a copy of the tree, and the dates stage reads the
pristine one. The stages run in one order, here and nowhere else::

    guard (size, empty, not HTML) → extract → language → dates → relevance

Nothing here touches the network, a database or Scrapy: what a stage decides is returned in
:class:`PageResult` (the article, or why it was dropped, and the counters to add to the run's
stats).
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pipelines.dates import DatesStage
from pipelines.extract import EXTRACT_TIMEOUT, MAX_PAGE_BYTES, MIN_TEXT_CHARS, ExtractStage
from pipelines.html import decode_html, is_html, parse
from pipelines.items import Article, Dropped
from pipelines.language import MIN_CONFIDENCE, LanguageDetector, LanguageStage
from pipelines.relevance import RelevanceStage
from pipelines.topics import Topic


class Counts(Counter):
    """Stage counters, with the ``inc_value`` of a Scrapy stats collector."""

    def inc_value(self, key: str, count: int = 1, start: int = 0) -> None:
        self[key] += count


@dataclass
class Hints:
    """What the fetcher knows about a page besides its bytes (all optional)."""

    content_type: str | None = None
    request_url: str | None = None
    origin_url: str | None = None
    source: str | None = None
    language: str | None = None
    locale: str | None = None
    timezone: str = "UTC"
    fetched_at: datetime | None = None
    http_status: int = 200
    discovered_via: str | None = None
    feed_date: str | None = None
    feed_title: str | None = None
    max_age_days: int | None = None
    overrides: dict[str, Any] | None = None


@dataclass
class PageResult:
    article: Article | None  # None when dropped
    dropped: Dropped | None = None
    counts: Counts = field(default_factory=Counts)
    # With ``PageProcessor(keep_found=True)``: a dropped page's title, text, language and date
    # when extraction found text (a page classified as a listing, a body too short), shown by
    # ``extract --batch`` beside the verdict, never stored.
    partial: Article | None = None

    def record(self) -> dict[str, Any]:
        """The article as a plain dict without the raw page (what ``newsmon extract`` prints)."""
        if self.article is None:
            raise self.dropped or ValueError("no article")
        return {k: v for k, v in self.article.items() if k != "html"}

    def found(self) -> dict[str, Any]:
        """What extraction found, kept or not: the article's record, a dropped page's partial
        record, or an empty dict."""
        page = self.article if self.article is not None else self.partial
        return {k: v for k, v in page.items() if k != "html"} if page is not None else {}


class PageProcessor:
    """The stages, built once per process (the language model and the topics load here)."""

    def __init__(self, topics: list[Topic], *, keep_all: bool = False, min_text_chars: int = MIN_TEXT_CHARS,
                 max_page_bytes: int = MAX_PAGE_BYTES, extract_timeout: float = EXTRACT_TIMEOUT,
                 lang_min_confidence: float = MIN_CONFIDENCE, keep_found: bool = False) -> None:
        """``keep_found``: a page dropped after extraction found text keeps it (``PageResult.partial``),
        for ``extract --batch`` and the benchmarks; the crawl, which never stores it, skips that work."""
        self.max_page_bytes = max_page_bytes
        self.keep_found = keep_found
        self.extract = ExtractStage(min_text_chars, max_page_bytes, extract_timeout, keep_found=keep_found)
        self.language = LanguageStage(detector=LanguageDetector(lang_min_confidence))
        self.dates = DatesStage()
        self.relevance = RelevanceStage(topics, keep_all)

    def __call__(self, page: bytes | str, url: str, hints: Hints | None = None) -> PageResult:
        return process_page(page, url, hints, self)


def _article(html: str, url: str, hints: Hints) -> Article:
    return Article(
        url=url,
        request_url=hints.request_url or url,
        origin_url=hints.origin_url or url,
        source=hints.source,
        source_language=hints.language,
        source_locale=hints.locale or hints.language,
        source_timezone=hints.timezone,
        fetched_at=hints.fetched_at or datetime.now(timezone.utc),
        html=html,
        http_status=hints.http_status,
        content_type=hints.content_type,
        discovered_via=hints.discovered_via,
        feed_date=hints.feed_date,
        feed_title=hints.feed_title,
        max_age_days=hints.max_age_days,
        overrides=hints.overrides,
    )


def process_page(page: bytes | str, url: str, hints: Hints | None, stages: PageProcessor) -> PageResult:
    """Run one fetched page through every stage; never raises for a bad page.

    ``page`` is the body as fetched (bytes, decoded here by the HTTP charset, BOM, ``<meta>``
    or detection) or already-decoded text.
    """
    hints = hints or Hints()
    counts = Counts()
    for stage in (stages.extract, stages.language, stages.dates, stages.relevance):
        stage.stats = counts
    size = len(page) if isinstance(page, bytes) else None
    item: Article | None = None
    pristine = None
    extracted = False
    try:
        if size is not None and size > stages.max_page_bytes:
            counts.inc_value("newsmon/extract/too-large")
            raise Dropped("too_large", url, message=f"page larger than {stages.max_page_bytes} bytes ({size}): {url}")
        if not (page.strip() if isinstance(page, (bytes, str)) else page):
            counts.inc_value("newsmon/extract/empty")
            raise Dropped("empty", url, message=f"empty page: {url}")
        if isinstance(page, bytes):
            if not is_html(hints.content_type, page):
                kind = (hints.content_type or "").split(";")[0].strip() or "binary content"
                counts.inc_value("newsmon/extract/non-html")
                raise Dropped("not_html", url, message=f"not an HTML page ({kind}): {url}")
            html = decode_html(page, hints.content_type)
        else:
            html = page
        item = _article(html, url, hints)
        tree = parse(html, decoded=isinstance(page, bytes))
        pristine = copy.deepcopy(tree) if tree is not None else None  # extraction cleans its tree in place
        item = stages.extract.process_item(item, tree, pristine)
        extracted = True
        item = stages.language.process_item(item)
        item = stages.dates.process_item(item, pristine)
        item = stages.relevance.process_item(item)
    except Dropped as dropped:
        return PageResult(None, dropped, counts,
                          _partial(item, extracted, pristine, stages) if stages.keep_found else None)
    return PageResult(item, None, counts)


def _partial(item: Article | None, extracted: bool, pristine: Any, stages: PageProcessor) -> Article | None:
    """A dropped page's record, when extraction found text: dropped by the extract stage (a
    listing, a body too short), its language and date are read too, with counters of their own
    (the run's stats count the drop, not the stages a dropped page never went through)."""
    if item is None or not item.get("text"):
        return None
    if not extracted:
        scratch = Counts()
        stages.language.stats = stages.dates.stats = scratch
        try:
            item = stages.dates.process_item(stages.language.process_item(item), pristine)
        except Dropped:
            pass
    item.pop("html", None)
    return item
