"""pipelines.analysis: the forms a user would expect to meet, and the ones that must stay apart."""

from __future__ import annotations

import pytest

from pipelines.analysis import (LANGUAGES, Token, analyze, analyze_query_term, analyze_tokens, analyze_twice, normalize,
                                tokenize)


def one(word: str, lang: str | None) -> str:
    terms = analyze(word, lang)
    assert len(terms) == 1, terms
    return terms[0]


def test_languages_constant():
    assert LANGUAGES == ("ar", "fr", "it", "en", "ru", "kk", "es")


@pytest.mark.parametrize("raw, expected", [
    ("Éthiopie", "ethiopie"),
    ("MARROQUÍ", "marroqui"),
    ("Ёлка", "елка"),
    ("мой", "мой"),                 # й is a letter, not и + breve
    ("أستانا", "استانا"),            # hamza on alef
    ("إسبانيا", "اسبانيا"),
    ("آسيا", "اسيا"),
    ("مصطفى", "مصطفي"),             # alef maqsura
    ("المغربية", "المغربيه"),        # taa marbuta
    ("المـــغرب", "المغرب"),         # tatweel
    ("مُحَمَّدٌ", "محمد"),            # harakat
    ("٢٠٢٥", "2025"),
    ("۱۴۰۳", "1403"),
    ("ﬁnance", "finance"),           # NFKC ligature
    ("Қазақстан", "қазақстан"),      # Kazakh letters are kept
])
def test_normalize(raw, expected):
    assert normalize(raw) == expected


def test_tokenize_offsets_point_into_original_text_and_split_elision():
    text = "À l'Ouzbékistan, dell’Italia et Morocco's"
    toks = tokenize(text)
    terms = [t.term for t in toks]
    assert terms == ["a", "ouzbekistan", "italia", "et", "morocco"]
    for t in toks:
        assert normalize(text[t.start:t.end]) == t.term
    assert isinstance(toks[0], Token)


@pytest.mark.parametrize("variants", [
    ["المغرب", "بالمغرب", "والمغرب", "للمغرب", "المغربي", "المغربية", "مغربي", "والمغربية", "المغربيين"],
    ["كازاخستان", "وكازاخستان", "الكازاخستاني", "الكازاخستانية", "والكازاخستانيين"],
    ["الرباط", "بالرباط", "والرباط"],
    ["القمح", "للقمح", "والقمح"],
])
def test_arabic_clitics_and_suffixes_conflate(variants):
    assert len({one(v, "ar") for v in variants}) == 1, {v: one(v, "ar") for v in variants}


@pytest.mark.parametrize("word", ["وزير", "بلد", "لبنان", "فرنسا", "بريطانيا", "وزارة"])
def test_arabic_stemmer_keeps_real_first_letters(word):
    stem = one(word, "ar")
    assert stem[0] == normalize(word)[0], stem


@pytest.mark.parametrize("variants", [
    ["Казахстан", "Казахстана", "Казахстане", "Казахстаном", "Казахстану"],
    ["казахстанский", "казахстанского", "казахстанская", "казахстанской", "казахстанскими"],
    ["Астана", "Астаны", "Астане", "Астаной"],
    ["Рабат", "Рабата", "Рабате"],
    ["казах", "казахи", "казахов"],
])
def test_russian_cases_conflate(variants):
    assert len({one(v, "ru") for v in variants}) == 1, {v: one(v, "ru") for v in variants}


@pytest.mark.parametrize("a, b", [("казахи", "казаки"), ("Астана", "Астанаев"), ("Казахстан", "Казань")])
def test_russian_distinct_words_stay_apart(a, b):
    assert one(a, "ru") != one(b, "ru")


@pytest.mark.parametrize("variants", [
    ["Қазақстан", "Қазақстанның", "Қазақстанға", "Қазақстанда", "Қазақстандағы", "Қазақстаннан",
     "Қазақстанмен", "Қазақстанды", "қазақстандық", "қазақстандықтар"],
    ["Марокко", "Марокконың", "Мароккоға", "Мароккода", "Мароккодағы", "Мароккомен", "марокколық"],
    ["Рабат", "Рабатқа", "Рабатта", "Рабаттан"],
    ["Алматы", "Алматыда", "Алматыға", "Алматының"],
    ["Астана", "Астанада", "Астанаға", "Астананың"],
    ["үкімет", "үкіметі", "үкіметті", "үкіметтің"],
    ["министр", "министрлер", "министрлері", "министрлерінің"],
])
def test_kazakh_endings_conflate(variants):
    assert len({one(v, "kk") for v in variants}) == 1, {v: one(v, "kk") for v in variants}


@pytest.mark.parametrize("word", ["Алматы", "Астана", "Канада", "Түркістан", "Өзбекстан"])
def test_kazakh_names_are_not_cut(word):
    assert one(word, "kk") == normalize(word)


@pytest.mark.parametrize("lang, variants", [
    ("fr", ["marocain", "marocaine", "marocains", "Marocaines"]),
    ("fr", ["kazakh", "kazakhe", "kazakhs", "kazakhes"]),
    ("it", ["marocchino", "marocchina", "marocchini"]),
    ("es", ["marroquí", "marroqui", "marroquíes"]),
    ("en", ["Moroccan", "Moroccans"]),
])
def test_snowball_languages_after_folding(lang, variants):
    assert len({one(v, lang) for v in variants}) == 1


@pytest.mark.parametrize("lang, word, name", [
    ("fr", "rabattement", "Rabat"),
    ("en", "Moroccanoil", "Moroccan"),
    ("es", "marroquinería", "marroquí"),
    ("ru", "Астанаев", "Астана"),
    ("ru", "казаки", "казахи"),
    ("kk", "қазақы", "Қазақстан"),
])
def test_words_that_merely_contain_a_name_do_not_match_it(lang, word, name):
    assert one(word, lang) != one(name, lang)


def test_unknown_language_is_neutral():
    assert analyze("Les Marocaines d'Astana", None) == ["les", "marocaines", "astana"]
    assert analyze("x", "de") == ["x"]
    assert analyze("Marocaines", "fr-FR") == analyze("Marocaines", "fr")


def test_query_terms_analyze_like_documents():
    doc = analyze("Le ministre marocain a reçu la partie kazakhe à l'ambassade", "fr")
    for q in ("marocaine", "parties kazakhes", "ambassade"):
        seq = analyze_query_term(q, "fr")
        assert any(doc[i:i + len(seq)] == seq for i in range(len(doc))), q


def test_analyze_tokens_keeps_offsets_and_matches_analyze():
    text = "وقال الوزير إن المغرب وكازاخستان..."
    toks = analyze_tokens(text, "ar")
    assert [t.term for t in toks] == analyze(text, "ar")
    assert text[toks[-1].start:toks[-1].end] == "وكازاخستان"


def test_odd_input_never_crashes():
    for text in ("", "   ", "'''", "’s", "\x00\u200f\ufeff", "🙂🙂", "a" * 10_000):
        for lang in (*LANGUAGES, None):
            analyze(text, lang)


@pytest.mark.parametrize("lang", [*LANGUAGES, None, "xx"])
def test_analyze_twice_is_both_analyses_in_one_pass(lang):
    text = "L'ambassadeur marocain à Astana — Казахстане, Қазақстан, بالمغرب والكازاخستانية, it's dell'Italia 2025"
    assert analyze_twice(text, lang) == (analyze(text, lang), analyze(text, None))


def test_long_lines_are_normalized_but_not_kept_in_memory():
    """Every paragraph of every article goes through these two; caching them grew a crawl's
    memory with each article (217 MiB at 2,400 articles, 195 without). Words and labels stay cached."""
    from pipelines import analysis, cleaning

    before = (analysis._normalize_cached.cache_info().currsize, cleaning._normalize_label_cached.cache_info().currsize)
    lines = [f"Paragraph {i}: le Maroc et le Kazakhstan ont signé à Astana un accord numéro {i} sur l'énergie."
             for i in range(500)]
    assert analysis.normalize(lines[7]).startswith("paragraph 7: le maroc et le kazakhstan ont signe a astana")
    assert cleaning.normalize_label("Lire aussi : ") == "lire aussi"
    for line in lines:
        analysis.normalize(line)
        cleaning.normalize_label(line)
    after = (analysis._normalize_cached.cache_info().currsize, cleaning._normalize_label_cached.cache_info().currsize)
    assert after[0] - before[0] <= 1 and after[1] - before[1] <= 1  # only the short label above


def test_the_c_stemmer_in_use_gives_snowballs_own_stems_on_every_fixture_word():
    """analysis stems French, Italian, English and Spanish with PyStemmer (C), which snowballstemmer
    picks when installed; its stems are those of snowballstemmer's pure-Python algorithms, word
    for word, over every word of the test fixtures (a version bump that changed a stem would
    change which stored articles a query finds)."""
    import glob
    import importlib

    from pipelines import analysis
    from pipelines.analysis import _SNOWBALL, _snowball, words

    pure_module = {"french": "french_stemmer", "italian": "italian_stemmer", "english": "english_stemmer",
                   "spanish": "spanish_stemmer"}
    vocabulary: set[str] = set()
    for path in glob.glob("tests/fixtures/**/*.html", recursive=True):
        with open(path, encoding="utf-8", errors="replace") as handle:
            vocabulary.update(analysis.normalize(w) for w, _, _ in words(handle.read()))
    assert len(vocabulary) > 3000
    for lang, name in _SNOWBALL.items():
        fast = _snowball(lang)
        assert type(fast).__module__ == "Stemmer"  # the C build, not the pure-Python fallback
        module = importlib.import_module(f"snowballstemmer.{pure_module[name]}")
        pure = getattr(module, f"{name.capitalize()}Stemmer")()
        assert [fast.stemWord(w) for w in sorted(vocabulary)] == [pure.stemWord(w) for w in sorted(vocabulary)], lang


def _reference_normalize(text: str) -> str:
    """normalize() as first written: a Python test of ``unicodedata.combining`` per character and
    ``str.translate`` tables; the faster one must equal it character for character."""
    import unicodedata

    from pipelines.analysis import _ARABIC_MAP

    s = unicodedata.normalize("NFKC", text).casefold()
    if not s.isascii():
        s = unicodedata.normalize("NFD", s.translate({ord("й"): "\x00"}))
        s = "".join(ch for ch in s if not unicodedata.combining(ch))
        s = unicodedata.normalize("NFC", s).replace("\x00", "й").translate(_ARABIC_MAP)
    return s


def test_combining_ranges_are_unicodedatas():
    import unicodedata

    from pipelines.analysis import combining_ranges

    listed = {cp for first, last in combining_ranges() for cp in range(first, last + 1)}
    assert listed == {cp for cp in range(0x110000) if unicodedata.combining(chr(cp))}


def test_normalize_equals_the_reference_on_every_code_point_and_on_random_text():
    import random

    from pipelines.analysis import _normalize, combining_ranges

    for start in range(0, 0x110000, 4096):  # every code point, alone and after a letter it may attach to
        chars = [chr(cp) for cp in range(start, min(start + 4096, 0x110000))]
        for text in (" ".join(chars), " a".join(chars)):
            assert _normalize(text) == _reference_normalize(text), f"code points from U+{start:04X}"
    rnd = random.Random(16)
    marks = [chr(cp) for first, last in combining_ranges() for cp in range(first, last + 1)]
    for _ in range(3000):  # marks after letters, any code point, й, Arabic, Cyrillic, astral planes
        text = "".join(rnd.choice(marks) if rnd.random() < 0.25 else chr(rnd.randrange(0x110000)) if rnd.random() < 0.1
                       else rnd.choice("йЙёЁ\x00 ") if rnd.random() < 0.1 else chr(rnd.randint(0x20, 0x6ff))
                       for _ in range(rnd.randint(1, 60)))
        assert _normalize(text) == _reference_normalize(text), repr(text)


def test_normalize_head_is_a_prefix_of_normalize_on_every_code_point_and_on_random_text():
    """normalize_head (a line's first words normalised) gives the start of what normalize gives
    for the whole text, at least as long as asked: every code point between spaces, and random
    text of marks, spaces, й and Arabic, cut at every length."""
    import random

    from pipelines.analysis import combining_ranges, normalize_head

    def check(text: str, chars: int) -> None:
        whole, head = normalize(text), normalize_head(text, chars)
        assert whole.startswith(head) and len(head) >= min(chars, len(whole)), (repr(text), chars)

    for start in range(0, 0x110000, 4096):
        chars = [chr(cp) for cp in range(start, min(start + 4096, 0x110000))]
        for text in (" ".join(chars), " a".join(chars), "a ".join(chars)):
            for n in (1, 21, 500):
                check(text, n)
    rnd = random.Random(7)
    marks = [chr(cp) for first, last in combining_ranges() for cp in range(first, last + 1)]
    for _ in range(3000):
        text = "".join(rnd.choice(marks) if rnd.random() < 0.25 else chr(rnd.randrange(0x110000)) if rnd.random() < 0.05
                       else rnd.choice("йЙёЁß\u0438\u0306\u00a0\ufb01 ") if rnd.random() < 0.2
                       else chr(rnd.randint(0x20, 0x6ff)) for _ in range(rnd.randint(1, 120)))
        for n in range(0, 40):
            check(text, n)


def _reference_words(text: str) -> list[tuple[str, int, int]]:
    """_words as first written: every regex match with its offsets, then a Python check per word
    around apostrophes."""
    from pipelines.analysis import _APOS_CHARS, _ELISIONS, _EN_CLITICS, _PLAIN_WORD

    found = [(m.group(), m.start(), m.end()) for m in _PLAIN_WORD.finditer(text)]
    if not any(ch in text for ch in _APOS_CHARS):
        return found
    out: list[tuple[str, int, int]] = []
    n = len(text)
    for k, (w, s, e) in enumerate(found):
        if (e < n and text[e] in _APOS_CHARS and k + 1 < len(found) and found[k + 1][1] == e + 1
                and w.casefold() in _ELISIONS):
            continue
        if (s >= 2 and text[s - 1] in _APOS_CHARS and out and out[-1][2] == s - 1
                and w.casefold() in _EN_CLITICS and (e >= n or not text[e].isalnum())):
            continue
        out.append((w, s, e))
    return out


def test_words_and_gaps_equal_the_reference_and_rebuild_the_text():
    import random

    from pipelines.analysis import _words, word_gaps

    rnd = random.Random(16)
    # elisions, clitics, every apostrophe, letters and digits that are alnum to Python but not
    # words to the regex (²), marks, tatweel, and runs of apostrophes (l's't, qu'l'a)
    pieces = ["l", "L", "d", "dell", "qu", "s", "S", "t", "ll", "m", "Morocco", "don", "it", "x", "1", "٣", "é",
              "'", "’", "ʼ", "`", "´", "''", " ", "\n", ".", ",", "-", "²", "Ⅻ", "ـ", "\u0301", "_", "l'", "'s"]
    texts = ["", " ", "'", "l'", "'s", "l'Ouzbékistan dell'Italia, Morocco's don't L'Étoile qu'il",
             "rock 'n' roll", "x's't l's l'l'l'a"]
    texts += ["".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 30))) for _ in range(20_000)]
    for text in texts:
        words, gaps = word_gaps(text)
        assert len(gaps) == len(words) + 1
        assert "".join(g + w for g, w in zip(gaps, words)) + gaps[-1] == text
        assert _words(text) == _reference_words(text), repr(text)


def test_the_split_by_re_equals_regexs_on_every_code_point_and_on_random_text(monkeypatch):
    """Long texts are split by ``re`` with the listed ranges, short ones and any with a character
    above the BMP by regex itself: the same parts either way, for every code point."""
    import random

    from pipelines import analysis

    assert analysis.regex.__version__ == analysis._WORD_RANGES_REGEX  # the pinned version: the listed ranges
    listed = analysis.word_ranges_bmp()
    monkeypatch.setattr(analysis.regex, "__version__", "another")  # derived from regex itself instead
    assert analysis.word_ranges_bmp() == listed
    monkeypatch.undo()
    by_re = analysis._bmp_word_split()
    for start in range(0, 0x110000, 2048):  # every code point, alone and between letters
        chars = [chr(cp) for cp in range(start, min(start + 2048, 0x110000))]
        for text in (" ".join(chars), "a".join(chars), "".join(chars)):
            expected = analysis._WORD_SPLIT.split(text)
            assert analysis.split_words(text) == expected, f"code points from U+{start:04X}"
            if text.isascii() or not analysis._ASTRAL.search(text):
                assert len(text) >= analysis.SPLIT_BY_RE_CHARS and by_re.split(text) == expected
    rnd = random.Random(6)
    alphabet = "lL'’ \n.,-_²Ⅻـ\u0301é٣ЙйЁқәمغربالمغرب" + "".join(chr(cp) for cp in range(0x20, 0x700, 7))
    for _ in range(2000):
        text = "".join(chr(rnd.randrange(0x110000)) if rnd.random() < 0.002 else rnd.choice(alphabet)
                       for _ in range(rnd.randint(200, 900)))
        assert analysis.split_words(text) == analysis._WORD_SPLIT.split(text), repr(text[:80])
        words, gaps = analysis.word_gaps(text)
        assert "".join(g + w for g, w in zip(gaps, words)) + gaps[-1] == text
        assert analysis._words(text) == _reference_words(text), repr(text[:80])
