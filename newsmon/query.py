"""The query language shared by `newsmon search`, alert rules and the Elasticsearch backend.

Queries are Lucene syntax, parsed by luqum, so a query written for the embedded index means the
same thing on Elasticsearch and in an alert rule:

    Maroc Kazakhstan                 both words (the implicit operator is AND)
    Maroc OR Marruecos               either
    Kazakhstan NOT football          "-football" works too; "+word" is the same as "word"
    "Astana Times"                   a phrase: the words next to each other, in order
    title:Kazakhstan                 only in the title (fields: title, text, source, lang, url)
    (Maroc OR Morocco) AND blé       parentheses group
    Kazakh*                          a prefix of a word, in title and text (3 letters at least)

Anything else is refused with a :class:`QueryError` whose message is one line naming the column:
an unclosed quote or parenthesis, an operator with nothing after it, a ``-`` or ``+`` apart from
its word (``Maroc - Kazakhstan``, pasted from a headline, would exclude Kazakhstan), AND and OR
mixed without parentheses (``a AND b OR c``), an unknown field (``date:2025``), lower-case
``and``/``or``/``not`` between words (write ``OR``, or quote the word to search it),
``&&``/``||``/``!``, wildcards other than one trailing ``*``, ranges, fuzzy ``~``, boosts ``^``
and ``/regex/``.

The tree API (what the tantivy emitter, the Elasticsearch emitter and alert rules consume)
------------------------------------------------------------------------------------------
``parse(text)`` returns a luqum tree (``luqum.tree`` nodes, positions kept in ``pos``/``size``)
normalized so that a consumer only meets these nodes:

    AndOperation(*operands)     the implicit operator already resolved to AND
    OrOperation(*operands)      never directly mixed with AND: one of them sits inside a Group
    Not(a)                      NOT a, -a (luqum's Prohibit is rewritten to Not; +a becomes a)
    Group(expr)                 ( … ), transparent
    SearchField(name, expr)     name is lower-case and one of FIELDS; never nested; it applies
                                to every word and phrase beneath it
    FieldGroup(expr)            the parentheses of title:( … ), transparent
    Word(value)                 a word; ``term_text(node)`` gives its text, ``prefix(node)`` its
                                normalized prefix when it ends with the wildcard ``*``
    Phrase('"…"')               a non-empty phrase; ``term_text(node)`` gives it without quotes
    MatchAll()                  the empty query: every document (a newsmon node, not luqum's)

A :class:`QueryError` carries ``query``, ``pos`` (0-based, in the text as typed) and ``problem``.

Write an emitter as a :class:`QueryVisitor` subclass. Its context holds ``field`` (the field in
force, None for title and text) and ``negated`` (True under a NOT); ``visit_search_field`` and the
groups are handled by the base. Implement ``visit_word``, ``visit_phrase``,
``visit_and_operation``, ``visit_or_operation``, ``visit_not`` and ``visit_match_all``, each
yielding one value; inside them ``self.operands(node, context)`` gives the children's values and
``self.emit_child(node, child, context, negated=True)`` one child's with the context changed.
``emit(tree)`` returns the root's value. The tantivy emitter is
``newsmon.search_index.TantivyEmitter``: words go through ``pipelines.analysis.query_variants``
once per language (both indexes hold analyzed tokens), keyword fields are exact terms (``lang``
lower-cased), a prefix is matched against the language-neutral (normalized, unstemmed) fields.
luqum's own ``ElasticsearchQueryBuilder`` would let Elasticsearch analyze the words instead, so
an Elasticsearch emitter should be a QueryVisitor doing what the tantivy one does.

``positive_terms(tree)`` lists the words and phrases of title/text not under a NOT, as
:class:`QueryTerm` (text, field, phrase, prefix), for highlighting and alert matches.

Words are analyzed later, per language, by pipelines.analysis; this module only builds the tree.
luqum's PLY parser is not thread-safe; like ``luqum.thread`` we keep one lexer per thread.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from luqum import parser as luqum_parser
from luqum.exceptions import IllegalCharacterError, ParseSyntaxError
from luqum.tree import (NONE_ITEM, AndOperation, BaseGroup, Boost, FieldGroup, Fuzzy, Group, Item, Not, OpenRange,
                        OrOperation, Phrase, Plus, Prohibit, Proximity, Range, Regex, SearchField, UnknownOperation,
                        Word)
from luqum.utils import UnknownOperationResolver
from luqum.visitor import TreeTransformer, TreeVisitor

from pipelines import analysis

TEXT_FIELDS = ("title", "text")
KEYWORD_FIELDS = ("source", "lang", "url")
FIELDS = TEXT_FIELDS + KEYWORD_FIELDS
MIN_PREFIX = 3
NEAR_CHARS = 20

__all__ = ["FIELDS", "KEYWORD_FIELDS", "TEXT_FIELDS", "MatchAll", "QueryError", "QueryTerm", "QueryVisitor",
           "parse", "positive_terms", "prefix", "term_text",
           # the luqum nodes a normalized tree holds
           "AndOperation", "FieldGroup", "Group", "Not", "OrOperation", "Phrase", "SearchField", "Word"]


class QueryError(ValueError):
    """A query that cannot be run; ``str()`` is one line naming the column (1-based) and what is
    wrong there, ``pos`` the 0-based offset in the query."""

    def __init__(self, query: str, pos: int, problem: str):
        self.query, self.pos, self.problem = query, pos, problem
        rest = " ".join(query[pos:].split())
        near = f"near {rest[:NEAR_CHARS] + ('…' if len(rest) > NEAR_CHARS else '')!r}" if rest else "at the end"
        super().__init__(f"query: column {pos + 1}, {near}: {problem}")


class MatchAll(Item):
    """The empty query."""

    def __str__(self, head_tail: bool = False) -> str:
        return ""


@dataclass(frozen=True)
class QueryTerm:
    """A word or phrase the query looks for (not under a NOT), for highlighting and alerts."""
    text: str
    field: str | None = None  # None: title and text
    phrase: bool = False
    prefix: bool = False       # text is a normalized prefix (the query said ``text*``)


# -- parsing --------------------------------------------------------------------------------

_thread_local = threading.local()  # luqum.thread's approach: one PLY lexer per thread
_OPERATOR_TOKENS = {"AND_OP": "AND", "OR_OP": "OR", "NOT": "NOT", "MINUS": "-", "PLUS": "+", "COLUMN": ":"}


MAX_NESTING = 40  # parentheses deep: more is no real query, and recursion would crash on it


def _check_nesting(text: str) -> None:
    depth, in_phrase = 0, False
    for pos, char in enumerate(text):
        if char == '"':
            in_phrase = not in_phrase
        elif not in_phrase and char == "(":
            depth += 1
            if depth > MAX_NESTING:
                raise QueryError(text, pos, f"parentheses nested more than {MAX_NESTING} deep")
        elif not in_phrase and char == ")":
            depth = max(0, depth - 1)


def parse(text: str) -> Item:
    """Parse a query; see the module docstring for the tree. Raises :class:`QueryError`."""
    if not text.strip():
        return MatchAll()
    _check_nesting(text)
    quoted, inserted = _quote_urls(text)
    try:
        tree = _parse_luqum(quoted)
    except QueryError as exc:
        raise QueryError(text, _original_pos(exc.pos, inserted), exc.problem) from None
    except RecursionError:
        raise QueryError(text, 0, "query nested too deeply") from None
    try:
        _Checker(quoted).visit(tree)
        return _Normalizer().visit(UnknownOperationResolver(resolve_to=AndOperation)(tree))
    except QueryError as exc:
        raise QueryError(text, _original_pos(exc.pos, inserted), exc.problem) from None
    except RecursionError:
        raise QueryError(text, 0, "query nested too deeply") from None


def _parse_luqum(text: str) -> Item:
    if not hasattr(_thread_local, "lexer"):
        _thread_local.lexer = luqum_parser.lexer.clone()
    lexer = _thread_local.lexer
    seen: list[Any] = []

    def next_token() -> Any:
        try:
            tok = lexer.token()
        except IllegalCharacterError:
            pos = lexer.lexpos
            if text[pos] == '"':
                raise QueryError(text, pos, 'this quote is never closed (a phrase needs "…" on both sides)') from None
            hint = " (a phrase takes double quotes)" if text[pos] in "'‘’" else ""
            raise QueryError(text, pos, f"unexpected {text[pos]!r}{hint}") from None
        seen.append(tok)
        return tok

    try:
        return luqum_parser.parser.parse(text, lexer=lexer, tokenfunc=next_token)
    except ParseSyntaxError:
        raise _syntax_error(text, seen) from None


def _syntax_error(text: str, seen: list[Any]) -> QueryError:
    """Explain the token the parser stopped at (the last one read; None at the end)."""
    last = seen[-1] if seen else None
    if last is not None:
        if last.type == "RPAREN":
            return QueryError(text, last.lexpos, "this ')' closes nothing")
        if last.type in ("AND_OP", "OR_OP"):
            return QueryError(text, last.lexpos, f"{last.value} needs a word or a group on each side")
        return QueryError(text, last.lexpos, f"unexpected {str(last.value)!r}")
    tokens = [t for t in seen if t is not None]
    opened: list[int] = []
    for tok in tokens:
        if tok.type == "LPAREN":
            opened.append(tok.lexpos)
        elif tok.type == "RPAREN" and opened:
            opened.pop()
    if tokens and tokens[-1].type in _OPERATOR_TOKENS:
        op = _OPERATOR_TOKENS[tokens[-1].type]
        return QueryError(text, tokens[-1].lexpos, f"nothing after {op!r}")
    if opened:
        return QueryError(text, opened[-1], "this '(' is never closed")
    return QueryError(text, len(text), "the query ends too early")


_URL_VALUE = re.compile(r'(?<![^\s(+\-])url:(?=[^\s"(])(\S+)', re.IGNORECASE)


def _quote_urls(text: str) -> tuple[str, list[int]]:
    """``url:https://…`` → ``url:"https://…"`` (Lucene would read ``https:`` as a field); returns
    the new text and the positions, in it, of the quotes added."""
    out: list[str] = []
    inserted: list[int] = []
    last = 0
    for m in _URL_VALUE.finditer(text):
        value = m.group(1)
        while value.endswith(")") and value.count(")") > value.count("("):
            value = value[:-1]  # (url:https://a.ma/x OR …): the group's parenthesis
        if '"' in value or "\\" in value:
            continue  # left to the parser, which will say what is wrong
        out.append(text[last:m.start(1)])
        offset = sum(map(len, out))
        inserted += [offset, offset + len(value) + 1]
        out.append(f'"{value}"')
        last = m.start(1) + len(value)
    out.append(text[last:])
    return "".join(out), inserted


def _original_pos(pos: int, inserted: list[int]) -> int:
    return pos - sum(1 for p in inserted if p < pos)


# -- checking and normalizing ---------------------------------------------------------------

_LOWER_OPERATORS = {"and": "AND", "or": "OR", "not": "NOT"}
_SYMBOL_OPERATORS = {"&&": "AND", "||": "OR", "!": "NOT"}
_UNSUPPORTED = {Range: "ranges ([a TO b]) are", OpenRange: "ranges (>a, <b) are", Fuzzy: "fuzzy matching (~) is",
                Proximity: "proximity (\"…\"~n) is", Boost: "boosting (^) is",
                Regex: "regular expressions (/…/) are"}


class _Checker(TreeVisitor):
    """Raise QueryError for what the backends cannot run alike; the tree is luqum's raw one."""

    def __init__(self, text: str):
        super().__init__(track_parents=True)
        self.text = text

    def generic_visit(self, node: Item, context: dict[str, Any]) -> Iterator[Any]:
        for kind, what in _UNSUPPORTED.items():
            if isinstance(node, kind):
                raise QueryError(self.text, node.pos, f"{what} not supported: {str(node)!r}")
        yield from super().generic_visit(node, context)

    def visit_or_operation(self, node: OrOperation, context: dict[str, Any]) -> Iterator[Any]:
        parents = context.get("parents", ())
        ands = (AndOperation, UnknownOperation)
        if (parents and isinstance(parents[-1], ands)) or any(isinstance(o, ands) for o in node.operands):
            top = node
            for parent in reversed(parents):  # the whole run of operators, up to a group or a field
                if not isinstance(parent, (AndOperation, UnknownOperation, OrOperation)):
                    break
                top = parent
            first, second = node.operands[0], node.operands[1]
            op = self.text.find("OR", first.pos + first.size, second.pos)
            and_first, or_first = self._readings(top)
            raise QueryError(self.text, op if op >= 0 else node.pos, "AND and OR mixed without parentheses; "
                             f"say which goes first: '{and_first}' or '{or_first}'")
        yield from self.generic_visit(node, context)

    def _readings(self, top: Item) -> tuple[str, str]:
        """The two ways to bracket a run like ``a b OR c``: ``(a b) OR c`` and ``a (b OR c)``."""
        atoms: list[str] = []
        ops: list[str] = []  # ops[i] joins atoms[i] and atoms[i + 1]

        def flatten(node: Item) -> None:
            if not isinstance(node, (AndOperation, UnknownOperation, OrOperation)):
                atoms.append(self.text[node.pos:node.pos + node.size].strip())
                return
            for k, operand in enumerate(node.operands):
                if k:
                    ops.append({AndOperation: " AND ", UnknownOperation: " ", OrOperation: " OR "}[type(node)])
                flatten(operand)

        flatten(top)

        def bracket(split_on_or: bool) -> str:
            out, run = "", [atoms[0]]
            for atom, op in zip(atoms[1:], ops):
                if (op == " OR ") == split_on_or:  # a boundary between runs
                    out += (f"({''.join(run)})" if len(run) > 1 else run[0]) + op
                    run = [atom]
                else:
                    run += [op, atom]
            return out + (f"({''.join(run)})" if len(run) > 1 else run[0])

        return bracket(split_on_or=True), bracket(split_on_or=False)

    def visit_unary_operator(self, node: Item, context: dict[str, Any]) -> Iterator[Any]:
        if node.op in "+-" and node.a.pos != node.pos + 1:  # "Maroc - Kazakhstan", pasted from a title
            raise QueryError(self.text, node.pos, f"a {node.op!r} must touch its word ({node.op}football); "
                             "between words it is no operator: leave it out")
        yield from self.generic_visit(node, context)

    def visit_search_field(self, node: SearchField, context: dict[str, Any]) -> Iterator[Any]:
        name = node.name.lower()
        if name not in FIELDS:
            hint = "; use --since/--until for dates" if name in ("date", "published", "published_at") else ""
            if name in ("http", "https"):
                hint = '; to find one address write url:"https://…"'
            raise QueryError(self.text, node.pos, f"unknown field {node.name!r} (fields: {', '.join(FIELDS)}){hint}; "
                             'a word with ":" in it must be quoted')
        if any(isinstance(p, SearchField) for p in context.get("parents", ())):
            raise QueryError(self.text, node.pos, f"field {node.name!r} inside another field")
        yield from self.generic_visit(node, dict(context, field=name))

    def visit_word(self, node: Word, context: dict[str, Any]) -> Iterator[Any]:
        value = node.value
        if value in _LOWER_OPERATORS:
            raise QueryError(self.text, node.pos, f"lower-case {value!r} is not an operator: write "
                             f"{_LOWER_OPERATORS[value]} for the operator, or \"{value}\" to search the word")
        if value in _SYMBOL_OPERATORS:
            raise QueryError(self.text, node.pos, f"{value!r} is not supported: write {_SYMBOL_OPERATORS[value]}")
        if node.has_wildcard():
            field = context.get("field")
            if not value.endswith("*") or Word(value[:-1]).has_wildcard():
                raise QueryError(self.text, node.pos, f"{value!r}: only a trailing * is supported (Kazakh*)")
            if field in KEYWORD_FIELDS:
                raise QueryError(self.text, node.pos, f"{value!r}: a * works on words in title and text, "
                                 f"not on {field}:")
            start = node.unescaped_value[:-1]
            words = analysis.tokenize(start)
            if len(words) != 1 or len(words[0].term) < MIN_PREFIX or words[0].end != len(start):
                raise QueryError(self.text, node.pos, f"{value!r}: a * needs one word of at least "
                                 f"{MIN_PREFIX} letters before it")
        yield from ()

    def visit_phrase(self, node: Phrase, context: dict[str, Any]) -> Iterator[Any]:
        if not term_text(node).strip():
            raise QueryError(self.text, node.pos, "empty phrase")
        yield from ()


class _Normalizer(TreeTransformer):
    """Prohibit → Not, Plus → its operand, field names lower-case."""

    def visit_prohibit(self, node: Prohibit, context: dict[str, Any]) -> Iterator[Item]:
        new = Not(NONE_ITEM, pos=node.pos, size=node.size, head=node.head, tail=node.tail)
        new.children = list(self.clone_children(node, new, context))
        yield new

    def visit_plus(self, node: Plus, context: dict[str, Any]) -> Iterator[Item]:
        yield from self.clone_children(node, node, context)

    def visit_search_field(self, node: SearchField, context: dict[str, Any]) -> Iterator[Item]:
        new = node.clone_item(name=node.name.lower())
        new.children = list(self.clone_children(node, new, context))
        yield new


# -- reading the tree -----------------------------------------------------------------------

def term_text(node: Word | Phrase) -> str:
    """The text of a word or phrase, without quotes or escapes (a word's trailing * kept)."""
    if isinstance(node, Phrase):
        return Word(node.value[1:-1]).unescaped_value
    return node.unescaped_value


def prefix(node: Word) -> str | None:
    """The normalized prefix of ``Kazakh*`` (``kazakh``); None for a word without wildcard."""
    if not node.has_wildcard():
        return None
    return analysis.tokenize(node.unescaped_value[:-1])[0].term


class QueryVisitor(TreeVisitor):
    """Base class for emitters; see the module docstring. ``context['field']`` is the field in
    force (None: title and text), ``context['negated']`` is True under a NOT."""

    def emit(self, tree: Item) -> Any:
        (result,) = self.visit(tree, {"field": None, "negated": False})
        return result

    def child_context(self, node: Item, child: Item, context: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**super().child_context(node, child, context), **kwargs}

    def operands(self, node: Item, context: dict[str, Any]) -> list[Any]:
        """One result per child, in order."""
        return [self.emit_child(node, child, context) for child in node.children]

    def emit_child(self, node: Item, child: Item, context: dict[str, Any], **kwargs: Any) -> Any:
        (result,) = self.visit_iter(child, self.child_context(node, child, context, **kwargs))
        return result

    def visit_base_group(self, node: BaseGroup, context: dict[str, Any]) -> Iterator[Any]:
        yield self.emit_child(node, node.expr, context)

    def visit_search_field(self, node: SearchField, context: dict[str, Any]) -> Iterator[Any]:
        yield self.emit_child(node, node.expr, context, field=node.name)

    def generic_visit(self, node: Item, context: dict[str, Any]) -> Iterator[Any]:
        raise TypeError(f"{type(self).__name__} cannot emit {type(node).__name__}")


# Analysis families a word is searched in: each analysed language's fields, then the neutral ones.
FAMILIES: tuple[str, ...] = tuple(analysis.LANGUAGES) + ("any",)
TITLE_BOOST = 2.0


class ClauseEmitter(QueryVisitor):
    """The one compiler of the tree into a backend's query, clause for clause; a backend (tantivy,
    Elasticsearch) supplies only how to build each kind of clause. None stands for "no
    constraint" (the empty query, or a word that analyses to nothing, such as a dash). A word is
    looked for in every family's fields (:data:`FAMILIES`), analysed for that family; under a NOT
    it is not widened by the Arabic proclitic forms, which would exclude more than was asked."""

    title_boost = TITLE_BOOST

    # -- what a backend supplies -----------------------------------------------------------
    def all_of(self, must: list[Any], must_not: list[Any]) -> Any:
        raise NotImplementedError

    def any_of(self, queries: list[Any]) -> Any:
        raise NotImplementedError

    def all_but(self, excluded: list[Any]) -> Any:
        raise NotImplementedError

    def keyword(self, field: str, value: str) -> Any:
        raise NotImplementedError

    def tokens(self, kind: str, family: str, tokens: list[str], boost: float) -> Any:
        """``tokens`` (one word, or a phrase) in field ``kind`` (title or text) of ``family``."""
        raise NotImplementedError

    def starts_with(self, kind: str, start: str, boost: float) -> Any:
        """Words beginning with ``start`` in the neutral field of ``kind`` (normalised, not
        stemmed, so the prefix is compared with what was written)."""
        raise NotImplementedError

    # -- the tree --------------------------------------------------------------------------
    def visit_match_all(self, node: MatchAll, context: dict[str, Any]) -> Iterator[Any]:
        yield None

    def visit_not(self, node: Not, context: dict[str, Any]) -> Iterator[Any]:
        inner = self.emit_child(node, node.a, context, negated=True)
        yield None if inner is None else self.all_but([inner])

    def visit_and_operation(self, node: AndOperation, context: dict[str, Any]) -> Iterator[Any]:
        must, must_not = [], []
        for child in node.operands:
            if isinstance(child, Not):  # a AND NOT b: one boolean query, not a nested "all but b"
                must_not.append(self.emit_child(node, child.a, context, negated=True))
            else:
                must.append(self.emit_child(node, child, context))
        must, must_not = [q for q in must if q is not None], [q for q in must_not if q is not None]
        if not must:
            yield self.all_but(must_not) if must_not else None
            return
        yield self.all_of(must, must_not)

    def visit_or_operation(self, node: OrOperation, context: dict[str, Any]) -> Iterator[Any]:
        queries = self.operands(node, context)
        if any(q is None for q in queries):
            yield None  # one branch matches everything
            return
        yield self.any_of(queries)

    def visit_word(self, node: Word, context: dict[str, Any]) -> Iterator[Any]:
        start = prefix(node)
        if start is not None:  # Kazakh*
            yield self.any_of([self.starts_with(kind, start, self._boost(kind)) for kind in _kinds(context["field"])])
            return
        yield self._term(term_text(node), context)

    def visit_phrase(self, node: Phrase, context: dict[str, Any]) -> Iterator[Any]:
        yield self._term(term_text(node), context)

    def _term(self, text: str, context: dict[str, Any]) -> Any:
        field = context["field"]
        if field in KEYWORD_FIELDS:
            return self.keyword(field, text.lower() if field == "lang" else text)
        should = [self.tokens(kind, family, list(tokens), self._boost(kind))
                  for family in FAMILIES
                  for tokens in analysis.query_variants(text, None if family == "any" else family, not context["negated"])
                  for kind in _kinds(field)]
        return self.any_of(should) if should else None

    def _boost(self, kind: str) -> float:
        return self.title_boost if kind == "title" else 1.0


def _kinds(field: str | None) -> tuple[str, ...]:
    return TEXT_FIELDS if field is None else (field,)


class _PositiveTerms(QueryVisitor):
    def visit_not(self, node: Not, context: dict[str, Any]) -> Iterator[list[QueryTerm]]:
        yield []

    def visit_base_operation(self, node: Item, context: dict[str, Any]) -> Iterator[list[QueryTerm]]:
        yield [t for terms in self.operands(node, context) for t in terms]

    def visit_match_all(self, node: MatchAll, context: dict[str, Any]) -> Iterator[list[QueryTerm]]:
        yield []

    def visit_word(self, node: Word, context: dict[str, Any]) -> Iterator[list[QueryTerm]]:
        if context["field"] in KEYWORD_FIELDS:
            yield []
            return
        start = prefix(node)
        field = context["field"]
        yield [QueryTerm(start, field, prefix=True) if start else QueryTerm(term_text(node), field)]

    def visit_phrase(self, node: Phrase, context: dict[str, Any]) -> Iterator[list[QueryTerm]]:
        yield [] if context["field"] in KEYWORD_FIELDS else [QueryTerm(term_text(node), context["field"], phrase=True)]


def positive_terms(tree: Item) -> list[QueryTerm]:
    """Words and phrases in title/text a hit is expected to contain (for highlighting and
    alerts): not those under a NOT, not the keyword filters (source, lang, url)."""
    return _PositiveTerms().emit(tree)

