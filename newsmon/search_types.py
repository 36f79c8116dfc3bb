"""What every search backend speaks: filters in, hits and result pages out.

The embedded index (tantivy + SQLite, ``newsmon.search.EmbeddedBackend``) and Elasticsearch
(``newsmon.es.search.EsBackend``) both implement :class:`SearchBackend`, so ``newsmon search``,
the search page and ``/api/search`` show the same hits, totals and facets whichever answers.
Kept apart from both implementations so that neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from luqum.tree import Item

from newsmon.snippets import Snippet

SORTS = ("relevance", "date")
FACETS = ("lang", "source", "topic")
FACET_SIZE = 50  # values per facet


@dataclass(frozen=True)
class Filters:
    """What a search is narrowed to besides its query (None: no constraint)."""
    lang: str | None = None
    source: str | None = None
    topic: str | None = None
    since: str | None = None
    until: str | None = None

    def without(self, name: str) -> "Filters":
        return replace(self, **{name: None})


@dataclass
class SearchHit:
    article: dict[str, Any]
    score: float
    snippet: Snippet

    def to_json(self) -> dict[str, Any]:
        a = self.article
        return {
            "id": a["id"], "url": a["url"], "canonical_url": a["canonical_url"], "title": a["title"],
            "source": a["source"], "lang": a["lang"], "published_at": a["published_at"],
            "published_utc": a.get("published_utc"),
            "date_source": a["date_source"], "score": round(self.score, 4),
            "snippet": self.snippet.plain("«", "»"), "snippet_html": self.snippet.html(),
            "topics": a["topics"], "matched_terms": a["matched_terms"], "story_id": a.get("story_id"),
        }


@dataclass
class SearchPage:
    """One page of results with what a search page shows beside them."""
    total: int
    hits: list[SearchHit]
    page: int
    per_page: int
    facets: dict[str, Any] = field(default_factory=dict)  # lang/source/topic: {value: count}; days
    story_sizes: dict[str, int] = field(default_factory=dict)  # story id → stored articles in it

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class SearchBackend(Protocol):
    """A place to search. ``name`` is "embedded" or "elasticsearch"; ``describe()`` says which
    server or index answers. Methods raise newsmon.query.QueryError never (the caller parses),
    StoreError / IndexError_ / EsError when the backend cannot answer."""

    name: str

    def describe(self) -> str: ...

    def hits(self, tree: Item, filters: Filters, limit: int) -> list[SearchHit]:
        """The best ``limit`` hits, best first, with snippets (``newsmon search``)."""
        ...

    def page(self, tree: Item, filters: Filters, *, sort: str = "relevance", page: int = 1, per_page: int = 20,
             with_facets: bool = True) -> SearchPage:
        """One page of hits with the total, the facet counts (each facet under every filter but
        its own), mentions per UTC day and language (``facets["days"]``, under all filters)
        and the size of each hit's story."""
        ...

    def article(self, article_id: str) -> dict[str, Any] | None:
        """One article as the article page shows it (with ``story``: the other members), or None."""
        ...

    def close(self) -> None: ...
