"""The decoded language model is cached on disk and gives the same answers as the packaged one."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from pipelines import langid_model as language_model
from pipelines import language

TEXTS = ["Le Maroc et le Kazakhstan ont signé un accord de coopération agricole à Astana.",
         "وقع المغرب وكازاخستان اتفاقية للتعاون الفلاحي في أستانا",
         "Il Marocco e il Kazakistan hanno firmato un accordo di cooperazione agricola."]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSMON_CACHE_DIR", str(tmp_path))
    language.load_identifier.cache_clear()
    yield tmp_path
    language.load_identifier.cache_clear()


def test_first_load_writes_cache_and_second_reads_it_with_same_scores(cache_dir):
    decoded = language.load_identifier()
    files = list(cache_dir.glob("langid-*.bin"))
    assert len(files) == 1
    language.load_identifier.cache_clear()
    cached = language.load_identifier()
    assert cached is not decoded
    for text in TEXTS:
        assert cached.rank(text) == decoded.rank(text)
    assert [language.LanguageDetector().detect(t) for t in TEXTS] == ["fr", "ar", "it"]


def test_corrupt_cache_falls_back_to_packaged_model_and_is_rewritten(cache_dir):
    language.load_identifier()
    [path] = cache_dir.glob("langid-*.bin")
    path.write_bytes(b"not a model")
    language.load_identifier.cache_clear()
    assert language.load_identifier().rank(TEXTS[0])[0][0] == "fr"
    assert path.stat().st_size > 1_000_000  # decoded again and saved


def test_a_truncated_or_foreign_cache_file_falls_back_and_is_rewritten(cache_dir):
    language.load_identifier()
    [path] = cache_dir.glob("langid-*.bin")
    whole = path.read_bytes()
    for damaged in (whole[:len(whole) // 2], whole[:200], b"", b"PK\x03\x04" + whole[4:]):
        path.write_bytes(damaged)
        language.load_identifier.cache_clear()
        assert language.load_identifier().rank(TEXTS[2])[0][0] == "it"
        assert path.read_bytes() == whole  # decoded again and saved, the same bytes


def test_the_cached_model_is_read_in_place_and_cannot_be_changed(cache_dir):
    language.load_identifier()
    language.load_identifier.cache_clear()
    cached = language.load_identifier()
    table = cached.nb_ptc
    assert not table.flags.writeable and not table.flags.owndata  # the mapped file, not a copy
    with pytest.raises(ValueError):
        table[0, 0] = 1


def test_unwritable_cache_dir_still_detects(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("NEWSMON_CACHE_DIR", str(blocker / "sub"))  # a path under a file: cannot be created
    language.load_identifier.cache_clear()
    try:
        assert language.load_identifier().rank(TEXTS[1])[0][0] == "ar"
    finally:
        language.load_identifier.cache_clear()


def test_a_fresh_process_starts_faster_from_the_cache(cache_dir):
    code = ("import resource, time; from pipelines import language as l; "
            "r0 = resource.getrusage(resource.RUSAGE_SELF); l.load_identifier(); "
            "r1 = resource.getrusage(resource.RUSAGE_SELF); "
            "print((r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime))")
    env = {"NEWSMON_CACHE_DIR": str(cache_dir), "PATH": "/usr/bin:/bin"}
    cold = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
    warm = float(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
    assert warm < cold / 2, (cold, warm)


def test_cache_key_depends_on_content_not_on_where_the_model_is(tmp_path):
    model = language_model.packaged_model()
    copy = tmp_path / "elsewhere" / model.name
    copy.parent.mkdir()
    copy.write_bytes(model.read_bytes())
    assert language_model.model_key(copy, language.CANDIDATES) == language_model.model_key(model, language.CANDIDATES)
    assert language_model.model_key(model, ["fr", "ar"]) != language_model.model_key(model, language.CANDIDATES)


def test_a_new_cache_file_replaces_our_older_ones_and_nothing_else(cache_dir):
    old = [cache_dir / "langid-0044fde2a1d8ec9b.npz", cache_dir / "langid-0044fde2a1d8ec9b-nextmove.npy",
           cache_dir / "langid-old.tmp"]
    for path in old:
        path.write_bytes(b"x" * 1000)
    os.utime(old[-1], (time.time() - 7200, time.time() - 7200))  # a writer that died two hours ago
    fresh_tmp = cache_dir / "langid-live.tmp"  # another process writing right now
    fresh_tmp.write_bytes(b"x")
    foreign = cache_dir / "notes.txt"
    foreign.write_text("not ours")
    language.load_identifier()
    left = sorted(path.name for path in cache_dir.iterdir())
    assert len([name for name in left if name.endswith(".bin")]) == 1
    assert not any(path.exists() for path in old)
    assert fresh_tmp.exists() and foreign.exists()
    assert len(left) == 3
    assert sum(path.stat().st_size for path in cache_dir.glob("langid-*.bin")) < 10_000_000
