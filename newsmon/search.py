"""Search service: one interface (:class:`newsmon.search_types.SearchBackend`), two backends.

The embedded backend: the tantivy index finds ids, the SQLite store supplies the records,
snippets mark matches. The Elasticsearch backend (newsmon.es.search.EsBackend) answers the same
calls from the cluster. ``open_backend`` picks one ("auto": Elasticsearch when it is configured).
Used by `newsmon search` and by `newsmon serve` (the page and /api/search) alike, so both show
the same hits.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from luqum.tree import Item

from newsmon.es.config import load_settings as load_es_settings
from newsmon.query import parse, positive_terms
from newsmon.search_index import SearchIndex
from newsmon.search_types import SORTS, Filters, SearchBackend, SearchHit, SearchPage
from newsmon.snippets import make_snippet
from newsmon.store import DB_NAME, Store, StoreError
from newsmon.stories import story_members
from newsmon.yamlconf import ConfigError

__all__ = ["BACKENDS", "SORTS", "EmbeddedBackend", "Filters", "SearchBackend", "SearchHit", "SearchPage",
           "index_gap", "open_backend", "open_index", "search", "search_page", "story_sizes"]

BACKENDS = ("auto", "embedded", "elasticsearch")


class EmbeddedBackend:
    """tantivy + SQLite. The index is opened (read-only) on first use and reloaded by each search,
    so a long-running server sees what crawls add."""

    name = "embedded"

    def __init__(self, data_dir: str | Path, index: SearchIndex | None = None):
        self.data_dir = Path(data_dir)
        self._index = index
        self._lock = threading.Lock()

    def describe(self) -> str:
        return f"the embedded index in {self.data_dir}"

    def index(self) -> SearchIndex:
        with self._lock:
            if self._index is None:
                self._index = open_index(self.data_dir)
            return self._index

    def hits(self, tree: Item, filters: Filters, limit: int) -> list[SearchHit]:
        found = self.index().page(tree, filters, limit=limit)[1]
        terms = positive_terms(tree)
        with Store(self.data_dir, readonly=True) as store:
            articles = store.get_articles([h.id for h in found])
        # indexed but gone from the store: the store is the record
        return [SearchHit(articles[h.id], h.score, make_snippet(articles[h.id]["text"], articles[h.id]["lang"], terms))
                for h in found if h.id in articles]

    def page(self, tree: Item, filters: Filters, *, sort: str = "relevance", page: int = 1, per_page: int = 20,
             with_facets: bool = True) -> SearchPage:
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        index = self.index()
        page = max(1, page)
        total, found = index.page(tree, filters, offset=(page - 1) * per_page, limit=per_page, sort=sort)
        facets = index.facets(tree, filters) if with_facets else {}
        terms = positive_terms(tree)
        with Store(self.data_dir, readonly=True) as store:
            articles = store.get_articles([h.id for h in found])
            stories = sorted({a["story_id"] for a in articles.values() if a.get("story_id")})
            sizes = story_sizes(store, stories)
        out = [SearchHit(articles[h.id], h.score, make_snippet(articles[h.id]["text"], articles[h.id]["lang"], terms))
               for h in found if h.id in articles]
        return SearchPage(total, out, page, per_page, facets, sizes)

    def article(self, article_id: str) -> dict[str, Any] | None:
        return stored_article(self.data_dir, article_id)

    def close(self) -> None:
        self._index = None


def stored_article(data_dir: Path, article_id: str) -> dict[str, Any] | None:
    """An article of the SQLite store with its story's other members (``story``), or None."""
    with Store(data_dir, readonly=True) as store:
        article = store.get_article(article_id)
        if article is None:
            return None
        members = story_members(store, article["story_id"]) if article.get("story_id") else []
    article["story"] = [
        {"id": m["id"], "title": m["title"], "source": m["source"], "lang": m["lang"],
         "published_at": m["published_at"], "url": m["url"]}
        for m in members if m["id"] != article_id]
    article["story_size"] = len(members) or 1
    return article


def open_backend(data_dir: str | Path, backend: str = "auto") -> SearchBackend:
    """The backend to search: ``"auto"`` is Elasticsearch when it is configured (NEWSMON_ES_URL
    or the ``elasticsearch:`` settings block), the embedded index otherwise. Connecting to the
    cluster happens here, so an unreachable one is reported before any search."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}")
    settings = load_es_settings() if backend != "embedded" else None
    if backend == "elasticsearch" and settings is None:
        raise ConfigError("--backend elasticsearch: Elasticsearch is not configured (set NEWSMON_ES_URL)")
    if settings is not None:
        # deferred: only a configured cluster pays for importing the client (~0.4 s)
        from newsmon.es.client import connect  # noqa: PLC0415
        from newsmon.es.search import EsBackend  # noqa: PLC0415

        return EsBackend(connect(settings), Path(data_dir))
    return EmbeddedBackend(data_dir)


def search(data_dir: str | Path, query: str, *, lang: str | None = None, source: str | None = None,
           since: str | None = None, until: str | None = None, limit: int = 20,
           backend: str = "auto", topic: str | None = None) -> list[SearchHit]:
    """The best ``limit`` hits of ``query`` (``newsmon search``), from the backend ``open_backend``
    picks. Raises QueryError on a malformed query before anything is opened."""
    tree = parse(query)
    chosen = open_backend(data_dir, backend)
    try:
        return chosen.hits(tree, Filters(lang, source, topic, since, until), limit)
    finally:
        chosen.close()


def search_page(data_dir: str | Path, query: str, filters: Filters | None = None, *, sort: str = "relevance",
                page: int = 1, per_page: int = 20, with_facets: bool = True,
                index: SearchIndex | None = None) -> SearchPage:
    """A page of embedded-index results (see :meth:`EmbeddedBackend.page`). Raises QueryError on
    a malformed query. ``index``: an already open (read-only) index of ``data_dir``."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    tree = parse(query)
    return EmbeddedBackend(data_dir, index).page(tree, filters or Filters(), sort=sort, page=page,
                                                 per_page=per_page, with_facets=with_facets)


def open_index(data_dir: Path) -> SearchIndex:
    """The embedded index of ``data_dir``, read-only; StoreError when there is none yet."""
    if not (data_dir / "index").exists():
        raise StoreError(f"{data_dir}: no search index yet (run `newsmon crawl`, `newsmon demo` or `newsmon reindex`)")
    return SearchIndex(data_dir / "index")


def story_sizes(store: Store, story_ids: list[str]) -> dict[str, int]:
    if not story_ids:
        return {}
    marks = ",".join("?" * len(story_ids))
    rows = store.db.execute(f"SELECT story_id, COUNT(*) FROM articles WHERE story_id IN ({marks}) GROUP BY story_id",
                            story_ids).fetchall()
    return {r[0]: int(r[1]) for r in rows}


def index_gap(data_dir: str | Path) -> tuple[int, int] | None:
    """(documents in the index, articles the store says were indexed) when the index holds fewer:
    a deleted or replaced index directory, which ``newsmon reindex`` (or the next crawl) repairs."""
    data_dir = Path(data_dir)
    if not (data_dir / DB_NAME).exists():  # searching a cluster from a machine without a store
        return None
    with Store(data_dir, readonly=True) as store:
        expected = store.count_articles() - store.db.execute(
            "SELECT COUNT(DISTINCT article_id) FROM outbox WHERE indexed_at IS NULL").fetchone()[0]
    have = SearchIndex(data_dir / "index").count()
    return (have, expected) if have < expected else None
