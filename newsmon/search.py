"""Search service: the index finds ids, the store supplies the records, snippets mark matches.

Used by `newsmon search` and the web page alike, so both show the same hits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsmon.es.config import load_settings as load_es_settings
from newsmon.query import parse, positive_terms
from newsmon.search_index import Filters, SearchIndex
from newsmon.snippets import Snippet, make_snippet
from newsmon.store import DB_NAME, Store, StoreError
from newsmon.yamlconf import ConfigError


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
            "date_source": a["date_source"], "score": round(self.score, 4),
            "snippet": self.snippet.plain("«", "»"), "snippet_html": self.snippet.html(),
            "topics": a["topics"], "matched_terms": a["matched_terms"], "story_id": a.get("story_id"),
        }


BACKENDS = ("auto", "embedded", "elasticsearch")


def search(data_dir: str | Path, query: str, *, lang: str | None = None, source: str | None = None,
           since: str | None = None, until: str | None = None, limit: int = 20,
           backend: str = "auto") -> list[SearchHit]:
    """``backend``: "auto" uses Elasticsearch when it is configured (NEWSMON_ES_URL or the
    ``elasticsearch:`` settings block), the embedded index otherwise."""
    tree = parse(query)  # a malformed query is reported before anything is opened
    settings = load_es_settings() if backend != "embedded" else None
    if backend == "elasticsearch" and settings is None:
        raise ConfigError("--backend elasticsearch: Elasticsearch is not configured (set NEWSMON_ES_URL)")
    if settings is not None:
        # deferred: only a configured cluster pays for importing the client (~0.4 s)
        from newsmon.es.client import connect
        from newsmon.es.search import es_search

        terms = positive_terms(tree)
        with connect(settings) as conn:
            pairs = es_search(conn, tree, lang=lang, source=source, since=since, until=until, limit=limit)
        return [SearchHit(a, score, make_snippet(a["text"], a["lang"], terms)) for a, score in pairs]
    data_dir = Path(data_dir)
    if not (data_dir / "index").exists():
        raise StoreError(f"{data_dir}: no search index yet (run `newsmon crawl`, `newsmon demo` or `newsmon reindex`)")
    index = SearchIndex(data_dir / "index")
    hits = index.search(tree, lang=lang, source=source, since=since, until=until, limit=limit)
    terms = positive_terms(tree)
    with Store(data_dir, readonly=True) as store:
        articles = store.get_articles([h.id for h in hits])
    out = []
    for hit in hits:
        article = articles.get(hit.id)
        if article is None:  # indexed but gone from the store: the store is the record
            continue
        out.append(SearchHit(article, hit.score, make_snippet(article["text"], article["lang"], terms)))
    return out


SORTS = ("relevance", "date")


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


def search_page(data_dir: str | Path, query: str, filters: Filters | None = None, *, sort: str = "relevance",
                page: int = 1, per_page: int = 20, with_facets: bool = True,
                index: SearchIndex | None = None) -> SearchPage:
    """A page of embedded-index results, with the total, facet counts, mentions per day and
    language, and the size of each hit's story. Raises QueryError on a malformed query.
    ``index``: an already open (read-only) index of ``data_dir``, reused by a long-running server."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    tree = parse(query)
    filters = filters or Filters()
    data_dir = Path(data_dir)
    if index is None:
        index = open_index(data_dir)
    page = max(1, page)
    total, hits = index.page(tree, filters, offset=(page - 1) * per_page, limit=per_page, sort=sort)
    facets = index.facets(tree, filters) if with_facets else {}
    terms = positive_terms(tree)
    with Store(data_dir, readonly=True) as store:
        articles = store.get_articles([h.id for h in hits])
        stories = sorted({a["story_id"] for a in articles.values() if a.get("story_id")})
        sizes = story_sizes(store, stories)
    out = [SearchHit(articles[h.id], h.score, make_snippet(articles[h.id]["text"], articles[h.id]["lang"], terms))
           for h in hits if h.id in articles]
    return SearchPage(total, out, page, per_page, facets, sizes)


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
