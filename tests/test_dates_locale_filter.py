"""The locale test in front of dateparser (pipelines.dates.locale_filter): same answers, less work.

htmldate's extensive search hands dateparser strings with no language; dateparser then tries its
~200 locales, compiling a large expression for each. The test put in front of it answers "no"
for a locale only when a word of the string can be part of none of its tokens. Checked here:
every locale gives the same answer with and without the test, on strings made of each locale's
own words (the strings a locale does read) and on strings of bylines and widgets; dateparser's
parse is the same; and a string that no locale reads no longer compiles every locale's tables.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from pipelines.dates import locale_filter

# Bylines, widgets and dates as pages write them, in and outside newsmon's languages (written
# here); some read in one locale, some in none.
STRINGS = [
    "Publicado el jueves, 21 de abril de 2022 04:45", "Detalle publicado: viernes 3 junio 2022 10:00",
    "Veröffentlicht am 3. März 2021 um 10:15 Uhr", "Autor Redaktion, 3 März 2021", "terça-feira, 5 de maio de 2020",
    "Região Norte - PA, 12 de outubro de 2020. 08:40", "opublikowano 16 marca 2021", "16 marca 2021", "pt20m", "45m", "1651035600",
    "mercoledì 4 maggio 2022, 07:59", "vendredi 8 avril 2022 à 14h30", "il y a 3 heures", "3 hours ago",
    "in 2 days", "21st March 2022", "March 21st, 2022 5:03 PM EST", "12 мая 2023 года, 14:20", "5 ақпан 2024",
    "١٢ مارس ٢٠٢٣", "الأربعاء 12 مارس 2023 - 10:30", "2022年4月21日", "٢٠٢٢/٠٤/٢١", "Sonntag, 5. Mai 2019",
    "৫ এপ্রিল ২০২০", "21 avril 2022 mis à jour le 22 avril", "Dernière mise à jour : 21/04/2022",
    "Last updated 04/21/2022 10:22 GMT+2", "hace 2 días", "2 дня назад", "vor 5 Minuten", "vor 5h",
    # written without spaces: dateparser cuts the run of letters into words ("昨天" + "上午")
    "昨天上午", "昨日午前", "3日前", "今天下午3点", "2022年4月21日上午10时", "เมื่อวานนี้",
    # Hausa's relative-date pattern "watanni da suka gabata (\d+…)}" ends in a literal "}"
    "watanni da suka gabata 3}", "watanni da suka gabata 3", "watanni 3 da suka gabata", "3 watanni",
]


@pytest.fixture(scope="module")
def parser():
    """htmldate's dateparser (no language, its settings), with the test installed."""
    import htmldate.extractors

    from pipelines.dates import page  # noqa: F401 - hooks htmldate's parser, as the dates stage does

    return htmldate.extractors.get_external_parser()


def _locales(parser):
    loader = parser._get_locale_loader()
    locales = list(loader.get_locales(languages=None, locales=None, region=None, use_given_order=False))
    return list(dict.fromkeys(locales + [locale._native for locale in locales]))


def _own_words(locale, n: int) -> str:
    """A date string in ``locale``'s own words (the n-th of a few shapes)."""
    info = locale.info

    def word(key: str) -> str:
        values = info.get(key) or [""]
        return values[n % len(values)]

    relative = [r for values in info.get("relative-type", {}).values() for r in values]
    shapes = [f"{word('monday')}, 21 {word('april')} 2022 04:45", f"3 {word('march')} 2021 {word('pm')}",
              relative[n % len(relative)] if relative else f"{word('year')} 2020 {word('december')} 5",
              f"{(info.get('skip') or [''])[0]} 7 {word('may')} 2019"]
    return shapes[n % len(shapes)]


def test_every_locale_answers_as_without_the_test(parser):
    from dateparser.languages.locale import Locale
    from dateparser.utils import normalize_unicode

    assert locale_filter.install()
    original = Locale.is_applicable.__wrapped__
    locales = _locales(parser)
    assert len(locales) > 200
    strings = list(dict.fromkeys(STRINGS + [_own_words(locale, n) for n, locale in enumerate(locales)]))
    applicable = refused = 0
    for string in strings:
        for locale in locales:
            expected = original(locale, string, strip_timezone=False, settings=parser._settings)
            assert locale.is_applicable(string, strip_timezone=False, settings=parser._settings) == expected, \
                (locale.shortname, string)
            applicable += expected
            refused += locale_filter.refuses(locale, string, parser._settings, normalize_unicode)
    assert applicable > len(strings)  # the strings of a locale's own words do read in it
    assert refused > 0.8 * len(strings) * len(locales)  # and most pairs never reach the split


def test_dateparser_parses_the_same_with_and_without_the_test(parser):
    from dateparser.languages.locale import Locale

    patched = Locale.is_applicable
    results = {}
    for name, method in (("with", patched), ("without", patched.__wrapped__)):
        Locale.is_applicable = method
        try:
            results[name] = [(d.date_obj, d.locale, d.period) for d in map(parser.get_date_data, STRINGS)]
        finally:
            Locale.is_applicable = patched
    assert results["with"] == results["without"]
    parsed = dict(zip(STRINGS, results["with"]))
    assert parsed["terça-feira, 5 de maio de 2020"][1] == "pt"
    assert parsed["terça-feira, 5 de maio de 2020"][0].date().isoformat() == "2020-05-05"
    assert parsed["16 marca 2021"][0].date().isoformat() == "2021-03-16"


def test_a_string_no_locale_reads_compiles_next_to_nothing():
    """In a fresh process (as each ``extract --batch`` worker is), htmldate's dateparser given
    a byline no locale reads: no date, and only the locales that could read its words (and ja, zh,
    yue, left to dateparser) compile their tables (all ~200 did before: ~2 s of CPU)."""
    code = textwrap.dedent("""
        import json, time
        import htmldate.extractors
        import pipelines.dates.page
        from dateparser.languages.dictionary import Dictionary
        parser = htmldate.extractors.get_external_parser()
        started = time.process_time()
        nothing = parser.get_date_data("Detalle publicado: viernes 3 junio 2022 10:00")
        compiled = sum(len(v) for v in Dictionary._split_regex_cache.values())
        loaded = list(parser._get_locale_loader()._loaded_locales.values())
        simplified = sum(locale._normalized_simplifications is not None for locale in loaded)
        german = parser.get_date_data("Sonntag, 5. Mai 2019")
        print(json.dumps([nothing.date_obj is None, compiled, simplified, len(loaded), str(german.date_obj),
                          german.locale, time.process_time() - started]))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    none, compiled, simplified, loaded, german, locale, _seconds = json.loads(out)
    assert none
    assert compiled <= 10  # the languages written without spaces, and whichever could read it (of ~200)
    # Nor are the simplifications of the locales a word of the string already refuses compiled
    # (all ~200 were): only those whose simplifications could consume every unknown word.
    assert loaded > 200 and simplified <= 20
    assert (german, locale) == ("2019-05-05 00:00:00", "de")


def _fuzz_strings(locales, count: int, seed: int = 16) -> list[str]:
    """Random strings of what the test reasons about: each locale's words, the words and
    replacements of its simplifications (which the test must leave alone), letters no locale
    knows, case changes, accents and letters whose case is special (ß, İ, ı, ς, ſ), digits,
    and the separators a word can touch (space, punctuation, underscore, a digit)."""
    import random
    import re as stdre

    rng = random.Random(seed)
    pools = []
    for locale in locales:
        words = [w for key, values in locale.info.items() if isinstance(values, list)
                 for w in values if isinstance(w, str)]
        words += [w for values in locale.info.get("relative-type", {}).values() for w in values]
        for simplification in locale.info.get("simplifications", []):
            key, value = next(iter(simplification.items()))
            words += stdre.findall(r"[^\W\d_]+(?:\s+[^\W\d_]+)*", key) + [str(value)]
        pools.append([w for w in words if w])
    odd = ["ß", "ss", "İ", "ı", "ς", "σ", "ſ", "K", "ﬁ", "é", "e\u0301", "xq", "zzv", "Detalles", "Publicado"]
    seps = [" ", ", ", ". ", "-", "/", ":", "_", "'", " 3 ", "1", "\t", "  ", "("]
    strings = []
    for _ in range(count):
        pool = rng.choice(pools)
        parts = []
        for _ in range(rng.randint(1, 6)):
            roll = rng.random()
            piece = rng.choice(pool) if roll < 0.7 else rng.choice(odd) if roll < 0.85 else str(rng.randint(1, 2030))
            piece = rng.choice([piece, piece, piece.upper(), piece.title(), piece.swapcase()])
            parts.append(piece)
            parts.append(rng.choice(seps))
        strings.append("".join(parts).strip() or "x")
    return strings


def test_random_strings_get_the_same_answer_from_every_locale(parser):
    """Fuzz: the test's answers equal dateparser's on random strings, for every locale; the
    early refusal (before a locale's simplifications) is never the only one to say no."""
    locales = _locales(parser)
    early, applicable = _same_answers(locales, _fuzz_strings(locales, 400), parser._settings)
    assert applicable > 100 and early > 20_000  # both answers are exercised


def _same_answers(locales, strings, settings) -> tuple[int, int]:
    """Every locale's filtered ``is_applicable`` equals dateparser's own on every string, and
    an early refusal only where dateparser says no too: (early refusals, applicable answers)."""
    from dateparser.languages.locale import Locale
    from dateparser.utils import normalize_unicode

    assert locale_filter.install()
    original = Locale.is_applicable.__wrapped__
    early = applicable = 0
    for string in strings:
        for locale in locales:
            expected = original(locale, string, strip_timezone=False, settings=settings)
            assert locale.is_applicable(string, strip_timezone=False, settings=settings) == expected, \
                (locale.shortname, string)
            text = normalize_unicode(locale._translate_numerals(string))
            if locale_filter._early_refusal(locale, text, settings):
                assert not expected, (locale.shortname, string)
                early += 1
            applicable += expected
    return early, applicable


def test_the_early_index_holds_every_word_of_the_normalised_dictionary(parser):
    """The early refusal reads its words from dateparser's plain dictionary, normalised here:
    every locale's index holds at least the letter runs of the normalised dictionary that
    ``is_applicable`` splits with, and the same relative-date stretches."""
    settings = parser._settings
    extra = 0
    for locale in _locales(parser):
        known, stretches = locale_filter._index(locale._get_dictionary(settings))
        early_known, early_stretches = locale_filter._early_index(locale, settings)
        assert known <= early_known, locale.shortname
        assert early_stretches == stretches, locale.shortname
        extra += len(early_known - known)
    assert extra < 50  # the same words, give or take a clashing form


def test_languages_written_without_spaces_are_refused_by_a_letter_none_of_their_words_spells(parser):
    """ja, zh, yue (their split cuts a run of letters anywhere): a letter that no
    simplification consumes and that none of the locale's words, skip tokens or relative-date
    patterns spells refuses it before anything is compiled, and only where dateparser refuses
    it too; strings of their own words, with am/pm or digits, still reach dateparser."""
    unspaced = [locale for locale in _locales(parser) if locale_filter._spaced(locale) is False]
    assert {"ja", "zh", "yue"} <= {locale.shortname for locale in unspaced}
    mixed = ["Detalles 2022年4月21日", "2022年4月21日 pm", "昨天上午 Floresta", "Publicado 3日前", "am 10:00",
             "16 marca 2021", "３日前", "今天下午3点 utc"]
    strings = STRINGS + mixed + _fuzz_strings(_locales(parser), 300, seed=8)
    refused, kept = _same_answers(unspaced, strings, parser._settings)
    assert refused > 500 and kept > 20
    zh = next(locale for locale in unspaced if locale.shortname == "zh")
    assert locale_filter._simplification_letters(zh, True) is not None  # its lookahead "(?=.{0,30}[前后])" consumes nothing


def test_a_brace_closing_no_quantifier_is_a_character():
    assert locale_filter._segments(r"watanni da suka gabata (\d++[.,]?\d*+)}") == ["watanni", "da", "suka", "gabata"]
    assert locale_filter._segments(r"ab}?c") is None  # optional: the letters around it may join
    assert locale_filter._segments(r"a\}b") is None and locale_filter._segments(r"a{2}b") is None


def test_a_lookaround_consumes_no_letter():
    assert locale_filter._consumable(r"(\d+)月(?=.{0,30}[前后])") == frozenset("月")
    assert locale_filter._consumable(r"a(?<!\w)b") == locale_filter._consumable("ab")
    assert locale_filter._consumable(r"a(?=[(]).") is None  # a "(" inside: not taken out, "." consumes
    assert locale_filter._consumable(r"(?:a.)") is None
