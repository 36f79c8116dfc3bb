"""dateparser's time-zone search, skipped where its answer is provably "none".

dateparser strips a time-zone token ("EST", "GMT+2", "+05:30") from a date string before it
reads it: a search with regular expressions of all its ~800 zone names and offset forms, built
on first use (~0.1 s of CPU in each process: every ``extract --batch`` worker, every crawl,
for the first date string htmldate or the byline fallback hands it). Most strings hold no
zone at all ("Jueves 28 de Abril de 2022 5:03 PM", "16 marca 2021").

:func:`install` puts a test in front of the three functions that read those expressions
(``_find_tz``, ``word_is_tz``, ``is_timezone_token``): it answers "no zone here" only when no
zone could match, read from the zone list itself (its names, and the forms of its offsets),
else dateparser's own function answers, unchanged:

* an offset form (``UTC\\+05:30``, ``\\-0530``, ``(?:UTC|GMT)\\+5:?30.*`` …) always holds a
  ``+`` or ``-``, and, unless it ends in ``.*`` (then ``UTC``/``GMT`` comes right before the
  sign), is anchored at the end, at most :data:`TAIL` characters after its sign;
* a name (``EST``, ``SEČ``) is matched case-insensitively after a non-letter and before the
  end, a non-letter or a digit: a name must stand in the string as it is written, by the
  letters each character of the string can match in that engine (asked of the engine itself,
  one character at a time, remembered), not after an ASCII letter nor before one or ``_``.

The zone list's shape is checked when installing; a dateparser whose list has other forms
keeps its functions as they are. ``tests/test_dates_tz_filter.py`` compares the answers with
dateparser's on many strings.
"""

from __future__ import annotations

import re
from typing import Any

import regex

# The two templates of dateparser 1.5's zone list: offsets anchored at the end, names between
# non-letters.
OFFSET_TEMPLATE = "(.)%s$"
NAME_TEMPLATE = r"(\W|\d|_)%s($|\W|(?=\d))"
# An offset form: an optional UTC/GMT (or a lookbehind for a space), a sign, then digits and
# an optional colon; the ".*" forms follow UTC/GMT. The longest tail after the sign is "12:00".
_OFFSET_FORM = re.compile(r"(?:UTC|GMT|\(\?:UTC\|GMT\)|\(\?<=\\s\))?\\[+-]\d{1,2}(?::\??)?(?:\d{2})?(\.\*)?")
TAIL = 6  # characters from a sign to the end of an anchored offset ("+05:30"), at most
_ASCII_LETTER = re.compile(r"[A-Za-z_]")  # \w and not \d in every engine: never beside a name

_state: dict[str, Any] = {}


class _Letters(dict):
    """A character → the name letter it matches case-insensitively in ``engine`` (or "\\0"),
    asked of the engine once per character."""

    def __init__(self, letters: set[str], engine: Any) -> None:
        super().__init__()
        self.patterns = [(letter, engine.compile(engine.escape(letter), engine.IGNORECASE)) for letter in sorted(letters)]

    def __missing__(self, code: int) -> str:
        char = chr(code)
        found = [letter for letter, pattern in self.patterns if pattern.fullmatch(char)]
        # the letters are capitals, one per case class: one at most (else "\1", not modelled)
        self[code] = result = found[0] if len(found) == 1 else ("\0" if not found else "\1")
        return result


def _names_inside(folded: str, original: str, names: frozenset[str], lengths: tuple[int, ...]) -> bool:
    """Could a name stand after some character of ``original`` (``folded``: its characters as
    the name letters they match), with no ASCII letter before it nor ASCII letter or "_" after?"""
    if "\1" in folded:
        return True  # a character matching two letters: not modelled
    for i in range(1, len(folded)):
        before = original[i - 1]
        if before != "_" and _ASCII_LETTER.match(before):
            continue
        for n in lengths:
            if folded[i:i + n] in names and (i + n == len(original) or not _ASCII_LETTER.match(original, i + n)):
                return True
    return False


def may_hold_zone(string: str) -> bool:
    """False only when ``_find_tz(string)`` finds nothing."""
    tail = string.rstrip("\n")[-(TAIL + 1):]
    if "+" in tail or "-" in tail:
        return True
    names, lengths, letters = _state["names"], _state["lengths"], _state["regex_letters"]
    folded = string.translate(letters)
    if "+" in string or "-" in string:  # UTC/GMT right before a sign, anything after (the ".*" forms)
        for prefix in ("UTC", "GMT"):
            at = folded.find(prefix)
            while at != -1:
                if string[at + 3:at + 4] in ("+", "-"):
                    return True
                at = folded.find(prefix, at + 1)
    return _names_inside(folded, string, names, lengths)


def may_start_with_zone(word: str) -> bool:
    """False only when ``word_is_tz(word)`` (names matched at the start, case as written) is."""
    if word[:1] in ("+", "-") or word.startswith(("UTC", "GMT")):
        return True
    return any(word[:n] in _state["exact_names"] for n in _state["lengths"])


def may_be_zone(token: str) -> bool:
    """False only when ``is_timezone_token(token)`` (a whole name, any case) is."""
    text = token.strip()
    if "+" in text or "-" in text:
        return True
    if len(text) not in _state["lengths"]:
        return False
    folded = text.translate(_state["re_letters"])
    return "\1" in folded or folded in _state["names"]


def _read_zone_list(zones: list[dict]) -> dict[str, Any] | None:
    """The names and checks of the zone list, or None when it has a form not modelled here."""
    names: set[str] = set()
    for entry in zones:
        templates = entry.get("regex_patterns")
        if templates == [NAME_TEMPLATE]:
            if entry.get("replace"):
                return None
            for name, _ in entry["timezones"]:
                if not name or not name.isalpha() or len(name.upper()) != len(name):
                    return None
                names.add(name)
        elif templates == [OFFSET_TEMPLATE]:
            for name, _ in entry["timezones"]:
                forms = [name] + [regex.sub(old, new, name) for old, new in entry.get("replace", [])]
                for form in forms:
                    m = _OFFSET_FORM.fullmatch(form)
                    if m is None or (m.group(1) and not form.startswith(("UTC", "GMT", "(?:UTC|GMT)"))):
                        return None
        else:
            return None
    if not names:
        return None
    # Case-insensitive matching puts a letter and its capital in one class: the names are
    # compared in capitals ("ChST" as "CHST"), each character of a string as the capital it
    # matches.
    letters = {c for name in names for c in name.upper()} | set("UTCGM")
    return {
        "names": frozenset(name.upper() for name in names),
        "exact_names": frozenset(names),
        "lengths": tuple(sorted({len(n) for n in names})),
        "regex_letters": _Letters(letters, regex),
        "re_letters": _Letters(letters, re),
    }


def install() -> bool:
    """Put the tests in front of dateparser's zone search (once per process). False, and
    dateparser left as it is, when its zone list or functions are not the ones modelled."""
    if "installed" in _state:
        return _state["installed"]
    try:
        from dateparser import timezone_parser
        from dateparser.languages import dictionary as dictionary_module
        from dateparser.languages import locale as locale_module
        from dateparser.timezones import timezone_info_list
    except ImportError:
        _state["installed"] = False
        return False
    functions = ("_find_tz", "word_is_tz", "is_timezone_token", "_search_and_pop_tz", "_tz_regexes")
    # a name's letters are matched one character at a time: no full case folding ("ß" ~ "SS")
    simple_case = getattr(regex, "DEFAULT_VERSION", None) == getattr(regex, "VERSION0", object())
    read = _read_zone_list(timezone_info_list) \
        if simple_case and all(hasattr(timezone_parser, f) for f in functions) else None
    if read is None or getattr(timezone_parser._find_tz, "_newsmon", False):
        _state["installed"] = read is not None
        return _state["installed"]
    _state.update(read)
    find_tz, word_is_tz, is_timezone_token = (timezone_parser._find_tz, timezone_parser.word_is_tz,
                                              timezone_parser.is_timezone_token)

    def _find_tz(string: str) -> Any:
        return find_tz(string) if may_hold_zone(string) else None

    def word_is_tz_(word: str) -> bool:
        return word_is_tz(word) if may_start_with_zone(word) else False

    def is_timezone_token_(token: str) -> bool:
        return is_timezone_token(token) if may_be_zone(token) else False

    for new, old in ((_find_tz, find_tz), (word_is_tz_, word_is_tz), (is_timezone_token_, is_timezone_token)):
        new._newsmon = True  # type: ignore[attr-defined]
        new.__wrapped__ = old  # type: ignore[attr-defined]
    timezone_parser._find_tz = _find_tz  # _search_and_pop_tz (pop_tz_offset_from_string) reads it here
    for module in (timezone_parser, locale_module, dictionary_module):
        if getattr(module, "word_is_tz", None) is word_is_tz:
            module.word_is_tz = word_is_tz_
        if getattr(module, "is_timezone_token", None) is is_timezone_token:
            module.is_timezone_token = is_timezone_token_
    _state["installed"] = True
    return True
