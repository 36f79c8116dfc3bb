"""The query tree → Elasticsearch DSL, over the ``terms.*`` language fields.

The user's string is parsed once (newsmon.query) and this visitor walks the tree; nothing the
user typed reaches ``query_string``, whose syntax (wildcards, fuzziness, regexes, field
expansion) would silently change a query's meaning. It mirrors the embedded index's compiler
clause for clause (``newsmon.search_index.SearchIndex._compile``): a word is analyzed once per
language by pipelines.analysis and looked for in that language's fields and the neutral ones;
negations are not widened by Arabic proclitic variants; a word that analyses to nothing puts no
constraint. The same tree therefore gives the same hits on both backends.
"""

from __future__ import annotations

import re
from datetime import timezone
from typing import Any

from crawler.discovery import parse_iso
from pipelines import analysis
from newsmon.es.mapping import FAMILIES
from newsmon.query import And, MatchAll, Node, Not, Or, Term, parse

TITLE_BOOST = 2.0
KEYWORD_FIELDS = ("source", "lang", "url")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class DslEmitter:
    """A tree visitor: ``visit_<node class in snake_case>`` returns a DSL clause, or None for
    "no constraint". Subclasses may override a method per node kind (as luqum's
    ElasticsearchQueryBuilder does)."""

    title_boost = TITLE_BOOST

    def visit(self, node: Node, expand: bool = True) -> dict[str, Any] | None:
        method = getattr(self, f"visit_{_snake(type(node).__name__)}", None)
        if method is None:
            raise TypeError(f"unknown query node {node!r}")
        return method(node, expand)

    def visit_match_all(self, node: MatchAll, expand: bool) -> None:
        return None

    def visit_term(self, term: Term, expand: bool) -> dict[str, Any] | None:
        if term.field in KEYWORD_FIELDS:
            value = term.text.lower() if term.field == "lang" else term.text
            return {"term": {term.field: value}}
        kinds = ("title", "text") if term.field is None else (term.field,)
        should: list[dict[str, Any]] = []
        for family in FAMILIES:
            for tokens in analysis.query_variants(term.text, None if family == "any" else family, expand):
                for kind in kinds:
                    field = f"terms.{kind}_{family}"
                    boost = self.title_boost if kind == "title" else 1.0
                    if len(tokens) == 1:
                        should.append({"term": {field: {"value": tokens[0], "boost": boost}}})
                    else:
                        should.append({"match_phrase": {field: {"query": " ".join(tokens), "boost": boost}}})
        if not should:
            return None
        return {"bool": {"should": should, "minimum_should_match": 1}}

    def visit_not(self, node: Not, expand: bool) -> dict[str, Any] | None:
        inner = self.visit(node.child, expand=False)
        if inner is None:
            return None
        return {"bool": {"must": [{"match_all": {}}], "must_not": [inner]}}

    def visit_and(self, node: And, expand: bool) -> dict[str, Any] | None:
        must: list[dict[str, Any]] = []
        must_not: list[dict[str, Any]] = []
        for child in node.children:
            if isinstance(child, Not):
                inner = self.visit(child.child, expand=False)
                if inner is not None:
                    must_not.append(inner)
                continue
            compiled = self.visit(child, expand)
            if compiled is not None:
                must.append(compiled)
        if not must and not must_not:
            return None
        if not must:
            must.append({"match_all": {}})
        out: dict[str, Any] = {"must": must}
        if must_not:
            out["must_not"] = must_not
        return {"bool": out}

    def visit_or(self, node: Or, expand: bool) -> dict[str, Any] | None:
        children = [self.visit(c, expand) for c in node.children]
        if any(c is None for c in children):
            return None  # one branch matches everything
        return {"bool": {"should": children, "minimum_should_match": 1}}


def query_clause(query: str | Node) -> dict[str, Any]:
    """The tree (or a string, parsed first) as one DSL query; match_all when unconstrained."""
    node = parse(query) if isinstance(query, str) else query
    return DslEmitter().visit(node) or {"match_all": {}}


def filters(*, lang: str | None = None, source: str | None = None, since: str | None = None,
            until: str | None = None) -> list[dict[str, Any]]:
    """The CLI's filters, as the embedded index applies them (``--until DAY`` includes that day)."""
    out: list[dict[str, Any]] = []
    if lang:
        out.append({"term": {"lang": lang.lower()}})
    if source:
        out.append({"term": {"source": source}})
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


def search_body(query: str | Node, *, lang: str | None = None, source: str | None = None, since: str | None = None,
                until: str | None = None, limit: int = 20) -> dict[str, Any]:
    """The whole ``_search`` body ``newsmon search`` sends."""
    main = query_clause(query)
    flt = filters(lang=lang, source=source, since=since, until=until)
    q: dict[str, Any] = main if not flt else {"bool": {"must": [main], "filter": flt}}
    return {"query": q, "size": limit, "_source": {"excludes": ["terms"]},
            "sort": [{"_score": "desc"}, {"id": "asc"}], "track_total_hits": False}
