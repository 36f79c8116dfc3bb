"""Topics: what a user wants to follow, as concepts that must all appear, validated once.

A topic is relevant when every concept is mentioned (``morocco-kazakhstan`` = Morocco AND
Kazakhstan). Each concept lists its terms per language: names, demonyms, adjectives, capital.
Terms are compiled once per language into token sequences with :mod:`pipelines.analysis`, so "the
Moroccan side", "الجانب المغربي" and "марокканской стороны" reach the same concept as the
country name, and a multi-word term ("المملكة المغربية") matches as a contiguous sequence.

Knobs, per topic (the defaults suit news articles of a few paragraphs):

``min_mentions`` (2)
    weighted mentions each concept needs; a title mention counts ``title_weight``, a body mention
    1, a mention inside an enumeration or table ``list_weight``. Booster mentions top every
    concept up by ``booster_weight`` each, but a concept with no mention of its own (score < 1)
    never passes: leaders' names are never enough alone.
``title_weight`` (2.0), ``list_weight`` (0.25), ``booster_weight`` (1.0)
``together_weight`` (1.0)
    each sentence (or the title) that names every concept, outside enumerations, tops every
    concept up by this much: "a Kazakh delegation visited the Moroccan port" is one mention of
    each, but it states the relationship; "he once played in Kazakhstan" does not.
``min_score`` (0)
    optional floor on the total score (concept scores + boosters), for noisy topics.

``exclude`` on a concept lists phrases that contain a term but mean something else ("صلاة
المغرب" is the sunset prayer, "red morocco" a leather); they are matched like terms (the longest
match wins) and then ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from pipelines import analysis

ANY = "any"
TERM_LANGS = (*analysis.LANGUAGES, ANY)
BOOSTERS = "boosters"  # key under which booster matches are reported next to the concepts

# Match kinds in a compiled index: a concept's index (0, 1, …) or one of these.
BOOSTER = -1
EXCLUDE = -2

# Inflection the stemmers may not undo; terms are expanded with these before compiling, so a
# stemmer gap costs nothing for configured terms (and user terms need not list every form).
_AR_PROCLITICS = ("و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك")
_RU_ENDINGS = ("а", "у", "ом", "е", "ы", "ой", "ого", "ому", "ым", "ых", "ыми", "ая", "ую", "ое", "ие",
               "ий", "ими", "их", "ем", "ей", "ов", "ами", "ах")
_KK_ENDINGS = ("ның", "нің", "дың", "тың", "ға", "ге", "қа", "ке", "ны", "ды", "ты", "да", "де", "та",
               "дағы", "тағы", "дан", "нан", "тан", "мен", "бен", "пен", "дық", "тық", "лық", "тар",
               "дар", "лар", "ы", "і", "сы")


def _terms_by_lang(v: dict[str, list[str]], what: str) -> dict[str, list[str]]:
    for lang, terms in v.items():
        if lang not in TERM_LANGS:
            raise ValueError(f"unknown language {lang!r} (use one of {', '.join(TERM_LANGS)})")
        if not isinstance(terms, list):
            raise ValueError(f"{lang}: expected a list of {what}")
        for t in terms:
            if not isinstance(t, str):
                raise ValueError(f"{lang}: {what[:-1]} {t!r} is not text (quote it)")
            pattern = REGEX_LIKE.search(t)
            if pattern:
                raise ValueError(f"{lang}: {what[:-1]} {t!r} looks like a regular expression ({pattern.group()!r}); "
                                 f"{what} are plain words, matched with their inflections, case and accents "
                                 f"folded: {_plain_advice(t)}")
            if not analysis.analyze(t, None):
                raise ValueError(f"{lang}: {what[:-1]} {t!r} has no letters or digits")
    return v


# Terms are words, never patterns: "Maroc|Kazakh.*" would otherwise be read as the two-word
# phrase "maroc kazakh" and "[Rr]abat" as "rr abat", silently. Refused at load instead, with
# the way to write it. A lone "." or "-" (St. Petersburg, Nur-Sultan) is ordinary text.
REGEX_LIKE = re.compile(r"[|*?\\[\]{}()^$+]")


def _plain_advice(term: str) -> str:
    if "|" in term:
        parts = [p for p in (re.sub(r"[^\w\s'’.-]+", " ", x).strip(" .") for x in term.split("|")) if p]
        return "list each alternative as its own term: " + ", ".join(parts[:4])
    if "[" in term:
        return "case does not matter, write the word once: " + re.sub(r"\[(.)[^]]*\]", r"\1", term)
    if "*" in term or "+" in term or "?" in term:
        return "list the whole words you want (Kazakhstan, Kazakh), inflected forms match by themselves"
    return "write the words alone: " + (re.sub(r"[^\w\s'’.-]+", " ", term).strip() or "…")


class Concept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    terms: dict[str, list[str]]
    exclude: dict[str, list[str]] = {}

    @field_validator("terms")
    @classmethod
    def _check_terms(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        _terms_by_lang(v, "terms")
        if not any(v.values()):
            raise ValueError("concept has no terms")
        return v

    @field_validator("exclude")
    @classmethod
    def _check_exclude(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        return _terms_by_lang(v, "phrases")

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        if v == BOOSTERS:
            raise ValueError(f"{BOOSTERS!r} is reserved for booster matches")
        return v


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    concepts: list[Concept] = Field(min_length=1)
    boosters: dict[str, list[str]] = {}
    min_mentions: int = Field(2, ge=1)
    title_weight: float = Field(2.0, ge=0)
    list_weight: float = Field(0.25, ge=0)
    booster_weight: float = Field(1.0, ge=0)
    together_weight: float = Field(1.0, ge=0)
    min_score: float = Field(0.0, ge=0)

    _indexes: dict[str | None, TermIndex] = PrivateAttr(default_factory=dict)

    @field_validator("boosters")
    @classmethod
    def _check_boosters(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        return _terms_by_lang(v, "terms")

    @field_validator("concepts")
    @classmethod
    def _unique_concepts(cls, v: list[Concept]) -> list[Concept]:
        seen: set[str] = set()
        for c in v:
            if c.name in seen:
                raise ValueError(f"duplicate concept name {c.name!r}")
            seen.add(c.name)
        return v

    def languages(self) -> list[str]:
        langs = {lang for c in self.concepts for lang, terms in c.terms.items() if terms}
        return [lang for lang in TERM_LANGS if lang in langs]

    def index(self, lang: str | None) -> TermIndex:
        """The compiled matcher for articles in ``lang`` (built on first use, then kept)."""
        key = lang if lang in analysis.LANGUAGES else None
        idx = self._indexes.get(key)
        if idx is None:
            idx = self._indexes[key] = compile_index(self, key)
        return idx


class TopicsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topics: list[Topic] = Field(min_length=1)


# --------------------------------------------------------------------------- compiling
@dataclass(frozen=True, slots=True)
class Entry:
    seq: tuple[str, ...]   # analyzed terms, matched contiguously
    kind: int              # concept index, BOOSTER or EXCLUDE
    key: str               # the configured term, as the user wrote it (shown as evidence)


@dataclass(frozen=True, slots=True)
class TermIndex:
    """first analyzed term → entries starting with it, longest first; one for the article's
    language (stemmed) and one for language-neutral forms of every term in every language."""

    lang: str | None
    stemmed: dict[str, tuple[Entry, ...]]
    neutral: dict[str, tuple[Entry, ...]]
    max_len: int
    heads: frozenset[str]  # the first two letters of every stemmed term (relevance.stem_heads)


def _variants(term: str, lang: str | None) -> set[tuple[str, ...]]:
    seqs = {tuple(analysis.analyze(term, lang))}
    if lang is None:
        return seqs
    words = term.split()
    if not words:
        return seqs
    rest = " ".join(words[1:])
    first = analysis.normalize(words[0])
    if lang == "ar" and "\u0621" <= first[0] <= "\u064a" and not first.startswith("ال"):
        for p in _AR_PROCLITICS:
            seqs.add(tuple(analysis.analyze(f"{p}{words[0]} {rest}", lang)))
    elif lang in ("ru", "kk") and "\u0400" <= analysis.normalize(words[-1])[-1] <= "\u04ff":
        last = analysis.normalize(words[-1])
        head = " ".join(words[:-1])
        base = last
        if lang == "ru":  # Russian endings replace a final vowel/adjective ending: Астан-а, Астан-ой
            for tail in ("ий", "ый", "ой", "ая", "яя", "ое", "ее", "ие", "ые", "а", "я", "о", "е", "ы", "и", "ь", "й"):
                if base.endswith(tail) and len(base) - len(tail) >= 3:
                    base = base[: -len(tail)]
                    break
        for e in _RU_ENDINGS if lang == "ru" else _KK_ENDINGS:
            seq = tuple(analysis.analyze(f"{head} {base}{e}", lang))
            if seq and seq[-1] != base + e:  # the stemmer took the ending off: a real form
                seqs.add(seq)
    return {s for s in seqs if s}


def _add(table: dict[str, list[Entry]], seqs: set[tuple[str, ...]], kind: int, key: str) -> None:
    for seq in seqs:
        bucket = table.setdefault(seq[0], [])
        if not any(e.seq == seq for e in bucket):  # first definition wins
            bucket.append(Entry(seq, kind, key))


def compile_index(topic: Topic, lang: str | None) -> TermIndex:
    """Pre-analyze every term: exclusions first (so they win ties), then concepts, then boosters."""
    groups: list[tuple[int, dict[str, list[str]]]] = [(EXCLUDE, c.exclude) for c in topic.concepts]
    groups += [(i, c.terms) for i, c in enumerate(topic.concepts)]
    groups.append((BOOSTER, topic.boosters))
    stemmed: dict[str, list[Entry]] = {}
    neutral: dict[str, list[Entry]] = {}
    for kind, by_lang in groups:
        for term_lang, terms in by_lang.items():
            for term in terms:
                if lang is not None and term_lang in (lang, ANY):
                    _add(stemmed, _variants(term, lang), kind, term)
                _add(neutral, _variants(term, None), kind, term)

    def freeze(t: dict[str, list[Entry]]) -> dict[str, tuple[Entry, ...]]:
        return {k: tuple(sorted(v, key=lambda e: -len(e.seq))) for k, v in t.items()}

    longest = max((len(e.seq) for t in (stemmed, neutral) for v in t.values() for e in v), default=1)
    heads = frozenset(term[:2] for entries in stemmed.values() for entry in entries for term in entry.seq)
    return TermIndex(lang, freeze(stemmed), freeze(neutral), longest, heads)


# --------------------------------------------------------------------------- loading
