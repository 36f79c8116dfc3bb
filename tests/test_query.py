"""The query language: what users type in `newsmon search` and alert rules."""

from __future__ import annotations

import threading
from typing import Any, Iterator

import pytest

from newsmon.query import (AndOperation, FieldGroup, Group, MatchAll, Not, OrOperation, Phrase, QueryError, QueryTerm,
                           QueryVisitor, SearchField, Word, parse, positive_terms)
from tests.conftest import run_newsmon


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Maroc Kazakhstan", AndOperation(Word("Maroc"), Word("Kazakhstan"))),
        ("Maroc AND Kazakhstan", AndOperation(Word("Maroc"), Word("Kazakhstan"))),
        ("Maroc OR Marruecos", OrOperation(Word("Maroc"), Word("Marruecos"))),
        ("Kazakhstan NOT football", AndOperation(Word("Kazakhstan"), Not(Word("football")))),
        ("Kazakhstan -football", AndOperation(Word("Kazakhstan"), Not(Word("football")))),
        ("+Kazakhstan -football", AndOperation(Word("Kazakhstan"), Not(Word("football")))),
        ('"Astana Times"', Phrase('"Astana Times"')),
        ("title:Kazakhstan", SearchField("title", Word("Kazakhstan"))),
        ("Title:Kazakhstan", SearchField("title", Word("Kazakhstan"))),
        ('text:"accord de coopération"', SearchField("text", Phrase('"accord de coopération"'))),
        ("lang:fr", SearchField("lang", Word("fr"))),
        ("(Maroc OR Morocco) blé", AndOperation(Group(OrOperation(Word("Maroc"), Word("Morocco"))), Word("blé"))),
        ("title:(Maroc OR Morocco)", SearchField("title", FieldGroup(OrOperation(Word("Maroc"), Word("Morocco"))))),
        ("كازاخستان المغرب", AndOperation(Word("كازاخستان"), Word("المغرب"))),
        ("url:https://example.ma/a?b=1", SearchField("url", Phrase('"https://example.ma/a?b=1"'))),
        ('url:"https://example.ma/a"', SearchField("url", Phrase('"https://example.ma/a"'))),
        ("Kazakh*", Word("Kazakh*")),
        ("", MatchAll()),
        ("   ", MatchAll()),
    ],
)
def test_parse(text: str, expected: object) -> None:
    assert parse(text) == expected


def test_the_tree_keeps_positions() -> None:
    tree = parse("Maroc  title:(blé OR wheat)")
    field = tree.operands[1]
    assert (field.pos, field.size) == (7, 20)
    assert field.expr.expr.operands[1].pos == 21


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"unclosed phrase', "query: column 1, near '\"unclosed phrase': this quote is never closed "
                             "(a phrase needs \"…\" on both sides)"),
        ("(a OR b", "query: column 1, near '(a OR b': this '(' is never closed"),
        ("Maroc (a OR (b", "query: column 13, near '(b': this '(' is never closed"),
        ("a OR", "query: column 3, near 'OR': nothing after 'OR'"),
        ("Maroc -", "query: column 7, near '-': nothing after '-'"),
        ("NOT", "query: column 1, near 'NOT': nothing after 'NOT'"),
        ("AND Maroc", "query: column 1, near 'AND Maroc': AND needs a word or a group on each side"),
        ("a OR OR b", "query: column 6, near 'OR b': OR needs a word or a group on each side"),
        ("Maroc)", "query: column 6, near ')': this ')' closes nothing"),
        ("title:", "query: column 6, near ':': nothing after ':'"),
        ("Maroc - Kazakhstan", "query: column 7, near '- Kazakhstan': a '-' must touch its word (-football); "
                               "between words it is no operator: leave it out"),
        ("Maroc + Kazakhstan", "query: column 7, near '+ Kazakhstan': a '+' must touch its word (+football); "
                               "between words it is no operator: leave it out"),
        ("a AND b OR c", "query: column 9, near 'OR c': AND and OR mixed without parentheses; say which goes "
                         "first: '(a AND b) OR c' or 'a AND (b OR c)'"),
        ("Maroc blé OR wheat", "query: column 11, near 'OR wheat': AND and OR mixed without parentheses; say "
                               "which goes first: '(Maroc blé) OR wheat' or 'Maroc (blé OR wheat)'"),
        ("a OR b c OR d", "query: column 3, near 'OR b c OR d': AND and OR mixed without parentheses; say which "
                          "goes first: 'a OR (b c) OR d' or '(a OR b) (c OR d)'"),
        ("Maroc title:(a b OR c)", "query: column 18, near 'OR c)': AND and OR mixed without parentheses; say "
                                   "which goes first: '(a b) OR c' or 'a (b OR c)'"),
        ("date:2025 Maroc", "query: column 1, near 'date:2025 Maroc': unknown field 'date' (fields: title, "
                            "text, source, lang, url); use --since/--until for dates; a word with \":\" in it "
                            "must be quoted"),
        ("https://example.ma/x", "query: column 1, near 'https://example.ma/x': unknown field 'https' (fields: "
                                 "title, text, source, lang, url); to find one address write url:\"https://…\"; "
                                 "a word with \":\" in it must be quoted"),
        ("title:text:Maroc", "query: column 7, near 'text:Maroc': field 'text' inside another field"),
        ("maroc or kazakhstan", "query: column 7, near 'or kazakhstan': lower-case 'or' is not an operator: "
                                "write OR for the operator, or \"or\" to search the word"),
        ("not football", "query: column 1, near 'not football': lower-case 'not' is not an operator: "
                         "write NOT for the operator, or \"not\" to search the word"),
        ("Maroc && Kazakhstan", "query: column 7, near '&& Kazakhstan': '&&' is not supported: write AND"),
        ("Ka*", "query: column 1, near 'Ka*': 'Ka*': a * needs one word of at least 3 letters before it"),
        ("Ka*akh", "query: column 1, near 'Ka*akh': 'Ka*akh': only a trailing * is supported (Kazakh*)"),
        ("Kaz?kh", "query: column 1, near 'Kaz?kh': 'Kaz?kh': only a trailing * is supported (Kazakh*)"),
        ("source:hespress*", "query: column 8, near 'hespress*': 'hespress*': a * works on words in title and "
                             "text, not on source:"),
        ("Maroc~2", "query: column 1, near 'Maroc~2': fuzzy matching (~) is not supported: 'Maroc~2'"),
        ("Maroc^2", "query: column 1, near 'Maroc^2': boosting (^) is not supported: 'Maroc^2'"),
        ("[a TO b]", "query: column 1, near '[a TO b]': ranges ([a TO b]) are not supported: '[a TO b]'"),
        ('"Maroc Kazakhstan"~3', "query: column 1, near '\"Maroc Kazakhstan\"~3': proximity (\"…\"~n) is not "
                                 "supported: '\"Maroc Kazakhstan\"~3'"),
        ("Maroc /Kaz.*/", "query: column 7, near '/Kaz.*/': regular expressions (/…/) are not supported: '/Kaz.*/'"),
        ('""', "query: column 1, near '\"\"': empty phrase"),
        ("'Astana Times'", "query: column 1, near \"'Astana Times'\": unexpected \"'\" (a phrase takes double quotes)"),
        ("url:https://a.ma/x OR", "query: column 20, near 'OR': nothing after 'OR'"),  # columns of what was typed
    ],
)
def test_malformed_queries_are_refused_with_one_line_naming_the_column(text: str, message: str) -> None:
    with pytest.raises(QueryError) as err:
        parse(text)
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_a_long_query_is_cut_in_the_message() -> None:
    with pytest.raises(QueryError, match=r"^query: column 1, near 'x:Maroc Kazakhstan M…': unknown field 'x'"):
        parse("x:Maroc Kazakhstan Marruecos Kazajistán")


def test_positive_terms_skip_negations_and_keyword_fields() -> None:
    tree = parse('Maroc -football NOT (a b) lang:fr title:Astana "Astana Times" Kazakh*')
    assert positive_terms(tree) == [QueryTerm("Maroc"), QueryTerm("Astana", "title"),
                                    QueryTerm("Astana Times", phrase=True), QueryTerm("kazakh", prefix=True)]


def test_parsing_is_thread_safe() -> None:
    """luqum's PLY lexer holds state; each thread gets its own, so parallel parses never mix."""
    queries = [f"title:(w{i} OR x{i}) -y{i} \"p{i} q{i}\"" for i in range(40)]
    expected = [parse(q) for q in queries]
    results: dict[int, Any] = {}

    def work(k: int) -> None:
        for _ in range(5):
            for i, q in enumerate(queries):
                if parse(q) != expected[i]:
                    results[k] = q
                    return
        results.setdefault(k, None)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: None for k in range(6)}


class _Lucene(QueryVisitor):
    """A tiny emitter, as the Elasticsearch one will be written: it prints the tree back fully
    bracketed, with each word's field."""

    def visit_and_operation(self, node: AndOperation, context: dict[str, Any]) -> Iterator[str]:
        yield "(" + " AND ".join(self.operands(node, context)) + ")"

    def visit_or_operation(self, node: OrOperation, context: dict[str, Any]) -> Iterator[str]:
        yield "(" + " OR ".join(self.operands(node, context)) + ")"

    def visit_not(self, node: Not, context: dict[str, Any]) -> Iterator[str]:
        yield "NOT " + self.emit_child(node, node.a, context, negated=True)

    def visit_word(self, node: Word, context: dict[str, Any]) -> Iterator[str]:
        yield f"{context['field'] or '*'}:{node.value}{'!' if context['negated'] else ''}"

    def visit_phrase(self, node: Phrase, context: dict[str, Any]) -> Iterator[str]:
        yield f"{context['field'] or '*'}:{node.value}"

    def visit_match_all(self, node: MatchAll, context: dict[str, Any]) -> Iterator[str]:
        yield "*:*"


def test_a_visitor_sees_fields_and_negation_through_groups() -> None:
    emit = _Lucene().emit
    assert emit(parse('Maroc title:(blé OR "blé dur") -lang:en')) == \
        '(*:Maroc AND (title:blé OR title:"blé dur") AND NOT lang:en!)'
    assert emit(parse("-(a b)")) == "NOT (*:a! AND *:b!)"
    assert emit(parse("")) == "*:*"


def test_cli_reports_a_malformed_query_in_one_line_and_exits_2(tmp_path: Any) -> None:
    out = run_newsmon("search", "Maroc OR", "--data", str(tmp_path))
    assert out.code == 2
    assert out.stderr == "newsmon: error: query: column 7, near 'OR': nothing after 'OR'\n"
    assert out.stdout == ""
