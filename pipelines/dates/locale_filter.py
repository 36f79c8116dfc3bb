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
way (``tests/test_dates_locale_filter.py`` checks every locale on a few hundred strings); only
the compile is skipped.
"""

from __future__ import annotations

from typing import Any

import htmldate.extractors
import regex

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


def _segments(pattern: str) -> list[str] | None:
    """The letters a match of ``pattern`` can run together, one string per stretch that no
    non-letter it must match interrupts (a letter run of a match is a subsequence of one of
    them, casefolded); None when the pattern has syntax this does not model."""
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
        stretches: list[str] | None = []
        for pattern in dictionary._relative_strings:
            found = _segments(pattern)
            if found is None:
                stretches = None
                break
            stretches.extend(found)
        cached = (words, skip, runs, sorted(set(stretches)) if stretches is not None else None)
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
    for run in runs:
        folded = run.casefold()
        if folded in known or folded in _ORDINALS or any(c.isdigit() for c in run):
            continue  # a dictionary word's, an ordinal suffix, or not only letters to Python
        if stretches is None or any(_subsequence(folded, stretch) for stretch in stretches):
            continue  # part of a relative date ("3 days ago")
        return False
    return True


def refuses(locale: Any, date_string: str, settings: Any, normalize_unicode: Any) -> bool:
    """True when ``locale`` cannot read ``date_string``, found without its split: the same
    steps as ``Locale.is_applicable`` up to the split, then :func:`may_apply`."""
    text = locale._translate_numerals(date_string)
    if settings.NORMALIZE:
        text = normalize_unicode(text)
    text = locale._simplify(text, settings=settings)
    return not may_apply(locale._get_dictionary(settings), text)


def install() -> bool:
    """Put :func:`may_apply` in front of dateparser's ``Locale.is_applicable`` (once per process;
    dateparser is imported here, so call this where dateparser is about to be used). False, and
    dateparser left as it is, if it no longer has what the test reads."""
    if _installed:
        return _installed[0]
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
