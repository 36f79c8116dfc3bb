"""The query language: what users type in `newsmon search` and alert rules."""

from __future__ import annotations

import pytest

from newsmon.query import And, MatchAll, Not, Or, Term, parse, positive_terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Maroc Kazakhstan", And((Term("Maroc"), Term("Kazakhstan")))),
        ("Maroc AND Kazakhstan", And((Term("Maroc"), Term("Kazakhstan")))),
        ("Maroc OR Marruecos", Or((Term("Maroc"), Term("Marruecos")))),
        ("Kazakhstan NOT football", And((Term("Kazakhstan"), Not(Term("football"))))),
        ("Kazakhstan -football", And((Term("Kazakhstan"), Not(Term("football"))))),
        ('"Astana Times"', Term("Astana Times", phrase=True)),
        ("title:Kazakhstan", Term("Kazakhstan", "title")),
        ('text:"accord de coopération"', Term("accord de coopération", "text", phrase=True)),
        ("lang:fr", Term("fr", "lang")),
        ("(Maroc OR Morocco) blé", And((Or((Term("Maroc"), Term("Morocco"))), Term("blé")))),
        ("title:(Maroc OR Morocco)", Or((Term("Maroc", "title"), Term("Morocco", "title")))),
        ("كازاخستان المغرب", And((Term("كازاخستان"), Term("المغرب")))),
    ],
)
def test_parse(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text", ['"unclosed phrase', "(a OR b", "a OR", "NOT", "AND", ")", "((", ""])
def test_malformed_queries_are_repaired_not_rejected(text: str) -> None:
    node = parse(text)
    assert isinstance(node, (Term, And, Or, Not, MatchAll))


def test_unknown_field_is_part_of_the_word() -> None:
    assert parse("foo:bar") == Term("foo:bar")
    assert parse("https://example.ma/x") == Term("https://example.ma/x")


def test_positive_terms_skip_negations_and_keyword_fields() -> None:
    node = parse("Maroc -football lang:fr title:Astana")
    assert positive_terms(node) == [Term("Maroc"), Term("Astana", "title")]
