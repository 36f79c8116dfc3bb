"""Search service: the index finds ids, the store supplies the records, snippets mark matches.

Used by `newsmon search` and the web page alike, so both show the same hits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsmon.query import parse, positive_terms
from newsmon.search_index import SearchIndex
from newsmon.snippets import Snippet, make_snippet
from newsmon.store import Store, StoreError


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
            "topics": a["topics"], "matched_terms": a["matched_terms"],
        }


def search(data_dir: str | Path, query: str, *, lang: str | None = None, source: str | None = None,
           since: str | None = None, until: str | None = None, limit: int = 20) -> list[SearchHit]:
    tree = parse(query)  # a malformed query is reported before anything is opened
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
