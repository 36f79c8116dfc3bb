"""Which candidate articles a rule's query matches: one interface, one meaning per backend.

A rule's query is the language of ``newsmon search`` (:mod:`newsmon.query`). The embedded
backend answers with tantivy itself: the candidates are written to a scratch index with the
schema, analysis and query compiler of :class:`newsmon.search_index.SearchIndex`, and each rule's
tree is searched there. So an alert fires exactly when ``newsmon search`` would find the article,
and it does not depend on the main index having been refreshed, nor on its writer lock (a crawl
may still hold it). An Elasticsearch backend implements the same :class:`Matcher` with
percolation (rules as percolator documents keyed by rule name).

Filters (topics, languages, sources) are not part of the query: the engine applies them before
asking the matcher, identically for every backend.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from typing import Any, Protocol

from newsmon.alerts.config import Rule
from newsmon.es.errors import EsError
from newsmon.search_index import SearchIndex


class Matcher(Protocol):
    def matches(self, rules: Sequence[Rule], articles: Sequence[dict[str, Any]]) -> dict[str, set[str]]:
        """For each rule name, the ids among ``articles`` its query matches."""
        ...


class EmbeddedMatcher:
    """tantivy over a scratch index of the candidate articles."""

    def matches(self, rules: Sequence[Rule], articles: Sequence[dict[str, Any]]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {rule.name: set() for rule in rules}
        if not rules or not articles:
            return out
        with tempfile.TemporaryDirectory(prefix="newsmon-alerts-") as tmp:
            index = SearchIndex(tmp, writable=True)
            try:
                index.add(articles)
                index.commit()
                for rule in rules:
                    out[rule.name] = {hit.id for hit in index.search(rule.node, limit=len(articles))}
            finally:
                index.close()
                del index
        return out


class FallbackMatcher:
    """Elasticsearch percolation when the cluster is configured and answers; the embedded index
    otherwise, and for the rest of the run once the cluster fails (said in ``note``). Both give
    the same matches (tests/test_alerts_compose.py asserts it), so an outage delays nothing."""

    def __init__(self, primary: Matcher | None, note: Any):
        self.primary = primary
        self.note = note
        self.embedded = EmbeddedMatcher()

    @property
    def backend(self) -> str:
        return "elasticsearch" if self.primary is not None else "embedded"

    def matches(self, rules: Sequence[Rule], articles: Sequence[dict[str, Any]]) -> dict[str, set[str]]:
        if self.primary is not None:
            try:
                return self.primary.matches(rules, articles)
            except EsError as exc:
                self.note(f"percolation failed, matching on the embedded index for the rest of this run: {exc}")
                self.primary = None
        return self.embedded.matches(rules, articles)


def passes_filters(rule: Rule, article: dict[str, Any]) -> bool:
    """The rule's topics, languages and sources filters (each: any of the listed values)."""
    if rule.topics and not set(rule.topics) & set(article.get("topics") or []):
        return False
    if rule.languages and (article.get("lang") or "").lower() not in rule.languages:
        return False
    if rule.sources and article.get("source") not in rule.sources:
        return False
    return True
