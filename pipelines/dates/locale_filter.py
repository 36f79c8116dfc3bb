"""dateparser's locale test, made cheap for the locales that cannot read a string.

Given no language, dateparser (through htmldate's extensive search, say) tries each of its ~200
locales on a date string: a locale applies when the string splits into words of its dictionary.
That split needs one regular expression per locale, a few thousand alternatives long, compiled
on first use: a string that no locale reads ("Detalles Publicado: Jueves, 21 Abril 2022 04:45",
whose first two words are in no dictionary) compiles all of them, ~2 s of CPU in every process
that meets one (each ``extract --batch`` worker, each crawl).

:func:`install` puts a test in front of ``Locale.is_applicable`` that answers "no" without that
expression when a word of the string cannot be part of any token the split could accept. The
split (``Dictionary.split``) never cuts a run of letters in a language written with spaces
(ja, zh and yue, written without, are left to dateparser): its cuts fall after a non-letter or
at a digit, so each run of letters ends up inside one token, and the locale applies only if that
token is a dictionary word (so the run is part of one), a match of the locale's relative-date
patterns (so its letters are letters of those patterns), or an ordinal suffix after a number
("21st"). A run that is none of these means the locale does not apply, as the full split would
find; anything else goes on to dateparser's own test, unchanged. The answer is the same either
way (``tests/test_dates_locale_filter.py`` checks every locale on a few hundred strings and on
random ones); only the compile is skipped.

The test itself first looks at the string before the locale's simplifications (which
``is_applicable`` applies before the split, and whose ~400 expressions were compiled for every
locale a string met): a word that none of them can consume stays as it is, and one the locale
does not know refuses it with nothing compiled. For ja, zh and yue, whose split may cut a run
anywhere, that first look goes letter by letter: a letter no simplification consumes and none
of the locale's words spells, in any case, cannot be in any of its tokens.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import htmldate.extractors
import regex

from . import tz_filter

# The letters of a word as dateparser's split sees them: the same module, hence the same \W and
# \d (Unicode), as Dictionary's own expressions.
_RUN = regex.compile(r"[^\W\d_]+")
_ORDINALS = frozenset({"st", "nd", "rd", "th"})  # dropped after a number by Dictionary.split
# The syntax of dateparser's relative-date patterns (1.5.0: \d, \s, [.,], quantifiers and
# literal text; dateparser drops their parentheses before use). Anything else may match letters
# the pattern does not spell out: that locale is not filtered.
_MAY_BE_EMPTY = regex.compile(r"(?:\\[ds]|\[\.,\]|[^\w\\\[\]().^$|?*+{}])[*?][+?]?")  # a non-letter, optional
_MUST_MATCH = regex.compile(r"(?:\\[ds]|\[\.,\])[+?]*|\|")  # a digit, a space, [.,], or another alternative
_OPTIONAL_LETTER = regex.compile(r"([^\W\d_])\?")
_SYNTAX_LEFT = regex.compile(r"[\\\[\].^$?*+{}]")
_LONE_BRACE = regex.compile(r"(?<!\\)\}(?![?*+{])")  # not optional, not escaped


def _segments(pattern: str) -> list[str] | None:
    """The letters a match of ``pattern`` can run together, one string per stretch that no
    non-letter it must match interrupts (a letter run of a match is a subsequence of one of
    them, casefolded); None when the pattern has syntax this does not model."""
    if "{" not in pattern:  # a "}" closing no quantifier is a character to match (ha: "…(\d+)}")
        pattern = _LONE_BRACE.sub(" ", pattern)
    text = _MAY_BE_EMPTY.sub("", pattern.replace("(", "").replace(")", ""))
    text = _OPTIONAL_LETTER.sub(r"\1", _MUST_MATCH.sub(" ", text))
    if _SYNTAX_LEFT.search(text):
        return None
    return [run.casefold() for run in _RUN.findall(text)]


def _subsequence(short: str, long: str) -> bool:
    rest = iter(long)
    return all(c in rest for c in short)


_indexes: dict[int, tuple[Any, tuple[str, ...], frozenset[str], list[str] | None]] = {}
_installed: list[bool] = []


def _index(dictionary: Any) -> tuple[frozenset[str], list[str] | None]:
    """(the letter runs of every dictionary word and skip token, casefolded; the letter
    stretches of the relative-date patterns, or None when a pattern is not modelled), built once
    per locale dictionary (dateparser keeps those for the life of the process)."""
    words, skip = dictionary._dictionary, tuple(dictionary._settings.SKIP_TOKENS)
    cached = _indexes.get(id(words))
    if cached is None or cached[0] is not words or cached[1] != skip:
        runs = frozenset(run.casefold() for word in (*words, *skip) if word for run in _RUN.findall(str(word)))
        cached = (words, skip, runs, _stretches(dictionary._relative_strings))
        _indexes[id(words)] = cached
    return cached[2], cached[3]


def may_apply(dictionary: Any, text: str) -> bool:
    """False only when ``dictionary`` cannot accept every word of ``text`` (the string as
    ``Locale.is_applicable`` hands it to ``Dictionary.split``: numerals translated, normalised,
    simplified)."""
    if "\n" in text:  # Dictionary.split drops a token with a letter after a newline: not modelled
        return True
    if getattr(dictionary, "_no_word_spacing", True):
        return True  # ja, zh, yue: words written without spaces are cut anywhere ("昨天上午")
    runs = _RUN.findall(text)
    if not runs:
        return True
    known, stretches = _index(dictionary)
    # A run passes as a dictionary word's, an ordinal suffix, not only letters to Python, or
    # part of a relative date ("3 days ago").
    return not any(_refused_run(run, known, stretches) for run in runs)


# What a simplification's pattern can match as a letter, beyond the letters it spells out: a
# class like \w or ., a negated set, a letter range, a letter written as an escape. Such a
# pattern may consume any word.
_ANY_LETTER = regex.compile(r"\\[^sdbBWAZ0-9\W]|\[\^|\[:|[^\W\d_]-|-[^\W\d_]")
_CLASSES = regex.compile(r"\[(?:\\.|[^\]\\])*\]")
_ESCAPES = regex.compile(r"\\.")


@lru_cache(maxsize=8192)
def _forms(letter: str) -> frozenset[str]:
    """A letter and what case-insensitive matching may take for it."""
    return frozenset((letter, letter.lower(), letter.upper(), letter.casefold(), letter.upper().lower()))


# A lookaround holding no parenthesis (zh: "(?=.{0,30}[前后])"): it consumes nothing. What this
# takes out is inside one: it runs from "(?=" (or "(?!", "(?<=", "(?<!") to the first ")".
_LOOKAROUND = regex.compile(r"\(\?<?[=!][^()]*\)")


def _consumable(pattern: str) -> frozenset[str] | None:
    """The forms of every letter a match of ``pattern`` can consume (a superset: letters of
    group names count too); None when it may consume any letter."""
    pattern = _LOOKAROUND.sub("", pattern)
    if _ANY_LETTER.search(pattern) or "." in _ESCAPES.sub("", _CLASSES.sub("", pattern)):
        return None
    return frozenset(form for c in "".join(_RUN.findall(_ESCAPES.sub(" ", pattern))) for form in _forms(c))


_Letters = tuple[frozenset[str], list[frozenset[str]]]
_simplified: dict[tuple[int, bool], tuple[Any, _Letters | None]] = {}


def _simplification_letters(locale: Any, normalize: bool) -> _Letters | None:
    """(every letter form any of them can consume, the forms per simplification) of the
    simplifications of ``locale``, as ``Locale._simplify`` applies them (normalised when
    ``normalize``); None when one may consume any letter. Read from the patterns' text:
    nothing is compiled."""
    key = (id(locale), normalize)
    cached = _simplified.get(key)
    if cached is None or cached[0] is not locale:
        each: list[frozenset[str]] | None = []
        for simplification in locale._generate_simplifications(normalize=normalize):
            found = _consumable(next(iter(simplification)))
            if found is None:
                each = None
                break
            each.append(found)
        cached = _simplified[key] = (locale, (frozenset().union(*each), each) if each is not None else None)
    return cached[1]


def _untouched(run: str, simplifications: _Letters) -> bool:
    """Can no simplification consume ``run``? One that does consumes all of it (its matches
    start and end at a non-letter, or the string's ends), so it must match each of its letters."""
    anywhere, each = simplifications
    if any(_forms(c).isdisjoint(anywhere) for c in run):
        return True
    return not any(all(not _forms(c).isdisjoint(letters) for c in run) for letters in each)


def _refused_run(run: str, known: frozenset[str], stretches: list[str] | None) -> bool:
    """:func:`may_apply`'s verdict on one letter run of the simplified string."""
    folded = run.casefold()
    if folded in known or folded in _ORDINALS or any(c.isdigit() for c in run):
        return False
    return stretches is not None and not any(_subsequence(folded, stretch) for stretch in stretches)


def refuses(locale: Any, date_string: str, settings: Any, normalize_unicode: Any) -> bool:
    """True when ``locale`` cannot read ``date_string``, found without its split: the same
    steps as ``Locale.is_applicable`` up to the split, then :func:`may_apply`.

    First without simplifying: a letter run of the string that no simplification of the locale
    can consume is a run of the simplified string as it is (simplifications match whole words,
    so the letters beside a run are never taken away); one the locale cannot accept refuses it
    before its simplifications are compiled (most locales, for most strings)."""
    text = locale._translate_numerals(date_string)
    if settings.NORMALIZE:
        text = normalize_unicode(text)
    if _early_refusal(locale, text, settings):
        return True
    text = locale._simplify(text, settings=settings)
    return not may_apply(locale._get_dictionary(settings), text)


def _early_refusal(locale: Any, text: str, settings: Any) -> bool:
    spaced = _spaced(locale)
    if "\n" in text or spaced is None:
        return False
    simplifications = _simplification_letters(locale, bool(settings.NORMALIZE))
    if simplifications is None:
        return False
    lowered = text.lower()  # what Locale._simplify starts from
    if getattr(locale, "_translates_letters", False):
        lowered = _translate_letters(lowered)
    if not spaced:
        return _unspaced_refusal(locale, lowered, simplifications[0], settings)
    runs = [run for run in _RUN.findall(lowered) if _untouched(run, simplifications)]
    if not runs:
        return False
    known, stretches = _early_index(locale, settings)
    return any(_refused_run(run, known, stretches) for run in runs)


def _unspaced_refusal(locale: Any, lowered: str, consumable: frozenset[str], settings: Any) -> bool:
    """The early refusal of a language written without spaces (ja, zh, yue), whose split cuts
    a run of letters anywhere: a letter no simplification can consume stays in the string, and
    the split must then put it in a token of the locale (a dictionary word or skip token,
    matched ignoring case, or a relative date): a letter that none of these spells, in any
    case, refuses it ("Detalles" for zh: no word of it has a "d")."""
    known = None
    for run in _RUN.findall(lowered):
        for c in run:
            forms = _forms(c)
            if not forms.isdisjoint(consumable):
                continue
            if known is None:
                known = _letters_spelled(locale, settings)
                if known is None:
                    return False
            if forms.isdisjoint(known):
                return True
    return False


_spelled: dict[tuple[int, bool, tuple], tuple[Any, frozenset[str] | None]] = {}


def _letters_spelled(locale: Any, settings: Any) -> frozenset[str] | None:
    """Every form of every character of the locale's dictionary words and skip tokens and of
    its relative-date patterns' text (read as :func:`_early_index` reads them); None when a
    relative-date pattern is not modelled (it may match any letter)."""
    normalize, skip = bool(settings.NORMALIZE), tuple(settings.SKIP_TOKENS)
    key = (id(locale), normalize, skip)
    cached = _spelled.get(key)
    if cached is None or cached[0] is not locale:
        letters = None
        if _early_index(locale, settings)[1] is not None:
            words, relative = _plain_words(locale, settings)
            chars = {c for word in (*words, *skip) if word for c in str(word)}
            chars.update(c for pattern in relative for c in _ESCAPES.sub(" ", pattern))
            letters = frozenset(form for c in chars for form in _forms(c))
        cached = _spelled[key] = (locale, letters)
    return cached[1]


def _plain_words(locale: Any, settings: Any) -> tuple[Any, list[str]]:
    """The words and relative-date patterns of dateparser's plain ``Dictionary`` of the locale,
    normalised as ``NormalizedDictionary`` normalises them (when ``settings.NORMALIZE``)."""
    from dateparser.languages.dictionary import Dictionary
    from dateparser.utils import normalize_unicode

    plain = Dictionary(locale.info, settings=settings)
    words: Any = plain._dictionary
    relative = plain._relative_strings
    if settings.NORMALIZE:  # an ASCII word has no mark to drop nor letter to decompose
        words = {word if word.isascii() else normalize_unicode(word) for word in words}
        relative = [normalize_unicode(pattern) for pattern in relative]
    return words, relative


_early_indexes: dict[tuple[int, bool, tuple], tuple[Any, frozenset[str], list[str] | None]] = {}


def _early_index(locale: Any, settings: Any) -> tuple[frozenset[str], list[str] | None]:
    """:func:`_index` of the dictionary ``is_applicable`` reads, built without it: from
    dateparser's plain ``Dictionary`` of the locale (not kept by the locale), its words and
    relative-date patterns normalised here as ``NormalizedDictionary`` does (which also
    normalises every meaning: ~0.1 s over all locales in each process). Its words are the
    normalised forms of these, or some of them (a form that would clash is dropped), so the runs
    are at least the normalised dictionary's: a run missing here is missing there."""
    normalize, skip = bool(settings.NORMALIZE), tuple(settings.SKIP_TOKENS)
    key = (id(locale), normalize, skip)
    cached = _early_indexes.get(key)
    if cached is None or cached[0] is not locale:
        words, relative = _plain_words(locale, settings)
        runs = frozenset(run.casefold() for word in (*words, *skip) if word for run in _RUN.findall(str(word)))
        cached = _early_indexes[key] = (locale, runs, _stretches(relative))
    return cached[1], cached[2]


def _stretches(patterns: list[str]) -> list[str] | None:
    """The letter stretches of relative-date ``patterns``; None when one is not modelled."""
    stretches: list[str] = []
    for pattern in patterns:
        found = _segments(pattern)
        if found is None:
            return None
        stretches.extend(found)
    return sorted(set(stretches))


def _spaced(locale: Any) -> bool | None:
    """Is ``locale`` written with spaces between words (its simplifications then match whole
    words)? None when dateparser no longer says so as this module reads it."""
    parse_bool = getattr(_locale_module(), "_parse_bool", None)
    if parse_bool is None:
        return None
    return not parse_bool(locale.info.get("no_word_spacing", False))


def _locale_module() -> Any:
    from dateparser.languages import locale as locale_module

    return locale_module


def _translate_letters(text: str) -> str:
    return _locale_module()._translate_letters(text)


def install() -> bool:
    """Put :func:`may_apply` in front of dateparser's ``Locale.is_applicable`` (once per process;
    dateparser is imported here, so call this where dateparser is about to be used). False, and
    dateparser left as it is, if it no longer has what the test reads."""
    if _installed:
        return _installed[0]
    tz_filter.install()  # its zone search too, where no zone can be found
    from dateparser.languages import locale as locale_module
    from dateparser.languages.dictionary import Dictionary
    from dateparser.utils import normalize_unicode

    locale_cls = locale_module.Locale
    needed = (hasattr(locale_cls, name) for name in ("is_applicable", "_translate_numerals", "_simplify", "_get_dictionary"))
    if getattr(locale_cls.is_applicable, "_newsmon", False):
        _installed.append(True)
        return True
    if not all(needed) or not hasattr(Dictionary, "split"):
        _installed.append(False)
        return False
    original = locale_cls.is_applicable

    def is_applicable(self: Any, date_string: str, strip_timezone: bool = False, settings: Any = None,
                      ignore_surrounding_text: bool = False) -> bool:
        # With surrounding text ignored, or a timezone to strip first, the original alone decides.
        if not strip_timezone and not ignore_surrounding_text and settings is not None \
                and refuses(self, date_string, settings, normalize_unicode):
            return False
        return original(self, date_string, strip_timezone=strip_timezone, settings=settings,
                        ignore_surrounding_text=ignore_surrounding_text)

    is_applicable._newsmon = True  # type: ignore[attr-defined]
    is_applicable.__wrapped__ = original  # type: ignore[attr-defined]
    locale_cls.is_applicable = is_applicable
    _installed.append(True)
    return True


def filter_htmldate() -> bool:
    """Have htmldate's dateparser (its extensive search, languages unknown) use the test: it is
    installed when htmldate first asks for its parser, so a process that never needs dateparser
    does not import it. False if htmldate no longer builds its parser through that function."""
    extractors = htmldate.extractors
    original = getattr(extractors, "get_external_parser", None)
    if original is None:
        return False
    if getattr(original, "_newsmon", False):
        return True

    def get_external_parser() -> Any:
        install()
        return original()

    get_external_parser._newsmon = True  # type: ignore[attr-defined]
    extractors.get_external_parser = get_external_parser
    return True
