"""The compact language model counts exactly what py3langid's own DFA walk counts, and ranks
every text exactly as py3langid does: on real pages, the sample site, random text in many
scripts, invalid UTF-8, lone surrogates, the empty text, one byte and very long texts."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import LanguageIdentifier, visit_counts

from pipelines import langid_model, language

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_ARTICLES = ROOT / "newsmon" / "sample_site" / "articles"
SCRIPTS = {  # code point ranges
    "latin": [(0x20, 0x7E), (0xC0, 0x17F)], "greek": [(0x370, 0x3FF)], "cyrillic": [(0x400, 0x4FF)],
    "arabic": [(0x600, 0x6FF), (0xFB50, 0xFDFF)], "hebrew": [(0x590, 0x5FF)], "devanagari": [(0x900, 0x97F)],
    "thai": [(0xE00, 0xE7F)], "cjk": [(0x4E00, 0x9FFF), (0x3040, 0x30FF)], "hangul": [(0xAC00, 0xD7A3)],
    "emoji": [(0x1F300, 0x1F64F)], "ethiopic": [(0x1200, 0x137F)], "georgian": [(0x10A0, 0x10FF)],
}


@pytest.fixture(scope="module")
def reference():
    """py3langid itself, restricted to the same languages, walking its DFA."""
    identifier = LanguageIdentifier.from_modelpath(langid_model.packaged_model(), norm_probs=True)
    identifier.set_languages(list(language.CANDIDATES))
    return identifier


@pytest.fixture(scope="module")
def compact():
    identifier = language.load_identifier()
    assert isinstance(identifier, langid_model.CompactIdentifier)
    return identifier


def walk(reference, data: bytes):
    return visit_counts(reference.tk_nextmove, reference._rowbase, reference.tk_output, data)


def assert_same(reference, compact, texts) -> int:
    compared = 0
    for text in texts:
        data = reference._encode(text)
        expected, got = walk(reference, data), compact.suffixes.counts(data)
        assert (expected is None) == (got is None), text[:60]
        if expected:
            assert list(got.items()) == list(expected.items()), text[:60]  # same counts, same order
        # the scores themselves, bit for bit (the compact model scores from arrays, not a dict)
        assert np.array_equal(compact._raw_score(data), reference._raw_score(data)), text[:60]
        assert compact.rank(text) == reference.rank(text), text[:60]
        compared += 1
    return compared


def random_text(rng: random.Random, scripts: list[str], length: int) -> str:
    ranges = [span for name in scripts for span in SCRIPTS[name]]
    chars = []
    for _ in range(length):
        if rng.random() < 0.15:
            chars.append(" ")
            continue
        low, high = rng.choice(ranges)
        chars.append(chr(rng.randint(low, high)))
    return "".join(chars)


def de_bruijn(alphabet: bytes, order: int) -> bytes:
    """Every string of ``order`` symbols of ``alphabet`` occurs exactly once in the result."""
    k, a, sequence = len(alphabet), [0] * (len(alphabet) * order), []

    def db(t: int, p: int) -> None:
        if t > order:
            if order % p == 0:
                sequence.extend(a[1:p + 1])
        else:
            a[t] = a[t - p]
            db(t + 1, p)
            for j in range(a[t - p] + 1, k):
                a[t] = j
                db(t + 1, t)

    db(1, 1)
    return bytes(alphabet[i] for i in sequence) + bytes(alphabet[i] for i in sequence[:order - 1])


def test_sample_site_articles_count_and_rank_the_same(reference, compact):
    texts = [path.read_text(encoding="utf-8") for path in sorted(SAMPLE_ARTICLES.rglob("*.yaml"))]
    assert len(texts) > 50
    assert assert_same(reference, compact, texts + [t[:language.SAMPLE_CHARS] for t in texts]) == 2 * len(texts)


def test_real_pages_count_and_rank_the_same(reference, compact):
    from tests.conftest import realpages_bench

    bench = realpages_bench()
    source = bench.data_dir()
    if source is None:
        pytest.skip("real-page dev sets not found (NEWSMON_REALPAGES, default ../shared/realpages)")
    pages = bench.load_extraction(source) + bench.load_dates(source)
    texts = []
    for page in pages:
        html = page.body().decode("utf-8", errors="replace")
        middle = len(html) // 2
        texts += [html[:language.SAMPLE_CHARS], html[middle:middle + language.SAMPLE_CHARS]]
    assert len(pages) > 400
    assert assert_same(reference, compact, texts) == len(texts)


def test_random_text_in_many_scripts_counts_and_ranks_the_same(reference, compact):
    rng = random.Random(16)
    names = sorted(SCRIPTS)
    texts = [random_text(rng, [name], rng.choice([5, 40, 400])) for name in names for _ in range(8)]
    texts += [random_text(rng, rng.sample(names, 3), rng.randint(1, 2000)) for _ in range(150)]
    texts += [text.upper() for text in texts[:40]]  # an all-capitals text is lower-cased first
    assert assert_same(reference, compact, texts) == len(texts)


def test_edge_inputs_count_and_rank_the_same(reference, compact):
    rng = random.Random(7)
    texts: list = ["", "a", " ", "\x00", "é", "ә", "\U0001F600", "\ud800", "abc\udfffdef\ud83d",  # lone surrogates
                   "Le Maroc " * 30_000,  # very long (270,000 bytes)
                   random_text(rng, ["arabic", "latin", "cyrillic"], 60_000)]
    texts += [b"", b"\xff", b"\xc3", b"abc\xe2\x82", b"\x80\x80abc\xc3\xa9"]  # bytes, partial and invalid UTF-8
    texts += [bytes(rng.randrange(256) for _ in range(rng.randint(1, 3000))) for _ in range(40)]
    assert assert_same(reference, compact, texts) == len(texts)


def test_every_two_byte_window_and_deep_windows_count_the_same(reference, compact):
    """De Bruijn sequences: every pair of bytes, and every 6-byte string over frequent letters."""
    for data in (de_bruijn(bytes(range(256)), 2), de_bruijn(b" aeinst", 6), de_bruijn("اله".encode(), 4)):
        expected = walk(reference, data)
        assert list(compact.suffixes.counts(data).items()) == list(expected.items())
        emitted = compact.suffixes.emitted(data)
        assert len(emitted) == len(data)


def test_the_deeper_levels_are_searched_in_32_bit_keys_whatever_the_cache_holds(reference, compact):
    """The model's keys fit 32 bits: searched as such (half the memory read of 64-bit keys),
    from a cache written with 64-bit keys too, and counting the same."""
    assert [searched.dtype for searched, _ in compact.suffixes._deeper] == [np.uint32] * len(compact.suffixes._deeper)
    arrays = {name: (value.astype(np.int64) if name.startswith("keys") else value)
              for name, value in compact.suffixes.arrays().items()}
    wide = langid_model.SuffixTable.from_arrays(arrays)
    assert [searched.dtype for searched, _ in wide._deeper] == [np.uint32] * len(wide._deeper)
    data = de_bruijn(b" aeinst", 6) + "Le Maroc et le Kazakhstan, المغرب وكازاخستان".encode()
    assert list(wide.counts(data).items()) == list(walk(reference, data).items())


def test_a_dfa_that_is_not_its_tries_automaton_is_refused(reference):
    nextmove = np.asarray(reference.tk_nextmove).copy()
    row, output = np.asarray(reference.tk_row), reference.tk_output
    assert langid_model.derive(nextmove, row, output) is not None
    child = int(nextmove[int(row[0]) * 256 + ord("a")])
    assert child != 0
    nextmove[int(row[0]) * 256 + ord("a")] = 0  # the root forgets its child "a"
    assert langid_model.derive(nextmove, row, output) is None
    nextmove[int(row[0]) * 256 + ord("a")] = child
    state = int(nextmove[int(row[child]) * 256 + ord("z")])  # "az", or what the automaton falls back to
    nextmove[int(row[state]) * 256 + ord("q")] = child  # one more edge, to a state of depth 1
    assert langid_model.derive(nextmove, row, output) is None


def test_without_a_derived_table_py3langid_walks_its_dfa(tmp_path, monkeypatch, reference):
    monkeypatch.setenv("NEWSMON_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(langid_model, "derive", lambda *arrays: None)
    identifier = langid_model.load_identifier(language.CANDIDATES)
    assert type(identifier) is LanguageIdentifier
    text = "وقع المغرب وكازاخستان اتفاقية للتعاون الفلاحي في أستانا"
    assert identifier.rank(text) == reference.rank(text)
    assert list(tmp_path.iterdir()) == []  # nothing cached that is not the compact model


def test_classifying_many_texts_does_not_grow_memory(tmp_path):
    """py3langid's DFA table (39 MB) grew resident with every page of it a text touched (by 9 MiB
    over these texts); the trie does not. Counted in anonymous memory: the cached model's score
    table is a file mapped read-only, whose pages (6 MB in all, shared with every other process
    reading it, and given back under pressure) become resident as texts touch their rows."""
    rng = random.Random(3)
    articles = [path.read_text(encoding="utf-8") for path in sorted(SAMPLE_ARTICLES.rglob("*.yaml"))]
    texts = [article[start:] for article in articles for start in range(0, len(article), 500)]
    texts += [random_text(rng, rng.sample(sorted(SCRIPTS), 2), 3000) for _ in range(100)]
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    code = ("import json, sys\n"
            "from pipelines.language import LanguageDetector\n"
            "def rss():\n"
            "    with open('/proc/self/status') as f:\n"
            "        return next(int(l.split()[1]) for l in f if l.startswith('RssAnon'))\n"
            "texts = json.load(open(sys.argv[1], encoding='utf-8'))\n"
            "detector = LanguageDetector()\n"
            "detector.detect(texts[0])\n"
            "before = rss()\n"
            "for text in texts: detector.detect(text)\n"
            "print(rss() - before)\n")
    grown_kib = int(subprocess.run([sys.executable, "-c", code, str(tmp_path / "texts.json")], cwd=ROOT,
                                   capture_output=True, text=True, check=True).stdout)
    assert grown_kib < 2 * 1024, f"{grown_kib} KiB more resident after {len(texts)} texts"


def test_scores_are_the_same_bits_with_blas_on_one_thread(tmp_path):
    """`newsmon` runs numpy's BLAS on one thread (newsmon.cli): the scores of texts as long as
    the detector reads are the same bits as with BLAS's own default (a thread per core)."""
    articles = [path.read_text(encoding="utf-8") for path in sorted(SAMPLE_ARTICLES.rglob("*.yaml"))]
    rng = random.Random(5)
    texts = [article[:language.SAMPLE_CHARS] for article in articles]
    texts += [random_text(rng, rng.sample(sorted(SCRIPTS), 3), language.SAMPLE_CHARS) for _ in range(60)]
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    code = ("import hashlib, json, sys\n"
            "from pipelines import language\n"
            "identifier = language.load_identifier()\n"
            "digest = hashlib.sha256()\n"
            "for text in json.load(open(sys.argv[1], encoding='utf-8')):\n"
            "    digest.update(identifier._raw_score(identifier._encode(text)).tobytes())\n"
            "print(digest.hexdigest())\n")
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    digests = [subprocess.run([sys.executable, "-c", code, str(tmp_path / "texts.json")], cwd=ROOT, env=e,
                              capture_output=True, text=True, check=True).stdout for e in
               (env, {**env, "OPENBLAS_NUM_THREADS": "1"})]
    assert digests[0] == digests[1] and len(digests[0].strip()) == 64
