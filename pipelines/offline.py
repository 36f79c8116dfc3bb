"""Run one page through the crawl's own stages, without a crawler.

``newsmon extract``, the extraction benchmark and tests must see exactly the record a crawl would
store, so this module holds no logic of its own: it builds the :class:`pipelines.items.Article` the
spider would build and passes it through the same stage classes, constructed directly, in the
order ``settings`` gives them (extract → dates → language → relevance).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from scrapy.exceptions import DropItem

from pipelines.items import Article
from pipelines.extract import ExtractPipeline, decode_html

DEFAULT_TOPICS = Path(__file__).resolve().parents[1] / "settings" / "topics.yaml"
HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "text/plain")
BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"RIFF", b"OggS", b"ID3")


class Stage(Protocol):
    def process_item(self, item: Article) -> Article: ...


def looks_binary(body: bytes) -> bool:
    """Known binary signatures, or NUL bytes early on (UTF-16 pages start with a BOM, handled)."""
    head = body[:1024]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return head.startswith(BINARY_MAGIC) or b"\x00" in head


def build_stages(topics: list | None = None, keep_all: bool = True, stats: Any = None,
                 extract: ExtractPipeline | None = None) -> list[Stage]:
    """The crawl's stages in crawl order, built once (the language model and topics load here).

    ``topics=None`` loads ``settings/topics.yaml``.
    """
    from pipelines.dates import DatesPipeline
    from pipelines.language import LanguagePipeline
    from pipelines.relevance import RelevancePipeline

    if topics is None:
        from pipelines.topics import load_topics

        topics = load_topics(DEFAULT_TOPICS)
    return [
        extract or ExtractPipeline(stats=stats),
        LanguagePipeline(stats=stats),
        DatesPipeline(),
        RelevancePipeline(topics, keep_all, stats),
    ]


def process_page(body: bytes, url: str, content_type: str | None = None, *, tz: str = "UTC",
                 lang: str | None = None, locale: str | None = None, fetched_at: datetime | None = None,
                 topics: list | None = None, keep_all: bool = True,
                 stages: Sequence[Stage] | None = None) -> dict:
    """One fetched page → the record a crawl would store, as a plain dict without ``html``.

    Raises :class:`scrapy.exceptions.DropItem` (message ``"<reason>: <url>"``) where the crawl
    would drop the page: not HTML, too large, not an article, body too short. ``stages`` lets a
    caller processing many pages build them once with :func:`build_stages`.
    """
    stages = list(stages) if stages is not None else build_stages(topics, keep_all)
    extract_stage = next((s for s in stages if isinstance(s, ExtractPipeline)), None)
    max_bytes = extract_stage.max_page_bytes if extract_stage else None
    if max_bytes is not None and len(body) > max_bytes:
        raise DropItem(f"page larger than {max_bytes} bytes ({len(body)}): {url}")
    if not body.strip():
        raise DropItem(f"empty page: {url}")
    mime = (content_type or "").split(";")[0].strip().lower()
    if (mime and mime not in HTML_TYPES) or looks_binary(body):
        raise DropItem(f"not an HTML page ({mime or 'binary content'}): {url}")
    item = Article(
        url=url,
        request_url=url,
        html=decode_html(body, content_type),
        content_type=content_type,
        http_status=200,
        fetched_at=fetched_at or datetime.now(timezone.utc),
        source_timezone=tz,
        source_language=lang,
        source_locale=locale or lang,
        discovered_via="cli",
    )
    for stage in stages:
        item = stage.process_item(item)
    record = dict(item)
    record.pop("html", None)
    return record
