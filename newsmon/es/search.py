"""Searching on Elasticsearch: same tree, same filters, same hits, totals and facets as the
embedded index (:class:`EsBackend` implements newsmon.search_types.SearchBackend).

The records come from the documents' ``_source`` (a worker machine may have no local copy of
the store). ``newsmon search`` computes each snippet from that text exactly as for the embedded
index. The search page asks Elasticsearch for facets (``terms`` aggregations, each under every
filter but its own, the hits narrowed by ``post_filter``), mentions per day and language
(``date_histogram`` with a ``terms`` on ``lang``) and a highlighted fragment of ``text.std``.

Highlight output is crawled text and therefore untrusted: the request asks for two private-use
characters as tags (never HTML), the fragment is cut at them into (text, matched) pieces, and
:meth:`newsmon.snippets.Snippet.html` escapes every piece before wrapping matches in <mark>.
A stray marker character inside crawled text can at worst move a highlight, never add markup.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from luqum.tree import Item

from newsmon.es.client import Connection, explain
from newsmon.es.dsl import filters as dsl_filters
from newsmon.es.dsl import query_clause, search_body
from newsmon.es.errors import EsError
from newsmon.es.mapping import document_article
from newsmon.query import QueryTerm, parse, positive_terms
from newsmon.search_types import FACET_SIZE, FACETS, SORTS, Filters, SearchHit, SearchPage
from newsmon.snippets import WINDOW_CHARS, Snippet, make_snippet
from pipelines import analysis

OPEN, CLOSE = "\ue000", "\ue001"  # highlight tags: private-use characters, never markup
_MARKERS = re.compile(f"([{OPEN}{CLOSE}])")
FACET_FIELDS = {"lang": "lang", "source": "source", "topic": "topics"}
MIN_STEM_PREFIX = 4  # a stem shorter than this would light up unrelated words
STORY_MEMBERS = 100
MAX_ANALYZED = 999_999  # below index.highlight.max_analyzed_offset's default


def es_search(conn: Connection, query: str | Item, *, lang: str | None = None, source: str | None = None,
              since: str | None = None, until: str | None = None, limit: int = 20,
              topic: str | None = None) -> list[tuple[dict[str, Any], float]]:
    """(article, score) pairs, best first; the caller adds the snippets."""
    node = parse(query) if isinstance(query, str) else query
    body = search_body(node, lang=lang, source=source, since=since, until=until, limit=limit, topic=topic)
    result = _search(conn, body)
    return [(document_article(raw.get("_source") or {}), float(raw.get("_score") or 0.0))
            for raw in result.get("hits", {}).get("hits", [])]


def _search(conn: Connection, body: dict[str, Any], what: str = "search") -> dict[str, Any]:
    try:
        return conn.client.search(index=conn.settings.block.alias, **body).body
    except Exception as exc:
        raise EsError(explain(exc, conn.settings, what)) from None


def _all(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def _filter_list(filters: Filters) -> list[dict[str, Any]]:
    return dsl_filters(lang=filters.lang, source=filters.source, since=filters.since, until=filters.until,
                       topic=filters.topic)


def highlight_query(terms: list[QueryTerm]) -> dict[str, Any] | None:
    """What to light up in ``text.std`` (the original text under the standard analyzer, which
    only lowercases): each word as typed, each phrase, each ``prefix*``, and each word's stem in
    every language as a prefix ("marocaines" → "marocain…"), a close stand-in for the stemming
    that made the document match. None when the query asks for no word of the text."""
    should: list[dict[str, Any]] = []
    seen: set[str] = set()

    def prefix(value: str) -> None:
        if value not in seen:
            seen.add(value)
            should.append({"prefix": {"text.std": {"value": value}}})

    for term in terms:
        if term.field not in (None, "text"):
            continue
        if term.prefix:
            prefix(term.text.lower())
        elif term.phrase or len(term.text.split()) > 1:
            should.append({"match_phrase": {"text.std": {"query": term.text}}})
        else:
            should.append({"match": {"text.std": {"query": term.text}}})
            for lang in analysis.LANGUAGES:
                for variant in analysis.query_variants(term.text, lang, expand=False):
                    if len(variant) == 1 and len(variant[0]) >= MIN_STEM_PREFIX:
                        prefix(variant[0])
    if not should:
        return None
    return {"bool": {"should": should, "minimum_should_match": 1}}


def page_body(tree: Item, filters: Filters, *, sort: str, offset: int, size: int, with_facets: bool,
              terms: list[QueryTerm]) -> dict[str, Any]:
    """The ``_search`` body of one result page: hits narrowed by every filter (``post_filter``,
    so the aggregations see the query alone and apply the filters they need), facets, the day
    histogram and the highlight."""
    every = _filter_list(filters)
    body: dict[str, Any] = {
        "query": query_clause(tree), "from": offset, "size": size, "track_total_hits": True,
        "_source": {"excludes": ["terms"]},
        "sort": ([{"_score": "desc"}, {"id": "asc"}] if sort == "relevance"
                 else [{"date": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]),
    }
    if every:
        body["post_filter"] = _all(every)
    if with_facets:
        aggs: dict[str, Any] = {}
        for facet in FACETS:
            aggs[facet] = {"filter": _all(_filter_list(filters.without(facet))),
                           "aggs": {"values": {"terms": {"field": FACET_FIELDS[facet], "size": FACET_SIZE}}}}
        aggs["days"] = {"filter": _all(every), "aggs": {"per_day": {
            "date_histogram": {"field": "date", "calendar_interval": "day", "min_doc_count": 1,
                               "format": "yyyy-MM-dd"},
            "aggs": {"lang": {"terms": {"field": "lang", "size": FACET_SIZE, "missing": "?"}}}}}}
        body["aggs"] = aggs
    wanted = highlight_query(terms)
    if wanted is not None:
        body["highlight"] = {
            # past the index's max_analyzed_offset (1,000,000 characters) ES would fail the whole
            # search; with this it highlights the text up to there
            "pre_tags": [OPEN], "post_tags": [CLOSE], "encoder": "default", "max_analyzed_offset": MAX_ANALYZED,
            "fields": {"text.std": {"type": "unified", "fragment_size": WINDOW_CHARS, "number_of_fragments": 1,
                                    "no_match_size": WINDOW_CHARS, "highlight_query": wanted}}}
    return body


def fragment_snippet(fragment: str, text: str) -> Snippet:
    """An Elasticsearch highlight fragment (tags OPEN/CLOSE) as snippet pieces; "…" where the
    fragment does not reach the text's start or end. Nothing in it is trusted or markup."""
    parts: list[tuple[str, bool]] = []
    inside = False
    for piece in _MARKERS.split(fragment):
        if piece == OPEN:
            inside = True
        elif piece == CLOSE:
            inside = False
        elif piece:
            parts.append((piece.replace("\n", " "), inside))
    plain = "".join(p for p, _ in parts)
    core = plain.strip()
    if core and not text.lstrip().startswith(core[:40]):
        parts.insert(0, ("…", False))
    if core and not text.rstrip().endswith(core[-40:]):
        parts.append((" …" if core[-1] in ".!?…" else "…", False))
    return Snippet(tuple(parts))


def _day(bucket: dict[str, Any]) -> str:
    key = bucket.get("key")
    if isinstance(key, (int, float)):
        return datetime.fromtimestamp(key / 1000, timezone.utc).date().isoformat()
    return str(bucket.get("key_as_string", ""))[:10]


def read_facets(aggs: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {facet: {b["key"]: int(b["doc_count"]) for b in aggs[facet]["values"]["buckets"]
                                   if b["key"] != ""} for facet in FACETS}
    days: dict[str, dict[str, int]] = {}
    for bucket in aggs["days"]["per_day"]["buckets"]:
        if bucket["doc_count"]:
            days[_day(bucket)] = {b["key"] or "?": int(b["doc_count"]) for b in bucket["lang"]["buckets"]}
    out["days"] = days
    return out


class EsBackend:
    """The search backend on an Elasticsearch 8.x/9.x cluster (newsmon.search_types.SearchBackend).
    ``data_dir`` is only named in messages: everything is read from the cluster."""

    name = "elasticsearch"

    def __init__(self, conn: Connection, data_dir: Path | None = None):
        self.conn = conn
        self.data_dir = data_dir

    def describe(self) -> str:
        return f"{self.conn.describe()}, alias {self.conn.settings.block.alias}"

    @property
    def version(self) -> str:
        return self.conn.version

    def hits(self, tree: Item, filters: Filters, limit: int) -> list[SearchHit]:
        terms = positive_terms(tree)
        pairs = es_search(self.conn, tree, lang=filters.lang, source=filters.source, since=filters.since,
                          until=filters.until, limit=limit, topic=filters.topic)
        return [SearchHit(a, score, make_snippet(a["text"], a["lang"], terms)) for a, score in pairs]

    def page(self, tree: Item, filters: Filters, *, sort: str = "relevance", page: int = 1, per_page: int = 20,
             with_facets: bool = True) -> SearchPage:
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}")
        page = max(1, page)
        terms = positive_terms(tree)
        body = page_body(tree, filters, sort=sort, offset=(page - 1) * per_page, size=per_page,
                         with_facets=with_facets, terms=terms)
        result = _search(self.conn, body)
        total_info = result.get("hits", {}).get("total") or {}
        total = int(total_info.get("value", 0) if isinstance(total_info, dict) else total_info)
        hits = []
        for raw in result.get("hits", {}).get("hits", []):
            article = document_article(raw.get("_source") or {})
            fragments = (raw.get("highlight") or {}).get("text.std") or []
            snippet = fragment_snippet(fragments[0], article["text"]) if fragments else None
            if snippet is None or not any(m for _, m in snippet.parts):
                # nothing lit up (no query word, or a match only through stemming or the title):
                # the snippet the embedded index would show, from the same text
                snippet = make_snippet(article["text"], article["lang"], terms)
            score = float(raw.get("_score") or 0.0) if sort == "relevance" else 0.0
            hits.append(SearchHit(article, score, snippet))
        facets = read_facets(result.get("aggregations") or {}) if with_facets else {}
        stories = sorted({h.article["story_id"] for h in hits if h.article.get("story_id")})
        return SearchPage(total, hits, page, per_page, facets, self.story_sizes(stories))

    def story_sizes(self, story_ids: list[str]) -> dict[str, int]:
        if not story_ids:
            return {}
        body = {"size": 0, "track_total_hits": False, "query": {"terms": {"story_id": story_ids}},
                "aggs": {"stories": {"terms": {"field": "story_id", "size": len(story_ids)}}}}
        buckets = _search(self.conn, body, "story sizes")["aggregations"]["stories"]["buckets"]
        return {b["key"]: int(b["doc_count"]) for b in buckets}

    def article(self, article_id: str) -> dict[str, Any] | None:
        found = _search(self.conn, {"query": {"ids": {"values": [article_id]}}, "size": 1,
                                    "_source": {"excludes": ["terms"]}}, "read article")
        raw = found.get("hits", {}).get("hits", [])
        if not raw:
            return None
        article = document_article(raw[0].get("_source") or {})
        members: list[dict[str, Any]] = []
        if article.get("story_id"):
            story = _search(self.conn, {"query": {"term": {"story_id": article["story_id"]}}, "size": STORY_MEMBERS,
                                        "_source": {"excludes": ["terms", "text"]},
                                        "sort": [{"date": {"order": "asc", "missing": "_last"}}, {"id": "asc"}]},
                            "read story")
            members = [document_article(h.get("_source") or {}) for h in story.get("hits", {}).get("hits", [])]
        article["story"] = [{"id": m["id"], "title": m["title"], "source": m["source"], "lang": m["lang"],
                             "published_at": m["published_at"], "url": m["url"]}
                            for m in members if m["id"] != article_id]
        article["story_size"] = len(members) or 1
        return article

    def close(self) -> None:
        self.conn.close()
