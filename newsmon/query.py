"""The query language shared by `newsmon search`, alert rules and the Elasticsearch backend.

A small subset of Elasticsearch's ``query_string``, so a query written for the embedded index
means the same thing on Elasticsearch and in an alert rule:

    Maroc Kazakhstan                 both words (default operator AND, as we send to ES)
    Maroc OR Marruecos               either
    Kazakhstan NOT football          "-football" works too; "+word" is a required word
    "Astana Times"                   a phrase: the words next to each other, in order
    title:Kazakhstan                 only in the title (fields: title, text, source, lang, url)
    (Maroc OR Morocco) AND blé

Words are analyzed later, per language, by pipelines.analysis; this module only builds the tree.
Malformed input (an unclosed quote or parenthesis, a dangling operator) is repaired leniently
rather than rejected: users paste queries from elsewhere and expect results, not a syntax error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TEXT_FIELDS = ("title", "text")
KEYWORD_FIELDS = ("source", "lang", "url")
FIELDS = TEXT_FIELDS + KEYWORD_FIELDS


@dataclass(frozen=True)
class Term:
    text: str
    field: str | None = None  # None: title and text
    phrase: bool = False


@dataclass(frozen=True)
class And:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Or:
    children: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    child: "Node"


@dataclass(frozen=True)
class MatchAll:
    pass


Node = Term | And | Or | Not | MatchAll

_TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<field>[A-Za-z_]+):(?=\S)|"(?P<phrase>[^"]*)"?|(?P<word>[^\s()"]+))'
)


@dataclass
class _Lexer:
    tokens: list[tuple[str, str]] = field(default_factory=list)
    pos: int = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self) -> tuple[str, str]:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok


def _lex(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        kind = m.lastgroup or ""
        value = m.group(kind) if kind else ""
        if kind == "word" and value in ("AND", "OR", "NOT", "&&", "||"):
            kind, value = "op", {"&&": "AND", "||": "OR"}.get(value, value)
        elif kind == "field" and value.lower() not in FIELDS:
            kind, value = "word", value + ":"  # unknown field: treat "foo:" as part of a word
            nxt = _TOKEN.match(text, pos)
            if nxt and nxt.lastgroup == "word":
                value += nxt.group("word")
                pos = nxt.end()
        out.append((kind, value))
    return out


def parse(text: str) -> Node:
    """Parse a query string; an empty query matches everything."""
    lexer = _Lexer(_lex(text))
    node = _parse_or(lexer)
    return node if node is not None else MatchAll()


def _parse_or(lx: _Lexer) -> Node | None:
    parts = [p for p in [_parse_and(lx)] if p is not None]
    while (tok := lx.peek()) and tok == ("op", "OR"):
        lx.next()
        right = _parse_and(lx)
        if right is not None:
            parts.append(right)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Or(tuple(parts))


def _parse_and(lx: _Lexer) -> Node | None:
    parts: list[Node] = []
    while (tok := lx.peek()) is not None:
        if tok == ("op", "OR") or tok[0] == "rp":
            break
        if tok == ("op", "AND"):
            lx.next()
            continue
        unary = _parse_unary(lx)
        if unary is not None:
            parts.append(unary)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _parse_unary(lx: _Lexer) -> Node | None:
    tok = lx.next()
    kind, value = tok
    if kind == "op" and value == "NOT":
        if lx.peek() is None:
            return None
        child = _parse_unary(lx)
        return Not(child) if child is not None else None
    if kind == "word" and value.startswith("-") and len(value) > 1:
        return Not(Term(value[1:]))
    if kind == "word" and value.startswith("+") and len(value) > 1:
        return Term(value[1:])
    if kind == "lp":
        inner = _parse_or(lx)
        if lx.peek() is not None and lx.peek()[0] == "rp":
            lx.next()
        return inner
    if kind == "rp":
        return None
    if kind == "field":
        if lx.peek() is None:
            return None
        fkind, fvalue = lx.next()
        name = value.lower()
        if fkind == "phrase":
            return Term(fvalue, name, phrase=True) if fvalue.strip() else None
        if fkind == "word":
            return Term(fvalue, name)
        if fkind == "lp":  # title:(a OR b) → apply the field to every word inside
            inner = _parse_or(lx)
            if lx.peek() is not None and lx.peek()[0] == "rp":
                lx.next()
            return _with_field(inner, name) if inner is not None else None
        return None
    if kind == "phrase":
        return Term(value, phrase=True) if value.strip() else None
    if kind == "word":
        return Term(value)
    return None


def _with_field(node: Node, name: str) -> Node:
    if isinstance(node, Term):
        return Term(node.text, node.field or name, node.phrase)
    if isinstance(node, And):
        return And(tuple(_with_field(c, name) for c in node.children))
    if isinstance(node, Or):
        return Or(tuple(_with_field(c, name) for c in node.children))
    if isinstance(node, Not):
        return Not(_with_field(node.child, name))
    return node


def positive_terms(node: Node) -> list[Term]:
    """Terms a hit is expected to contain (for highlighting); negated ones are left out."""
    if isinstance(node, Term):
        return [node] if node.field in (None, *TEXT_FIELDS) else []
    if isinstance(node, (And, Or)):
        return [t for c in node.children for t in positive_terms(c)]
    return []
