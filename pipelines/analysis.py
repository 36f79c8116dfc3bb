"""The one text-analysis chain: normalize → tokenize → stem, per language.

Topic matching, alert rules, the tantivy index and Elasticsearch all index or compare the OUTPUT
of :func:`analyze`, so a word means the same thing everywhere: "بالمغرب" and "المغربية" meet
"المغرب", "Казахстане" meets "Казахстан", "l'Ouzbékistan" meets "Ouzbékistan". The output is a
plain list of strings, meant for a whitespace-tokenized field; one term per word token, in order,
so phrase positions survive.

Stemmers, and why not snowball everywhere:

* fr, it, en, es: snowball, after our normalization (so "marroquí" and "marroqui" agree).
* ar: our own light stemmer (Larkey's light10 family). Snowball's arabic stemmer is inconsistent
  on the names this project lives on (كازاخستان → كازاخست but كازاخستاني → كازاخس), leaves
  والمغرب/فالمغرب whole, and eats real first letters (وزير → زير).
* ru: our own light case-ending stemmer (Savoy's approach). Snowball treats the "-ан" of
  Казахстан as a verb ending, so Казахстан → казахста but Казахстане → казахстан; Астана →
  аста but Астане → астан.
* kk: no stemmer exists in snowball; ours strips case, possessive, plural and a few derivational
  suffixes, never into a protected proper name (Алматы is not "алма" + accusative).

All stemmers are conservative: a missed conflation costs recall, which topic matching recovers by
listing variants; a false conflation ("казаки" Cossacks = "казахи" Kazakhs) cannot be undone.
Kazakh-specific letters (қ ғ ң ә ө ұ ү і һ) are deliberately NOT folded to Russian ones: folding
would make Kazakh "қазақ" equal Russian "казак" (Cossack).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

import regex
import snowballstemmer

from pipelines.languages import ANALYSED

LANGUAGES = ANALYSED

_SNOWBALL = {"fr": "french", "it": "italian", "en": "english", "es": "spanish"}
SNOWBALL_LANGUAGES = frozenset(_SNOWBALL)


# Elided articles/prepositions (fr, it) dropped before an apostrophe: l'Ouzbékistan, dell'Italia.
_ELISIONS = frozenset(
    "l d j m n s t c qu lorsqu puisqu jusqu quoiqu presqu quelqu "
    "dell all dall nell sull coll tutt quell quest sant un nessun buon bell po".split()
)
# English clitics dropped after an apostrophe: Morocco's, don't.
_EN_CLITICS = frozenset("s t ll re ve d m".split())

_ARABIC_MAP = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": "", "ی": "ي", "ک": "ك",
    "ۀ": "ه", "ە": "ه",
    **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
    **{chr(0x06F0 + i): str(i) for i in range(10)},  # Persian digits
    "ё": "е",
})


CACHED_CHARS = 64  # words and short labels repeat and are cached; a paragraph never comes back


def normalize(text: str) -> str:
    """Compatibility-normalize, casefold and strip marks so spelling variants compare equal.

    NFKC, casefold, remove combining marks (Latin diacritics, Arabic harakat, the hamza carried
    by alef/waw/yeh), tatweel; fold أإآٱ→ا, ى→ي, ة→ه, ё→е; digits → ASCII. Keeps й.
    Short strings (words) are cached; longer ones (whole lines) are not, so a crawl's memory
    does not grow with every paragraph it reads.
    """
    return _normalize_cached(text) if len(text) <= CACHED_CHARS else _normalize(text)


# The code points whose canonical combining class is not 0 (``unicodedata.combining``), as
# ranges, for the Unicode version below. Removing them is one regex pass over the text instead
# of a Python test per character, which was most of the cost of normalising a line. A Python
# with another Unicode database computes the set itself (~0.06 s, once); tests/test_analysis.py
# checks the ranges against ``unicodedata``.
_MARKS_UNICODE = "14.0.0"
_MARK_RANGES = (
    "300-34E 350-36F 483-487 591-5BD 5BF 5C1-5C2 5C4-5C5 5C7 610-61A 64B-65F 670 6D6-6DC 6DF-6E4 "
    "6E7-6E8 6EA-6ED 711 730-74A 7EB-7F3 7FD 816-819 81B-823 825-827 829-82D 859-85B 898-89F 8CA-8E1 "
    "8E3-8FF 93C 94D 951-954 9BC 9CD 9FE A3C A4D ABC ACD B3C B4D BCD C3C C4D C55-C56 CBC CCD D3B-D3C "
    "D4D DCA E38-E3A E48-E4B EB8-EBA EC8-ECB F18-F19 F35 F37 F39 F71-F72 F74 F7A-F7D F80 F82-F84 "
    "F86-F87 FC6 1037 1039-103A 108D 135D-135F 1714-1715 1734 17D2 17DD 18A9 1939-193B 1A17-1A18 1A60 "
    "1A75-1A7C 1A7F 1AB0-1ABD 1ABF-1ACE 1B34 1B44 1B6B-1B73 1BAA-1BAB 1BE6 1BF2-1BF3 1C37 1CD0-1CD2 "
    "1CD4-1CE0 1CE2-1CE8 1CED 1CF4 1CF8-1CF9 1DC0-1DFF 20D0-20DC 20E1 20E5-20F0 2CEF-2CF1 2D7F "
    "2DE0-2DFF 302A-302F 3099-309A A66F A674-A67D A69E-A69F A6F0-A6F1 A806 A82C A8C4 A8E0-A8F1 "
    "A92B-A92D A953 A9B3 A9C0 AAB0 AAB2-AAB4 AAB7-AAB8 AABE-AABF AAC1 AAF6 ABED FB1E FE20-FE2F 101FD "
    "102E0 10376-1037A 10A0D 10A0F 10A38-10A3A 10A3F 10AE5-10AE6 10D24-10D27 10EAB-10EAC 10F46-10F50 "
    "10F82-10F85 11046 11070 1107F 110B9-110BA 11100-11102 11133-11134 11173 111C0 111CA 11235-11236 "
    "112E9-112EA 1133B-1133C 1134D 11366-1136C 11370-11374 11442 11446 1145E 114C2-114C3 115BF-115C0 "
    "1163F 116B6-116B7 1172B 11839-1183A 1193D-1193E 11943 119E0 11A34 11A47 11A99 11C3F 11D42 "
    "11D44-11D45 11D97 16AF0-16AF4 16B30-16B36 16FF0-16FF1 1BC9E 1D165-1D169 1D16D-1D172 1D17B-1D182 "
    "1D185-1D18B 1D1AA-1D1AD 1D242-1D244 1E000-1E006 1E008-1E018 1E01B-1E021 1E023-1E024 1E026-1E02A "
    "1E130-1E136 1E2AE 1E2EC-1E2EF 1E8D0-1E8D6 1E944-1E94A"
)


def combining_ranges() -> list[tuple[int, int]]:
    """Ranges (first, last) of the code points ``unicodedata.combining`` gives a non-zero class."""
    if unicodedata.unidata_version == _MARKS_UNICODE:
        bounds = (item.split("-") for item in _MARK_RANGES.split())
        return [(int(b[0], 16), int(b[-1], 16)) for b in bounds]
    ranges: list[tuple[int, int]] = []
    for cp in range(0x110000):
        if unicodedata.combining(chr(cp)):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return ranges


def _char_class(ranges: list[tuple[int, int]]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")


# ``re`` looks a character up in one table when a class holds only the Basic Multilingual Plane,
# and tries ranges one by one otherwise; the rare marks above it (and any character there) are
# handled apart, so the common text pays one table lookup per character.
_MARKS_BMP = _char_class([r for r in combining_ranges() if r[1] < 0x10000])
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
# str.translate looks every character up in a dict (~70 ns each); a class finds the few to map
_ARABIC_KEYS = _char_class([(ord(k), ord(k)) if isinstance(k, str) else (k, k) for k in _ARABIC_MAP])


def _strip_marks(s: str) -> str:
    s = _MARKS_BMP.sub("", s)
    if _ASTRAL.search(s):
        s = "".join(ch for ch in s if not unicodedata.combining(ch))
    return s


def _map_arabic(match: re.Match[str]) -> str:
    return _ARABIC_MAP[ord(match.group())]


def _normalize(text: str) -> str:
    """:func:`normalize` itself. Equal, character for character, to NFKC, casefold, й kept aside,
    NFD, every character of non-zero combining class dropped, NFC, й back, ``_ARABIC_MAP``
    (tests/test_analysis.py compares it with that on every code point and on random text)."""
    s = unicodedata.normalize("NFKC", text).casefold()
    if not s.isascii():
        # й decomposes to и + breve, and is a letter of its own: kept aside through NFD
        s = _strip_marks(unicodedata.normalize("NFD", s.replace("й", "\x00")))
        s = unicodedata.normalize("NFC", s).replace("\x00", "й")
        if _ARABIC_KEYS.search(s):
            s = _ARABIC_KEYS.sub(_map_arabic, s)
    return s


_normalize_cached = lru_cache(maxsize=262_144)(_normalize)


@dataclass(frozen=True, slots=True)
class Token:
    term: str   # analyzed form
    start: int  # offsets in the ORIGINAL text
    end: int


_PLAIN_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_WORD_SPLIT = regex.compile(r"([\p{L}\p{M}\p{N}]+)")  # the words, and the text between them
_APOS_CHARS = frozenset("'’ʼ`´")


def word_gaps(text: str) -> tuple[list[str], list[str]]:
    """``(words, gaps)``: the word surfaces, elided articles (l', dell') and English clitics
    ('s) dropped, and the text around them: ``gaps[k]`` is the text before ``words[k]``,
    ``gaps[-1]`` the text after the last word (a dropped word is part of a gap). So
    ``gaps[0] + words[0] + gaps[1] + … + words[-1] + gaps[-1] == text``.

    One regex split, the hot path of every article (topic matching and the index); only the
    words at an apostrophe are looked at one by one. A piece before a lone apostrophe between
    two words is dropped when it is an elision; the piece after it when it is a clitic, the word
    before was kept, and no letter or digit follows it.
    """
    parts = _WORD_SPLIT.split(text)
    words, gaps = parts[1::2], parts[0::2]
    if len(words) < 2 or not any(ch in text for ch in _APOS_CHARS):
        return words, gaps
    drop: list[int] = []
    for k in [k for k in range(1, len(words)) if gaps[k] in _APOS_CHARS]:  # a lone apostrophe before word k
        before_kept = not drop or drop[-1] != k - 1  # (a clitic itself)
        if words[k - 1].casefold() in _ELISIONS:
            if before_kept:
                drop.append(k - 1)  # l'Ouzbékistan, dell'Italia
        elif before_kept and words[k].casefold() in _EN_CLITICS and not gaps[k + 1][:1].isalnum():
            drop.append(k)  # Morocco's, don't
    if not drop:
        return words, gaps
    kept_words: list[str] = []
    kept_gaps: list[str] = []
    carry = ""  # dropped words and the gaps before them, for the gap before the next kept word
    last = 0
    for k in drop:
        if k > last:
            kept_words += words[last:k]
            kept_gaps.append(carry + gaps[last])
            kept_gaps += gaps[last + 1:k]
            carry = ""
        carry += gaps[k] + words[k]
        last = k + 1
    kept_words += words[last:]
    kept_gaps.append(carry + gaps[last])
    kept_gaps += gaps[last + 1:]
    return kept_words, kept_gaps


def _words(text: str) -> list[tuple[str, int, int]]:
    """Word surfaces with offsets into ``text`` (:func:`word_gaps`' words)."""
    words, gaps = word_gaps(text)
    parts: list[str] = [""] * (2 * len(words) + 1)
    parts[0::2], parts[1::2] = gaps, words
    bounds = list(accumulate(map(len, parts)))
    return list(zip(words, bounds[0::2], bounds[1::2]))


def tokenize(text: str) -> list[Token]:
    """Word tokens with offsets into ``text``; ``term`` is the normalized, unstemmed form."""
    return [Token(normalize(w), s, e) for w, s, e in _words(text)]


# --------------------------------------------------------------------------- Arabic
_AR_ARTICLES = ("وبال", "وكال", "فبال", "فكال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال")
# Words whose first و is a root letter, not the conjunction (normalized spelling, prefixes).
_AR_WAW_ROOTS = (
    "وزير", "وزار", "وزرا", "وكال", "وكيل", "ولاي", "وطن", "وحد", "وثيق", "وثائق", "ورق", "وصول",
    "وصل", "واقع", "وقع", "وجه", "وجود", "وضع", "وفق", "وسط", "ولد", "وادي", "وراء", "وعد", "وصف",
    "وقف", "وفد", "وفاء", "وسائل", "واشنطن", "ورد", "وظيف", "وهران", "وسيل", "وارد", "وقت", "وليد",
)
_AR_SUFFIXES = ("يات", "ات", "ون", "ين", "يه", "ها", "ه", "ي")
_AR_LETTERS = regex.compile(r"^\p{Arabic}+$")


@lru_cache(maxsize=262_144)
def _stem_ar(w: str) -> str:
    """Light stemmer: one article-family proclitic or a conjunction و, then up to two suffixes."""
    if len(w) < 4 or not _AR_LETTERS.match(w):
        return w
    for p in _AR_ARTICLES:
        if w.startswith(p) and len(w) - len(p) >= 2:
            w = w[len(p):]
            break
    else:
        if w[0] == "و" and len(w) >= 5 and not w.startswith(_AR_WAW_ROOTS):
            w = w[1:]
            for p in ("ال", "لل", "بال"):
                if w.startswith(p) and len(w) - len(p) >= 2:
                    w = w[len(p):]
                    break
    for _ in range(2):
        for suf in _AR_SUFFIXES:
            if w.endswith(suf) and len(w) - len(suf) >= 3:
                w = w[: -len(suf)]
                break
        else:
            break
    return w


# --------------------------------------------------------------------------- Russian
_RU_ENDINGS = sorted(
    "иями ями ами иях ях ах ого его ому ему ыми ими ой ей ий ый ая яя ое ее ые ие ых их ым им ую юю "
    "ом ем ам ям ов ев ью ию ия ии а я о е и ы у ю ь й".split(),
    key=len, reverse=True,
)
_CYRILLIC = regex.compile(r"^[\p{Cyrillic}\d]+$")
# Whole words whose end only looks like a case ending (казах is not каз + locative -ах).
_RU_PROTECTED = frozenset({"казах", "казак"})


@lru_cache(maxsize=262_144)
def _stem_ru(w: str) -> str:
    """Strip one noun/adjective case ending, keeping at least 3 letters (no verb endings)."""
    if len(w) < 4 or w in _RU_PROTECTED or not _CYRILLIC.match(w):
        return w
    for e in _RU_ENDINGS:
        if w.endswith(e) and len(w) - len(e) >= 3:
            return w[: -len(e)]
    return w


# --------------------------------------------------------------------------- Kazakh
def _by_len(words: str) -> tuple[str, ...]:
    return tuple(sorted(words.split(), key=len, reverse=True))


_KK_RELATIVE = _by_len("дағы дегі тағы тегі ындағы індегі сындағы сіндегі")  # -дағы: "which is in"
_KK_CASE = _by_len(
    "ның нің дың дің тың тің "                          # genitive
    "ға ге қа ке ына іне сына сіне "                    # dative (-на/-не only after possessive)
    "ны ні ды ді ты ті ын ін сын сін "                  # accusative
    "да де та те ында інде сында сінде "                # locative
    "дан ден тан тен нан нен ынан інен сынан сінен "    # ablative
    "мен бен пен ымен імен сымен сімен"                 # instrumental
)
_KK_POSSESSIVE = _by_len("ымыз іміз мыз міз ыңыз іңіз ңыз ңіз ым ім ың ің сы сі ы і")
_KK_PLURAL = _by_len("лар лер дар дер тар тер")
_KK_DERIV = _by_len("лық лік дық дік тық тік")
# Proper names that end in suffix-like letters; the stemmer never cuts into them.
_KK_PROTECTED = ("алматы", "астана", "канада", "мекке", "ақтөбе", "атырау", "қарағанды", "тараз",
                 "шымкент", "түркістан", "ресей", "қытай", "франция", "испания", "италия")


_KK_VOWELS = frozenset("аәеиоөұүыіэюяу")
_KK_VOICELESS = frozenset("кқпстфхцчшщ")


def _kk_fits(suffix: str, prev: str) -> bool:
    """Kazakh suffixes assimilate to the sound before them; a mismatch means it is no suffix.

    (Үкіметі is үкімет + possessive і, not үкіме + accusative ті: -ті follows only a voiceless
    consonant.)
    """
    head = suffix[0]
    if head in "тқкп":
        return prev in _KK_VOICELESS
    if suffix in ("ды", "ді", "дың", "дің"):
        return prev not in _KK_VOWELS and prev not in _KK_VOICELESS
    if head in "дгғб":
        return prev not in _KK_VOICELESS
    if suffix in ("ның", "нің"):
        return prev in _KK_VOWELS or prev in "мнң"
    if suffix in ("ны", "ні"):
        return prev in _KK_VOWELS
    if suffix in ("нан", "нен"):
        return prev in "мнң"
    return True


def _strip(w: str, suffixes: tuple[str, ...], floor: int) -> str:
    for s in suffixes:
        if w.endswith(s) and len(w) - len(s) >= floor and _kk_fits(s, w[-len(s) - 1]):
            return w[: -len(s)]
    return w


@lru_cache(maxsize=262_144)
def _stem_kk(w: str) -> str:
    """Strip relative -ғы, case, possessive, plural and adjective -лық, in that (outer→inner) order."""
    if len(w) < 5 or not _CYRILLIC.match(w):
        return w
    floor = 3
    for name in _KK_PROTECTED:
        if w.startswith(name):
            floor = max(floor, len(name))
    at = w.find("стан")  # Қазақстан, Өзбекстан: "-тан" there is not the ablative
    if at >= 0:
        floor = max(floor, at + 4)
    before = w
    w = _strip(w, _KK_RELATIVE, floor)
    if w != before:  # -дағы: the locative is part of the suffix
        return _strip(_strip(w, _KK_PLURAL, floor), _KK_DERIV, floor)
    w = _strip(w, _KK_CASE, floor)
    w = _strip(w, _KK_POSSESSIVE, max(floor, 4))
    w = _strip(w, _KK_PLURAL, floor)
    return _strip(w, _KK_DERIV, floor)


# --------------------------------------------------------------------------- dispatch
@lru_cache(maxsize=8)
def _snowball(lang: str):
    """The Snowball stemmer of ``lang``: snowballstemmer hands out PyStemmer's C build of the same
    algorithms when it is installed (it is, in requirements.txt), 20-30x faster than its own
    pure-Python one with the same stems (tests/test_analysis.py compares them word by word)."""
    return snowballstemmer.stemmer(_SNOWBALL[lang])


def _make_latin_stem(lang: str):
    stemmer = _snowball(lang)

    @lru_cache(maxsize=262_144)
    def stem(w: str) -> str:
        if not w.isascii() and not regex.match(r"^[\p{Latin}\d]+$", w):
            return w  # other scripts pass through untouched
        return stemmer.stemWord(w) or w

    return stem


_STEMMERS = {"ar": _stem_ar, "ru": _stem_ru, "kk": _stem_kk,
             **{lang: _make_latin_stem(lang) for lang in _SNOWBALL}}


def _lang_key(lang: str | None) -> str | None:
    if not lang:
        return None
    key = lang.lower().replace("_", "-").split("-")[0]
    return key if key in _STEMMERS else None


def stemmer(lang: str | None):
    """The cached word → stem function for ``lang`` (identity when unknown): hoist it out of loops."""
    key = _lang_key(lang)
    return _STEMMERS[key] if key else _identity


def _identity(term: str) -> str:
    return term


def stem(term: str, lang: str | None) -> str:
    """Stem an already-normalized term (identity for unknown languages)."""
    key = _lang_key(lang)
    return _STEMMERS[key](term) if key else term


def analyze_tokens(text: str, lang: str | None) -> list[Token]:
    """Tokens whose ``term`` is normalized and stemmed for ``lang`` (neutral when unknown)."""
    key = _lang_key(lang)
    if key is None:
        return tokenize(text)
    st = _STEMMERS[key]
    return [Token(st(normalize(w)), s, e) for w, s, e in _words(text)]


def normalize_all(words: list[str]) -> list[str]:
    """``[normalize(w) for w in words]``, through the C-level ``map`` when every word is short
    enough to be cached (no Python call per word)."""
    if not words or max(map(len, words)) <= CACHED_CHARS:
        return list(map(_normalize_cached, words))
    return [normalize(w) for w in words]


def analyze(text: str, lang: str | None) -> list[str]:
    """Terms to index or match: one per word token, normalized and stemmed for ``lang``."""
    neutral = normalize_all(word_gaps(text)[0])
    key = _lang_key(lang)
    return list(map(_STEMMERS[key], neutral)) if key else neutral


def analyze_twice(text: str, lang: str | None) -> tuple[list[str], list[str]]:
    """``(analyze(text, lang), analyze(text, None))`` from one pass over the words: what the
    index stores in a language's fields and in the language-neutral ones."""
    neutral = normalize_all(word_gaps(text)[0])
    key = _lang_key(lang)
    if key is None:
        return neutral, neutral
    return list(map(_STEMMERS[key], neutral)), neutral


def analyze_query_term(term: str, lang: str | None) -> list[str]:
    """A user's word or phrase → exactly the term sequence :func:`analyze` gives it in ``lang``."""
    return analyze(term, lang)


# Single-letter Arabic proclitics (ب ل ك ف, also after و) that the Arabic analyzer deliberately
# keeps: stripping them in the index would wreck real words (بلد, لبنان, فرنسا, كندا). A query
# word is therefore also looked for with them attached. It matches only words that literally
# are that prefix plus the query word; the rare price is a short word that is itself the tail
# of another (بنان also finds لبنان).
AR_PROCLITICS = ("ب", "ل", "وب", "ول")  # not ك/ف: كامل, كبير, فساد, فيلم are words of their own
MIN_AR_EXPANDABLE = 4


def query_variants(term: str, lang: str | None, expand: bool = True) -> list[list[str]]:
    """Every term sequence a query word or phrase should match in ``lang``: its analysis first,
    then (Arabic, one word, ``expand``) the forms with a single-letter proclitic glued on.
    Callers pass ``expand=False`` under a negation, where a wider match would exclude more."""
    base = analyze_query_term(term, lang)
    variants = [base] if base else []
    if expand and lang == "ar" and len(base) == 1 and len(base[0]) >= MIN_AR_EXPANDABLE and _is_arabic(base[0]):
        variants += [[p + base[0]] for p in AR_PROCLITICS]
    return variants


def _is_arabic(word: str) -> bool:
    return all("\u0600" <= ch <= "\u06ff" for ch in word)


def words(text: str) -> list[tuple[str, int, int]]:
    """Raw word surfaces with offsets (elision handled) — for callers that analyze lazily."""
    return _words(text)
