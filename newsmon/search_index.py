"""The embedded search index: tantivy over terms produced by pipelines.analysis.

tantivy's own analyzers have no Kazakh stemmer and fold Arabic differently from our topic
matcher, so we do not let tantivy analyze anything. Every text field uses the whitespace
tokenizer and receives the output of ``pipelines.analysis.analyze``; queries go through the same
function. A word therefore means the same thing here, in topic matching, in alert rules and on
Elasticsearch (which receives the same tokens).

Each article is indexed twice: in the fields of its own language (``text_fr``: normalized and
stemmed by the French stemmer) and in the language-neutral fields (``text_any``: normalized, not
stemmed). A query word is analyzed once per language and searched in that language's fields, so
"marocaines" finds a French article saying "marocain", and "Казахстана" a Russian one saying
"Казахстане", without knowing the query's language.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy
from luqum.tree import Item

from pipelines import analysis
from crawler.discovery import parse_iso
from newsmon.query import FAMILIES, ClauseEmitter, parse
from newsmon.search_types import Filters  # defined beside the backends; imported from here too

SCHEMA_VERSION = "2"  # 2: the topic field (facets and the topic filter)
TOKENIZER = "newsmon_ws"
INDEX_LANGS: tuple[str, ...] = tuple(analysis.LANGUAGES)
WRITER_HEAP = 64_000_000
DELETE_RUN = 50  # documents replaced under one delete (see SearchIndex._replace)


class IndexError_(Exception):
    """The index cannot be opened or written; the message names the path."""


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("source", stored=True, tokenizer_name="raw", fast=True)
    builder.add_text_field("lang", stored=True, tokenizer_name="raw", fast=True)
    builder.add_text_field("url", stored=False, tokenizer_name="raw")
    builder.add_text_field("topic", stored=False, tokenizer_name="raw", fast=True)
    builder.add_date_field("date", stored=True, indexed=True, fast=True)
    for family in FAMILIES:
        builder.add_text_field(f"title_{family}", tokenizer_name=TOKENIZER)
        builder.add_text_field(f"text_{family}", tokenizer_name=TOKENIZER)
    return builder.build()


def _analyzer() -> tantivy.TextAnalyzer:
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


@dataclass
class Hit:
    id: str
    score: float


class SearchIndex:
    """Open (or create) the index under ``path``; ``writable`` takes tantivy's single-writer lock."""

    def __init__(self, path: str | Path, writable: bool = False, recreate: bool = False):
        """``recreate`` (reindex only): an index that cannot be opened is deleted and started anew —
        it holds nothing the store does not."""
        self.path = Path(path)
        self.schema = _schema()
        try:
            self._open(writable)
        except IndexError_:
            if not recreate or not self.path.exists():
                raise
            shutil.rmtree(self.path)
            self._open(writable)
        self.index.register_tokenizer(TOKENIZER, _analyzer())
        self._writer: Any = None
        if writable:
            try:
                self._writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
            except ValueError as exc:
                raise IndexError_(f"{self.path}: index is locked by another writer ({exc})") from None

    def _open(self, writable: bool) -> None:
        version_file = self.path / "NEWSMON_SCHEMA"
        try:
            if self.path.exists() and version_file.exists() and version_file.read_text().strip() != SCHEMA_VERSION:
                if not writable:
                    raise IndexError_(f"{self.path}: index from an older newsmon; run `newsmon reindex`")
                shutil.rmtree(self.path)
            self.path.mkdir(parents=True, exist_ok=True)
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
            version_file.write_text(SCHEMA_VERSION) if writable or not version_file.exists() else None
        except ValueError as exc:
            first = str(exc).strip().splitlines()[0][:200]
            raise IndexError_(f"{self.path}: cannot open index ({first}); `newsmon reindex` rebuilds it") from None
        except OSError as exc:
            raise IndexError_(f"{self.path}: cannot open index: {exc.strerror or exc}") from None

    # -- writing ---------------------------------------------------------------------------

    def add(self, articles: Iterable[dict[str, Any]], text_words: dict[str, list[str]] | None = None) -> int:
        """Upsert articles (by id); call ``commit`` to make them searchable. ``text_words``, when
        given, receives each article's language-neutral text terms by id (``analysis.analyze(text,
        None)``), for a caller that needs them too (story signatures) without analysing again."""
        if self._writer is None:
            raise IndexError_(f"{self.path}: opened read-only")
        count = 0
        run: dict[str, tantivy.Document] = {}  # documents whose old copies one delete removes
        for article in articles:
            if article["id"] in run or len(run) >= DELETE_RUN:
                self._replace(run)  # an id twice in a row: its first copy is written, then deleted
            doc, words = self._document(article)
            run[article["id"]] = doc
            if text_words is not None:
                text_words[article["id"]] = words
            count += 1
        self._replace(run)
        return count

    def _replace(self, run: dict[str, tantivy.Document]) -> None:
        """Delete every indexed document with one of these ids, then add these documents. One
        delete for a run of ids, not one per article: tantivy keeps each delete (with its
        scoring tables, ~2 KiB) until the next commit has applied it."""
        if not run:
            return
        self._writer.delete_documents_by_query(tantivy.Query.term_set_query(self.schema, "id", list(run)))
        for doc in run.values():
            self._writer.add_document(doc)
        run.clear()

    def _document(self, article: dict[str, Any]) -> tuple[tantivy.Document, list[str]]:
        doc = tantivy.Document()
        doc.add_text("id", article["id"])
        doc.add_text("source", article.get("source") or "")
        lang = (article.get("lang") or "").lower()
        doc.add_text("lang", lang)
        doc.add_text("url", article.get("canonical_url") or article.get("url") or "")
        for topic in article.get("topics") or ():
            doc.add_text("topic", topic)
        when = parse_iso(article.get("published_at")) or parse_iso(article.get("fetched_at"))
        if when:
            doc.add_date("date", when)
        title = article.get("title") or ""
        text = article.get("text") or ""
        # one pass over the words gives both the stemmed and the language-neutral terms
        title_lang, title_any = analysis.analyze_twice(title, lang if lang in INDEX_LANGS else None)
        text_lang, text_any = analysis.analyze_twice(text, lang if lang in INDEX_LANGS else None)
        if lang in INDEX_LANGS:
            doc.add_text(f"title_{lang}", " ".join(title_lang))
            doc.add_text(f"text_{lang}", " ".join(text_lang))
        doc.add_text("title_any", " ".join(title_any))
        doc.add_text("text_any", " ".join(text_any))
        return doc, text_any

    def commit(self) -> None:
        if self._writer is not None:
            self._writer.commit()

    def clear(self) -> None:
        if self._writer is None:
            raise IndexError_(f"{self.path}: opened read-only")
        self._writer.delete_all_documents()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None

    # -- searching -------------------------------------------------------------------------

    def search(self, query: str | Item, *, lang: str | None = None, source: str | None = None,
               since: str | None = None, until: str | None = None, limit: int = 20,
               topic: str | None = None) -> list[Hit]:
        return self.page(query, Filters(lang, source, topic, since, until), limit=limit)[1]

    def page(self, query: str | Item, filters: "Filters | None" = None, *, offset: int = 0, limit: int = 20,
             sort: str = "relevance") -> tuple[int, list[Hit]]:
        """(how many documents match, the hits from ``offset``); ``sort`` is "relevance" or "date"
        (newest first; the score of a date-sorted hit is 0)."""
        node = parse(query) if isinstance(query, str) else query
        final = self._query(node, filters or Filters())
        self.index.reload()
        searcher = self.index.searcher()
        if sort == "date":
            result = searcher.search(final, limit, count=True, order_by_field="date", offset=offset)
        else:
            result = searcher.search(final, limit, count=True, offset=offset)
        hits = []
        for key, address in result.hits:
            doc = searcher.doc(address)
            hits.append(Hit(doc.get_first("id"), float(key) if sort != "date" else 0.0))
        return int(result.count or 0), hits

    def facets(self, query: str | Item, filters: "Filters | None" = None, size: int = 50) -> dict[str, Any]:
        """Counts per language, source and topic, and per day and language (``days``).

        A facet counts under every filter but its own, so the page can offer the other languages
        while one is chosen; ``days`` counts under all of them. Days are UTC, as stored."""
        node = parse(query) if isinstance(query, str) else query
        filters = filters or Filters()
        self.index.reload()
        searcher = self.index.searcher()
        terms = {facet: {"terms": {"field": facet, "size": size}} for facet in ("lang", "source", "topic")}
        histogram = {"date_histogram": {"field": "date", "fixed_interval": "1d"},
                     "aggs": {"lang": {"terms": {"field": "lang", "size": size}}}}
        # one pass for the facets with no filter of their own and the histogram, one per filtered facet
        shared = {name: agg for name, agg in terms.items() if getattr(filters, name) is None}
        result = searcher.aggregate(self._query(node, filters), {**shared, "days": histogram})
        for facet in terms:
            if facet not in shared:
                result.update(searcher.aggregate(self._query(node, filters.without(facet)), {facet: terms[facet]}))
        out: dict[str, Any] = {facet: {b["key"]: int(b["doc_count"]) for b in result[facet]["buckets"] if b["key"] != ""}
                               for facet in terms}
        days: dict[str, dict[str, int]] = {}
        for bucket in result["days"]["buckets"]:
            per_lang = {b["key"] or "?": int(b["doc_count"]) for b in bucket["lang"]["buckets"]}
            if bucket["doc_count"]:
                days[bucket["key_as_string"][:10]] = per_lang
        out["days"] = days
        return out

    def _query(self, node: Item, filters: "Filters") -> tantivy.Query:
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        main = TantivyEmitter(self.schema).emit(node)
        if main is not None:
            clauses.append((tantivy.Occur.Must, main))
        if filters.lang:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "lang", filters.lang.lower())))
        if filters.source:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "source", filters.source)))
        if filters.topic:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "topic", filters.topic)))
        lower, upper = parse_iso(filters.since), parse_iso(filters.until)
        if filters.until and upper and len(filters.until.strip()) == 10:
            upper = upper.replace(hour=23, minute=59, second=59)  # --until 2025-02-21 includes that day
        if lower or upper:
            clauses.append((tantivy.Occur.Must, tantivy.Query.range_query(
                self.schema, "date", tantivy.FieldType.Date, lower, upper)))
        if not clauses:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query(clauses)

    def count(self) -> int:
        self.index.reload()
        return self.index.searcher().num_docs


class TantivyEmitter(ClauseEmitter):
    """The query tree as a tantivy query (see :class:`newsmon.query.ClauseEmitter`)."""

    def __init__(self, schema: tantivy.Schema):
        super().__init__()
        self.schema = schema

    def all_of(self, must: list[tantivy.Query], must_not: list[tantivy.Query]) -> tantivy.Query:
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in must]
                                           + [(tantivy.Occur.MustNot, q) for q in must_not])

    def any_of(self, queries: list[tantivy.Query]) -> tantivy.Query:
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])

    def all_but(self, excluded: list[tantivy.Query]) -> tantivy.Query:
        return self.all_of([tantivy.Query.all_query()], excluded)

    def keyword(self, field: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, field, value)

    def tokens(self, kind: str, family: str, tokens: list[str], boost: float) -> tantivy.Query:
        name = f"{kind}_{family}"
        if len(tokens) == 1:
            q = tantivy.Query.term_query(self.schema, name, tokens[0])
        else:
            q = tantivy.Query.phrase_query(self.schema, name, tokens)
        return q if boost == 1.0 else tantivy.Query.boost_query(q, boost)

    def starts_with(self, kind: str, start: str, boost: float) -> tantivy.Query:
        q = tantivy.Query.regex_query(self.schema, f"{kind}_any", re.escape(start) + ".*")
        return q if boost == 1.0 else tantivy.Query.boost_query(q, boost)


def rebuild(index: SearchIndex, articles: Iterable[dict[str, Any]], batch: int = 500) -> int:
    """Empty the index and add every article again (``newsmon reindex``)."""
    index.clear()
    index.commit()
    total = 0
    chunk: list[dict[str, Any]] = []
    for article in articles:
        chunk.append(article)
        if len(chunk) >= batch:
            total += index.add(chunk)
            chunk.clear()
    total += index.add(chunk)
    index.commit()
    return total
