"""The query tree → Elasticsearch DSL, over the ``terms.*`` language fields.

The user's string is parsed once by luqum (newsmon.query) and this visitor walks the tree;
nothing the user typed reaches ``query_string``, whose syntax (wildcards, fuzziness, regexes, field
expansion) would silently change a query's meaning. It mirrors the embedded index's compiler
clause for clause (both are :class:`newsmon.query.ClauseEmitter`): a word is analyzed once per
language by pipelines.analysis and looked for in that language's fields and the neutral ones;
negations are not widened by Arabic proclitic variants; a word that analyses to nothing puts no
constraint. The same tree therefore gives the same hits on both backends.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

from crawler.discovery import parse_iso
from luqum.tree import Item

from newsmon.query import ClauseEmitter, parse


class DslEmitter(ClauseEmitter):
    """The query tree as Elasticsearch DSL over the ``terms.*`` fields (see
    :class:`newsmon.query.ClauseEmitter`: the tantivy compiler builds the same clauses).
    Override a method in a subclass to change one kind of clause."""

    def all_of(self, must: list[dict[str, Any]], must_not: list[dict[str, Any]]) -> dict[str, Any]:
        body: dict[str, Any] = {"must": must}
        if must_not:
            body["must_not"] = must_not
        return {"bool": body}

    def any_of(self, queries: list[dict[str, Any]]) -> dict[str, Any]:
        return {"bool": {"should": queries, "minimum_should_match": 1}}

    def all_but(self, excluded: list[dict[str, Any]]) -> dict[str, Any]:
        return self.all_of([{"match_all": {}}], excluded)

    def keyword(self, field: str, value: str) -> dict[str, Any]:
        return {"term": {field: value}}

    def tokens(self, kind: str, family: str, tokens: list[str], boost: float) -> dict[str, Any]:
        name = f"terms.{kind}_{family}"
        if len(tokens) == 1:
            return {"term": {name: {"value": tokens[0], "boost": boost}}}
        return {"match_phrase": {name: {"query": " ".join(tokens), "boost": boost}}}

    def starts_with(self, kind: str, start: str, boost: float) -> dict[str, Any]:
        return {"prefix": {f"terms.{kind}_any": {"value": start, "boost": boost}}}


def query_clause(query: str | Item) -> dict[str, Any]:
    """The tree (or a string, parsed first) as one DSL query; match_all when unconstrained."""
    tree = parse(query) if isinstance(query, str) else query
    return DslEmitter().emit(tree) or {"match_all": {}}


def filters(*, lang: str | None = None, source: str | None = None, since: str | None = None,
            until: str | None = None, topic: str | None = None) -> list[dict[str, Any]]:
    """The CLI's filters, as the embedded index applies them (``--until DAY`` includes that day)."""
    out: list[dict[str, Any]] = []
    if lang:
        out.append({"term": {"lang": lang.lower()}})
    if source:
        out.append({"term": {"source": source}})
    if topic:
        out.append({"term": {"topics": topic}})
    lower, upper = parse_iso(since), parse_iso(until)
    if until and upper and len(until.strip()) == 10:
        upper = upper.replace(hour=23, minute=59, second=59)
    if lower or upper:
        rng: dict[str, Any] = {}
        if lower:
            rng["gte"] = _iso(lower)
        if upper:
            rng["lte"] = _iso(upper)
        out.append({"range": {"date": rng}})
    return out


def _iso(moment: Any) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def search_body(query: str | Item, *, lang: str | None = None, source: str | None = None, since: str | None = None,
                until: str | None = None, limit: int = 20, topic: str | None = None) -> dict[str, Any]:
    """The whole ``_search`` body ``newsmon search`` sends."""
    main = query_clause(query)
    flt = filters(lang=lang, source=source, since=since, until=until, topic=topic)
    q: dict[str, Any] = main if not flt else {"bool": {"must": [main], "filter": flt}}
    return {"query": q, "size": limit, "_source": {"excludes": ["terms"]},
            "sort": [{"_score": "desc"}, {"id": "asc"}], "track_total_hits": False}
