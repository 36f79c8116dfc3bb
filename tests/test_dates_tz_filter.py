"""The time-zone test in front of dateparser (pipelines.dates.tz_filter): same answers, less work.

dateparser looks for a zone ("EST", "GMT+2", "+05:30") in every date string it reads, with
expressions of its ~800 zone forms built on first use in each process. The test answers "no
zone" only where none can match. Checked here: dateparser's three zone functions give the same
answers with and without it on bylines and on random strings made of zone names, offsets and
letters whose case is special; the matching of a name's letters is the engines' own; a fresh
process reading dates with no zone builds none of the expressions, one with a zone still finds it.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import textwrap

import regex

from pipelines.dates import tz_filter

BYLINES = [
    "Jueves 28 de Abril de 2022 5:03 PM", "Detalles Publicado: Jueves, 21 Abril 2022 04:45",
    "Alta Floresta - MT, 22 de novembro de 2020. 18:20", "16 marca 2021", "1651035600", "pt15m",
    "miércoles, 4 de mayo de 202207:59", "Unica.md, 20 septembrie 2020 16:20",
    "March 21st, 2022 5:03 PM EST", "Last updated 04/21/2022 10:22 GMT+2", "2020-04-14T00:38:07Z",
    "Mon, 13 Apr 2020 16:38:07 -0800 (PST)", "13 avril 2020 à 16h38 CET", "Posted at 10:00 ChST",
    "12 мая 2023 года, 14:20 МСК", "10:00 SEČ", "10:00 seč", "utc+05:30 and more", "x +0530", "x -12",
    "2019-09-28WIB19:17:34", "EST", " est ", "_EST", "EST_", "ESTx", "1EST", "10:00 zzz", "10:00 Z\n",
]


def _originals():
    from dateparser import timezone_parser

    assert tz_filter.install()
    return (timezone_parser._find_tz.__wrapped__, timezone_parser.word_is_tz.__wrapped__,
            timezone_parser.is_timezone_token.__wrapped__)


def _fuzz(count: int, seed: int = 16) -> list[str]:
    """Random strings of zone names (any case), offset forms, signs, digits, the letters whose
    case folds to an ASCII letter or from one (ſ, K, İ, ı, č, ß), and separators."""
    from dateparser.timezones import timezone_info_list

    rng = random.Random(seed)
    names = [name for entry in timezone_info_list for name, _ in entry["timezones"] if name.isalpha()]
    offsets = ["+05:30", "-0800", "+5", "-12", "UTC+2", "GMT-03:00", "utc+0530", "+05:?30", "+18:20"]
    odd = ["ſ", "K", "İ", "ı", "č", "Č", "ß", "é", "é", "x", "Abril", "de", "PM", "am", "_", "\n", "ﬅ"]
    seps = [" ", ", ", ".", "-", "+", "/", ":", "_", "(", ")", "", "\n", "1", "2020"]
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(1, 6)):
            roll = rng.random()
            piece = rng.choice(names) if roll < 0.45 else rng.choice(offsets) if roll < 0.6 \
                else rng.choice(odd) if roll < 0.85 else str(rng.randint(0, 2030))
            if rng.random() < 0.3:  # a letter of a name swapped for one matching it in some case
                piece = piece.replace("S", rng.choice(["ſ", "s"])).replace("K", "K").replace("I", rng.choice(["ı", "İ", "i"]))
            parts += [rng.choice([piece, piece.lower(), piece.title(), piece.swapcase()]), rng.choice(seps)]
        out.append("".join(parts))
    return out


def test_the_zone_functions_answer_as_dateparser_on_bylines_and_random_strings():
    find_tz, word_is_tz, is_timezone_token = _originals()
    from dateparser import timezone_parser
    from dateparser.languages import dictionary, locale

    strings = BYLINES + _fuzz(6000)
    found = skipped = 0
    for string in strings:
        assert timezone_parser._find_tz(string) == find_tz(string), string
        words = [string, *string.split(), *re.split(r"[\s,.:]+", string)]
        for word in words:
            assert locale.word_is_tz(word) == word_is_tz(word), word
            assert dictionary.is_timezone_token(word) == is_timezone_token(word), word
            assert timezone_parser.is_timezone_token(word) == is_timezone_token(word), word
        assert _popped(timezone_parser.pop_tz_offset_from_string(string)) == _popped(_pop_unfiltered(string, find_tz))
        found += find_tz(string) is not None
        skipped += not tz_filter.may_hold_zone(string)
    assert found > 1000 and skipped > 300  # both answers are exercised, and the test does skip


def _popped(result):
    rest, zone = result
    return rest, zone and (zone.tzname(None), zone.utcoffset(None))


def _pop_unfiltered(string, find_tz):
    from dateparser import timezone_parser

    patched = timezone_parser._find_tz
    timezone_parser._find_tz = find_tz
    try:
        return timezone_parser.pop_tz_offset_from_string(string)
    finally:
        timezone_parser._find_tz = patched


def test_a_name_letter_and_its_capital_match_the_same_characters():
    """Names are compared in capitals ("ChST" as "CHST"): in both engines a letter of a name
    matches, ignoring case, exactly the characters its capital matches (every BMP character)."""
    from dateparser.timezones import timezone_info_list

    letters = {c for entry in timezone_info_list for name, _ in entry["timezones"] if name.isalpha()
               for c in name if c != c.upper()}
    assert letters  # "ChST", "zzz"
    chars = [chr(i) for i in range(0x10000) if not 0xD800 <= i < 0xE000]
    for engine in (re, regex):
        for letter in letters:
            small = engine.compile(engine.escape(letter), engine.IGNORECASE)
            capital = engine.compile(engine.escape(letter.upper()), engine.IGNORECASE)
            assert [c for c in chars if small.fullmatch(c)] == [c for c in chars if capital.fullmatch(c)]


def test_an_unmodelled_zone_list_leaves_dateparser_alone():
    assert tz_filter._read_zone_list([{"regex_patterns": ["%s\\b"], "timezones": [("EST", -18000)]}]) is None
    assert tz_filter._read_zone_list([{"regex_patterns": [tz_filter.NAME_TEMPLATE], "timezones": [("E5T", 1)]}]) is None
    assert tz_filter._read_zone_list([{"regex_patterns": [tz_filter.OFFSET_TEMPLATE],
                                       "timezones": [("UTC[+-]12", 1)]}]) is None
    assert tz_filter._read_zone_list([{"regex_patterns": [tz_filter.NAME_TEMPLATE], "timezones": [("EST", 1)]},
                                      {"regex_patterns": [tz_filter.OFFSET_TEMPLATE],
                                       "timezones": [("UTC\\+05:30", 19800)]}]) is not None


def test_a_fresh_process_reading_dates_without_zones_builds_no_zone_expressions():
    """As an ``extract --batch`` worker: htmldate's dateparser and the byline fallback read
    strings with no zone, and the zone expressions (~0.1 s to build) are never built; a string
    with a zone still gets it."""
    code = textwrap.dedent("""
        import json
        from datetime import datetime, timezone
        import htmldate.extractors
        import pipelines.dates.page
        from pipelines.dates.normalize import parse
        from dateparser import timezone_parser
        parser = htmldate.extractors.get_external_parser()
        read = [str(parser.get_date_data(s).date_obj) for s in
                ("Jueves 28 de Abril de 2022 5:03 PM", "Detalles Publicado: Jueves, 21 Abril 2022 04:45")]
        read.append(str(parse("1651035600", "es", "UTC", datetime(2026, 1, 1, tzinfo=timezone.utc))))
        built = timezone_parser._build_tz_regexes.cache_info().currsize
        zoned = parser.get_date_data("March 21st, 2022 5:03 PM EST")
        print(json.dumps([read, built, str(zoned.date_obj), timezone_parser._build_tz_regexes.cache_info().currsize]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    read, built, zoned, built_after = json.loads(out)
    assert read[:2] == ["2022-04-28 17:03:00", "None"] and read[2].startswith("ParsedDate(value=datetime.date(2022, 4, 27)")
    assert built == 0
    assert zoned == "2022-03-21 17:03:00" and built_after == 1  # read in its zone (htmldate asks for naive times)
