"""Text folding and the compiled regular expressions built from ``lexicon``.

A *grammar* is compiled once per language (plus English, which appears everywhere: RFC 822
feed dates, ISO-ish CMS output) and cached, because building the alternations is the only
costly step; parsing afterwards is a handful of regex searches.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from . import lexicon

MONTH_MARK = "\ue000"  # a folded text carries month names as MONTH_MARK + two digits

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_ARABIC_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ی": "ي", "ک": "ك",
    "،": ",", "؛": ";", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "–": "-", "—": "-",
    "’": "'", "«": " ", "»": " ",
})
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640\u200c-\u200f\u061c]")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """One spelling per word: NFKC, ASCII digits, lower case, Arabic hamza/diacritic folding.

    Persian and Arabic-Indic digits become ASCII here, so every later pattern can say ``\\d``
    and mean 0-9 only (patterns are compiled with re.ASCII where digits matter).
    """
    text = unicodedata.normalize("NFKC", text).translate(_DIGITS).lower()
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_FOLD)
    return _SPACES.sub(" ", text).strip()


def _alternation(words) -> str:
    """Longest first, so "كانون الثاني" wins over a shorter prefix and "févr" over "fév"."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True))


@dataclass(frozen=True)
class Grammar:
    """Compiled patterns for one set of languages."""

    months: re.Pattern[str]
    month_numbers: dict[str, int]
    relative: re.Pattern[str]
    units: dict[str, tuple[str, int]]
    day_words: re.Pattern[str]
    day_offsets: dict[str, int]
    update_words: re.Pattern[str]
    part_before: re.Pattern[str]  # "<n> <unit> and " just before a relative match
    part_after: re.Pattern[str]  # " و<n> <unit>" just after one


def _unit_key(word: str) -> str:
    return _SPACES.sub(" ", word)


@lru_cache(maxsize=32)
def grammar_for(langs: tuple[str, ...]) -> Grammar:
    """Build (once) the grammar for ``langs``; unknown languages contribute nothing."""
    month_numbers: dict[str, int] = {}
    plain: list[str] = []
    suffixed: list[str] = []
    for lang in langs:
        for number, names in lexicon.MONTHS.get(lang, {}).items():
            for name in names:
                key = fold(name)
                month_numbers[key] = number
                (suffixed if lang in lexicon.SUFFIXED_MONTHS else plain).append(key)
    month_alts = []
    if plain:
        month_alts.append(rf"(?<!\w)({_alternation(plain)})(?!\w)\.?")
    if suffixed:
        month_alts.append(rf"(?<!\w)({_alternation(suffixed)})\w*")
    months = re.compile("|".join(month_alts) or r"(?!x)x")

    units: dict[str, tuple[str, int]] = {}
    for lang in langs:
        for word, spec in lexicon.UNITS.get(lang, {}).items():
            units[fold(word)] = spec
    number = rf"(\d+|{_alternation(fold(w) for w in lexicon.ONE_WORDS)})?"
    unit = rf"({_alternation(units)})(?!\w)\.?" if units else r"(?!x)x"
    templates = [t for lang in langs for t in lexicon.AGO_TEMPLATES.get(lang, ())]
    relative = re.compile(
        "|".join(f"(?<!\\w)(?:{t.format(n=number, u=unit)})" for t in templates) or r"(?!x)x"
    )

    day_offsets = {fold(w): o for lang in langs for w, o in lexicon.DAY_WORDS.get(lang, {}).items()}
    day_words = re.compile(
        rf"(?<!\w)({_alternation(day_offsets)})(?!\w)" if day_offsets else r"(?!x)x"
    )
    update_words = re.compile(rf"(?<!\w)(?:{_alternation(fold(w) for w in lexicon.UPDATE_WORDS)})(?!\w)")
    joiner = r"\s*(?:and|et|e|y|и|,|و)\s*"
    part_before = re.compile(rf"(?<!\w){number}\s*{unit}{joiner}$")
    part_after = re.compile(rf"{joiner}{number}\s*{unit}")
    return Grammar(
        months, month_numbers, relative, units, day_words, day_offsets, update_words,
        part_before, part_after,
    )


def mark_months(text: str, grammar: Grammar) -> str:
    """Replace month names with MONTH_MARK + "MM" so date shapes become language-free."""

    def repl(m: re.Match[str]) -> str:
        word = next(g for g in m.groups() if g)
        number = grammar.month_numbers.get(word)
        if number is None:  # suffixed match: find the stem it starts with
            number = next(n for w, n in grammar.month_numbers.items() if word.startswith(w))
        return f" {MONTH_MARK}{number:02d} "

    marked = grammar.months.sub(repl, text)
    # "21 شباط/فبراير 2025", "21 شباط (فبراير) 2025": the second name repeats the first.
    return _REPEATED_MONTH.sub(r"\1", marked)


_REPEATED_MONTH = re.compile(rf"({MONTH_MARK}\d\d)\s*[/(\-]\s*{MONTH_MARK}\d\d\s*\)?")

HIJRI_NAMES = {fold(name): n for n, names in lexicon.HIJRI_MONTHS.items() for name in names}
HIJRI_MONTH = re.compile(rf"(?<!\w)({_alternation(HIJRI_NAMES)})(?!\w)")
ZONE_NAMES = {fold(k): v for k, v in lexicon.ZONES.items()}
MERIDIEM = {fold(k): v for k, v in lexicon.MERIDIEM.items()}
