"""The query tree → Elasticsearch DSL, over the ``terms.*`` language fields.

The user's string is parsed once by luqum (newsmon.query) and this visitor walks the tree;
nothing the user typed reaches ``query_string``, whose syntax (wildcards, fuzziness, regexes, field
expansion) would silently change a query's meaning. It mirrors the embedded index's compiler
clause for clause (``newsmon.search_index.TantivyEmitter``): a word is analyzed once per
language by pipelines.analysis and looked for in that language's fields and the neutral ones;
negations are not widened by Arabic proclitic variants; a word that analyses to nothing puts no
constraint. The same tree therefore gives the same hits on both backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timezone
from typing import Any

from crawler.discovery import parse_iso
from luqum.tree import Item

from pipelines import analysis
from newsmon.es.mapping import FAMILIES
from newsmon.query import (KEYWORD_FIELDS, TEXT_FIELDS, AndOperation, MatchAll, Not, OrOperation, Phrase, QueryVisitor,
                           Word, parse, prefix, term_text)

TITLE_BOOST = 2.0


class DslEmitter(QueryVisitor):
    """The luqum tree (normalized by newsmon.query) as Elasticsearch DSL, clause for clause what
    ``newsmon.search_index.TantivyEmitter`` builds for tantivy; None stands for "no constraint"
    (the empty query, or a word that analyzes to nothing). A word is looked for in every
    language's ``terms.*`` fields, analyzed for that language; under a NOT it is not widened by
    the Arabic proclitic forms. Override ``visit_*`` in a subclass to change one node kind."""

    title_boost = TITLE_BOOST

    def visit_match_all(self, node: MatchAll, context: dict[str, Any]) -> Iterator[dict[str, Any] | None]:
        yield None

    def visit_not(self, node: Not, context: dict[str, Any]) -> Iterator[dict[str, Any] | None]:
        inner = self.emit_child(node, node.a, context, negated=True)
        yield None if inner is None else _all_but([inner])

    def visit_and_operation(self, node: AndOperation, context: dict[str, Any]) -> Iterator[dict[str, Any] | None]:
        must, must_not = [], []
        for child in node.operands:
            if isinstance(child, Not):  # a AND NOT b: one bool query, not a nested "all but b"
                must_not.append(self.emit_child(node, child.a, context, negated=True))
            else:
                must.append(self.emit_child(node, child, context))
        must, must_not = [q for q in must if q is not None], [q for q in must_not if q is not None]
        if not must:
            yield _all_but(must_not) if must_not else None
            return
        body: dict[str, Any] = {"must": must}
        if must_not:
            body["must_not"] = must_not
        yield {"bool": body}

    def visit_or_operation(self, node: OrOperation, context: dict[str, Any]) -> Iterator[dict[str, Any] | None]:
        queries = self.operands(node, context)
        if any(q is None for q in queries):
            yield None  # one branch matches everything
            return
        yield {"bool": {"should": queries, "minimum_should_match": 1}}

    def visit_word(self, node: Word, context: dict[str, Any]) -> Iterator[dict[str, Any] | None]:
        start = prefix(node)
        if start is not None:
            yield self._prefix(start, context["field"])
            return
        yield self._term(term_text(node), context)

    def visit_phrase(self, node: Phrase, context: dict[str, Any]) -> Iterator[dict[str, Any] | None]:
        yield self._term(term_text(node), context)

    def _term(self, text: str, context: dict[str, Any]) -> dict[str, Any] | None:
        field = context["field"]
        if field in KEYWORD_FIELDS:
            return {"term": {field: text.lower() if field == "lang" else text}}
        should: list[dict[str, Any]] = []
        for family in FAMILIES:
            for tokens in analysis.query_variants(text, None if family == "any" else family, not context["negated"]):
                for kind in _kinds(field):
                    name = f"terms.{kind}_{family}"
                    boost = self.title_boost if kind == "title" else 1.0
                    if len(tokens) == 1:
                        should.append({"term": {name: {"value": tokens[0], "boost": boost}}})
                    else:
                        should.append({"match_phrase": {name: {"query": " ".join(tokens), "boost": boost}}})
        return {"bool": {"should": should, "minimum_should_match": 1}} if should else None

    def _prefix(self, start: str, field: str | None) -> dict[str, Any]:
        """``Kazakh*``: indexed words beginning with the normalized prefix, in the neutral fields."""
        should = [{"prefix": {f"terms.{kind}_any": {"value": start, "boost": self.title_boost if kind == "title" else 1.0}}}
                  for kind in _kinds(field)]
        return {"bool": {"should": should, "minimum_should_match": 1}}


def _kinds(field: str | None) -> tuple[str, ...]:
    return TEXT_FIELDS if field is None else (field,)


def _all_but(excluded: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"must": [{"match_all": {}}], "must_not": excluded}}


def query_clause(query: str | Item) -> dict[str, Any]:
    """The tree (or a string, parsed first) as one DSL query; match_all when unconstrained."""
    tree = parse(query) if isinstance(query, str) else query
    return DslEmitter().emit(tree) or {"match_all": {}}


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


def search_body(query: str | Item, *, lang: str | None = None, source: str | None = None, since: str | None = None,
                until: str | None = None, limit: int = 20) -> dict[str, Any]:
    """The whole ``_search`` body ``newsmon search`` sends."""
    main = query_clause(query)
    flt = filters(lang=lang, source=source, since=since, until=until)
    q: dict[str, Any] = main if not flt else {"bool": {"must": [main], "filter": flt}}
    return {"query": q, "size": limit, "_source": {"excludes": ["terms"]},
            "sort": [{"_score": "desc"}, {"id": "asc"}], "track_total_hits": False}
