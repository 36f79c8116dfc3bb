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


def normalize_head(text: str, chars: int) -> str:
    """A prefix of ``normalize(text)`` at least ``chars`` characters long (or all of it), from
    the text's first words only: what a test of how a long line starts needs.

    The text is cut before its first space at or past ``chars``: :func:`_normalize` maps a
    string around a space piece by piece (NFKC and NFC never compose a space with its
    neighbours, a mark never follows it in the cut, casefold and the other steps are per
    character), so the head's normal form is a prefix of the whole text's. When it comes out
    shorter than ``chars`` (marks removed), the whole text is normalised. The head is never
    cached: every paragraph has its own. A NUL, which :func:`_normalize` turns into й in a text
    that is not all ASCII (its stand-in for й), sends the whole text there too."""
    cut = text.find(" ", chars)
    if cut >= 0 and "\x00" not in text:
        head = _normalize(text[:cut])
        if len(head) >= chars:
            return head
    return normalize(text)


@dataclass(frozen=True, slots=True)
class Token:
    term: str   # analyzed form
    start: int  # offsets in the ORIGINAL text
    end: int


_PLAIN_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_WORD_SPLIT = regex.compile(r"([\p{L}\p{M}\p{N}]+)")  # the words, and the text between them
# The same split by ``re`` (half the time on an article): the Basic Multilingual Plane's code
# points of regex's [\p{L}\p{M}\p{N}] (regex's own Unicode tables, newer than ``unicodedata``'s)
# as one class, which ``re`` looks up in one table per character. Kept for the pinned regex;
# another version derives them from regex itself. A text with a character above the plane, and a
# short one (a query, a title: not worth compiling the class for), takes regex's split.
_WORD_RANGES_REGEX = "2026.11.15"
_WORD_RANGES_BMP = (
    "30-39 41-5A 61-7A AA B2-B3 B5 B9-BA BC-BE C0-D6 D8-F6 F8-2C1 2C6-2D1 2E0-2E4 2EC 2EE 300-374 "
    "376-377 37A-37D 37F 386 388-38A 38C 38E-3A1 3A3-3F5 3F7-481 483-52F 531-556 558-559 560-588 "
    "58B-58C 591-5BD 5BF 5C1-5C2 5C4-5C5 5C7-5C9 5D0-5EA 5EF-5F2 610-61A 620-669 66E-6D3 6D5-6DC "
    "6DF-6E8 6EA-6FC 6FF 710-74A 74D-7B1 7C0-7F5 7FA 7FD 800-82D 840-85B 860-86A 870-887 889-88F "
    "897-8E1 8E3-963 966-96F 971-983 985-98C 98F-990 993-9A8 9AA-9B0 9B2 9B6-9B9 9BC-9C4 9C7-9C8 "
    "9CB-9CE 9D7 9DC-9DD 9DF-9E3 9E6-9F1 9F4-9F9 9FC 9FE A01-A03 A05-A0A A0F-A10 A13-A28 A2A-A30 "
    "A32-A33 A35-A36 A38-A39 A3C A3E-A42 A47-A48 A4B-A4D A51 A59-A5C A5E A66-A75 A81-A83 A85-A8D "
    "A8F-A91 A93-AA8 AAA-AB0 AB2-AB3 AB5-AB9 ABC-AC5 AC7-AC9 ACB-ACD AD0 AE0-AE3 AE6-AEF AF9-AFF "
    "B01-B03 B05-B0C B0F-B10 B13-B28 B2A-B30 B32-B33 B35-B39 B3C-B44 B47-B48 B4B-B4D B53-B57 B5C-B5D "
    "B5F-B63 B66-B6F B71-B77 B82-B83 B85-B8A B8E-B90 B92-B95 B99-B9A B9C B9E-B9F BA3-BA4 BA8-BAA "
    "BAE-BB9 BBE-BC2 BC6-BC8 BCA-BCD BD0 BD7 BE6-BF2 C00-C0C C0E-C10 C12-C28 C2A-C39 C3C-C44 C46-C48 "
    "C4A-C4D C55-C56 C58-C5A C5C-C5D C60-C63 C66-C6F C78-C7E C80-C83 C85-C8C C8E-C90 C92-CA8 CAA-CB3 "
    "CB5-CB9 CBC-CC4 CC6-CC8 CCA-CCD CD5-CD6 CDC-CDE CE0-CE3 CE6-CEF CF1-CF3 D00-D0C D0E-D10 D12-D44 "
    "D46-D48 D4A-D4E D54-D63 D66-D78 D7A-D7F D81-D83 D85-D96 D9A-DB1 DB3-DBB DBD DC0-DC6 DCA DCF-DD4 "
    "DD6 DD8-DDF DE6-DEF DF2-DF3 E01-E3A E40-E4E E50-E59 E81-E82 E84 E86-E8A E8C-EA3 EA5 EA7-EBD "
    "EC0-EC4 EC6 EC8-ECE ED0-ED9 EDC-EDF F00 F18-F19 F20-F33 F35 F37 F39 F3E-F47 F49-F6C F71-F84 "
    "F86-F97 F99-FBC FC6 1000-1049 1050-109D 10A0-10C5 10C7 10CD 10D0-10FA 10FC-1248 124A-124D "
    "1250-1256 1258 125A-125D 1260-1288 128A-128D 1290-12B0 12B2-12B5 12B8-12BE 12C0 12C2-12C5 "
    "12C8-12D6 12D8-1310 1312-1315 1318-135A 135D-135F 1369-137C 1380-138F 13A0-13F5 13F8-13FD "
    "1401-166C 166F-167F 1681-169A 16A0-16EA 16EE-16F8 1700-1715 171F-1734 1740-1753 1760-176C "
    "176E-1770 1772-1773 1780-17D3 17D7 17DC-17DD 17E0-17E9 17F0-17F9 180B-180D 180F-1819 1820-1878 "
    "1880-18AA 18B0-18F5 1900-191E 1920-192B 1930-193B 1946-196D 1970-1974 1980-19AB 19B0-19C9 "
    "19D0-19DA 1A00-1A1B 1A20-1A5E 1A60-1A7C 1A7F-1A89 1A90-1A99 1AA7 1AB0-1AF0 1B00-1B4C 1B50-1B59 "
    "1B6B-1B73 1B80-1BF3 1C00-1C37 1C40-1C49 1C4D-1C7D 1C80-1C8A 1C90-1CBA 1CBD-1CBF 1CD0-1CD2 "
    "1CD4-1CFA 1D00-1F15 1F18-1F1D 1F20-1F45 1F48-1F4D 1F50-1F57 1F59 1F5B 1F5D 1F5F-1F7D 1F80-1FB4 "
    "1FB6-1FBC 1FBE 1FC2-1FC4 1FC6-1FCC 1FD0-1FD3 1FD6-1FDB 1FE0-1FEC 1FF2-1FF4 1FF6-1FFC 2070-2071 "
    "2074-2079 207F-2089 208F-209F 20D0-20F0 2102 2107 210A-2113 2115 2119-211D 2124 2126 2128 "
    "212A-212D 212F-2139 213C-213F 2145-2149 214E 2150-2189 2460-249B 24EA-24FF 2776-2793 2C00-2CE4 "
    "2CEB-2CF3 2CFD 2D00-2D25 2D27 2D2D 2D30-2D67 2D6F 2D7F-2D96 2DA0-2DA6 2DA8-2DAE 2DB0-2DB6 "
    "2DB8-2DBE 2DC0-2DC6 2DC8-2DCE 2DD0-2DD6 2DD8-2DDE 2DE0-2DFF 2E2F 3005-3007 3021-302F 3031-3035 "
    "3038-303C 3041-3096 3099-309A 309D-309F 30A1-30FA 30FC-30FF 3105-312F 3131-318E 3192-3195 "
    "31A0-31BF 31F0-31FF 3220-3229 3248-324F 3251-325F 3280-3289 32B1-32BF 3400-4DBF 4E00-A48C "
    "A4D0-A4FD A500-A60C A610-A62B A640-A672 A674-A67D A67F-A6F1 A717-A71F A722-A788 A78B-A7DD A7E2 "
    "A7F1-A827 A82C A830-A835 A840-A873 A880-A8C5 A8D0-A8D9 A8E0-A8F7 A8FB A8FD-A92D A930-A953 "
    "A960-A97C A980-A9C0 A9CF-A9D9 A9E0-A9FE AA00-AA36 AA40-AA4D AA50-AA59 AA60-AA76 AA7A-AAC2 "
    "AADB-AADD AAE0-AAEF AAF2-AAF6 AB01-AB06 AB09-AB0E AB11-AB16 AB20-AB26 AB28-AB2E AB30-AB5A "
    "AB5C-AB69 AB6C-AB6D AB70-ABEA ABEC-ABED ABF0-ABF9 AC00-D7A3 D7B0-D7C6 D7CB-D7FB F900-FA6D "
    "FA70-FAD9 FB00-FB06 FB13-FB17 FB1D-FB28 FB2A-FB36 FB38-FB3C FB3E FB40-FB41 FB43-FB44 FB46-FBB1 "
    "FBD3-FD3D FD50-FD8F FD92-FDC7 FDF0-FDFB FE00-FE0F FE20-FE2F FE70-FE74 FE76-FEFC FF10-FF19 "
    "FF21-FF3A FF41-FF5A FF66-FFBE FFC2-FFC7 FFCA-FFCF FFD2-FFD7 FFDA-FFDC "
)
SPLIT_BY_RE_CHARS = 256  # texts at least this long are split by ``re`` (the class compiles in ~5 ms, once)


def word_ranges_bmp() -> list[tuple[int, int]]:
    """Ranges (first, last) of the BMP code points ``_PLAIN_WORD`` matches."""
    if regex.__version__ == _WORD_RANGES_REGEX:
        bounds = (item.split("-") for item in _WORD_RANGES_BMP.split())
        return [(int(b[0], 16), int(b[-1], 16)) for b in bounds]
    ranges: list[tuple[int, int]] = []
    points = [*range(0xD800), *range(0xE000, 0x10000)]  # no surrogates: not letters, marks or digits
    for match in _PLAIN_WORD.finditer("".join(map(chr, points))):
        for cp in points[match.start():match.end()]:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return ranges


@lru_cache(maxsize=1)
def _bmp_word_split() -> re.Pattern[str]:
    return re.compile("(" + _char_class(word_ranges_bmp()).pattern + "+)")


def split_words(text: str) -> list[str]:
    """``_WORD_SPLIT.split(text)``: the text between words at even positions, the words at odd."""
    if len(text) < SPLIT_BY_RE_CHARS or (not text.isascii() and _ASTRAL.search(text)):
        return _WORD_SPLIT.split(text)
    return _bmp_word_split().split(text)
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
    parts = split_words(text)
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
