"""`newsmon search` on Elasticsearch: same tree, same filters, same hits and result shape.

The records come from the documents' ``_source`` (a worker machine may have no local copy of
the store); newsmon.search computes the snippet from that text exactly as for the embedded
index, so a highlight is what made the document match.
"""

from __future__ import annotations

from typing import Any

from newsmon.es.client import Connection, explain
from newsmon.es.dsl import search_body
from newsmon.es.errors import EsError
from newsmon.es.mapping import document_article
from luqum.tree import Item

from newsmon.query import parse


def es_search(conn: Connection, query: str | Item, *, lang: str | None = None, source: str | None = None,
              since: str | None = None, until: str | None = None, limit: int = 20) -> list[tuple[dict[str, Any], float]]:
    """(article, score) pairs, best first; newsmon.search adds the snippets."""
    node = parse(query) if isinstance(query, str) else query
    body = search_body(node, lang=lang, source=source, since=since, until=until, limit=limit)
    try:
        result = conn.client.search(index=conn.settings.block.alias, **body).body
    except Exception as exc:
        raise EsError(explain(exc, conn.settings, "search")) from None
    return [(document_article(raw.get("_source") or {}), float(raw.get("_score") or 0.0))
            for raw in result.get("hits", {}).get("hits", [])]
