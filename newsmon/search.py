"""Search service: the index finds ids, the store supplies the records, snippets mark matches.

Used by `newsmon search` and the web page alike, so both show the same hits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmon.es.config import load_settings as load_es_settings
from newsmon.query import parse, positive_terms
from newsmon.search_index import SearchIndex
from newsmon.snippets import Snippet, make_snippet
from newsmon.store import Store, StoreError
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
