"""Language stage: the page's own language wins over the source's declared one.

Sources publish several desks under one domain (Kazinform's Arabic desk, Hespress FR), so the
language in sources.yaml is only a hint. We classify the extracted title and text with py3langid
(a maintained, fast fork of langid.py, 97 languages). Two cheap corrections on top of it:

* Kazakh and Russian share Cyrillic; langid confuses them on short texts, while Kazakh-only
  letters (ә ғ қ ң ө ұ ү һ і) settle it reliably.
* Very short texts get low confidence; there the page's ``<html lang>`` and then the source's
  language are better evidence than a guess.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.items import Article
from pipelines.languages import ANALYSED, KNOWN, primary

KAZAKH_LETTERS = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
MIN_CONFIDENCE = 0.80
# The full langid model knows 97 languages and spreads probability over near neighbours
# (Moroccan Darija "ary" next to "ar", Bulgarian next to Russian). News languages we may meet
# are a much smaller set; restricting to it concentrates the probability where it belongs.
CANDIDATES = KNOWN
SAMPLE_CHARS = 3000  # classification on the first few thousand characters is as good and far cheaper


def by_script(text: str) -> str | None:
    """A language from the script alone (Arabic; Kazakh or Russian Cyrillic), without a model:
    enough to pick a stemmer when nothing better is known."""
    sample = text[:2000]
    arabic = sum(1 for ch in sample if "\u0600" <= ch <= "\u06ff")
    cyr = sum(1 for ch in sample if "\u0400" <= ch <= "\u04ff")
    if arabic > 20 and arabic >= cyr:
        return "ar"
    if cyr > 20:
        return "kk" if KAZAKH_LETTERS.search(sample) else "ru"
    return None


def analysis_language(lang: str | None, text: str) -> str | None:
    """The language whose stemmer to use for ``text``: ``lang`` when newsmon analyses it, else
    a guess from the script (None: language-neutral analysis)."""
    code = primary(lang)
    if code in ANALYSED:
        return code
    return by_script(text)


def cache_dir() -> Path:
    """Where the decoded language model is kept: ``$NEWSMON_CACHE_DIR``, else the user's cache."""
    explicit = os.environ.get("NEWSMON_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsmon"


def _model_key(model: Path) -> str:
    """Changes with py3langid's version, its model file and our candidate languages."""
    stat = model.stat()
    raw = f"{version('py3langid')}|{model}|{stat.st_size}|{stat.st_mtime_ns}|{','.join(sorted(CANDIDATES))}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _write_atomic(path: Path, write: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _save_decoded(identifier: Any, path: Path) -> None:
    """The restricted model as plain arrays, written atomically (concurrent crawls may race).

    The DFA's transition table (~40 MB) is a raw ``.npy`` so that later processes map it instead
    of reading it: only the pages a crawl's texts touch are resident. It is written first; the
    ``.npz`` with the rest marks the cache complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(_nextmove_path(path), lambda f: np.save(f, np.asarray(identifier.tk_nextmove)))
    arrays = {"ptc": np.ascontiguousarray(identifier.nb_ptc), "pc": np.asarray(identifier.nb_pc),
              "classes": np.asarray(identifier.nb_classes), "row": np.asarray(identifier.tk_row),
              "output": np.asarray(identifier.tk_output, dtype=np.int32)}
    _write_atomic(path, lambda f: np.savez(f, **arrays))


def _nextmove_path(path: Path) -> Path:
    return path.with_name(path.stem + "-nextmove.npy")


@cache
def load_identifier() -> Any:
    """py3langid restricted to :data:`CANDIDATES`, once per process.

    The packaged model is LZMA-compressed: decoding it costs ~0.6 s of CPU at every start. The
    first process decodes it and keeps the restricted model uncompressed in :func:`cache_dir`
    (~45 MB); later ones read the small tables and map the large one, in milliseconds. A cache that cannot be written or
    read is ignored: the packaged model is always the fallback, and both give the same scores.
    """
    from array import array

    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    model = Path(MODEL_DIR) / MODEL_FILE
    cached = cache_dir() / f"langid-{_model_key(model)}.npz"
    try:
        with np.load(cached, allow_pickle=False) as data:
            row = data["row"]
            nextmove = np.load(_nextmove_path(cached), mmap_mode="r", allow_pickle=False)
            if nextmove.ndim != 1 or nextmove.dtype.char not in "HI":
                raise ValueError(f"{cached}: unexpected transition table")
            identifier = LanguageIdentifier(
                data["ptc"], data["pc"], data["classes"].tolist(),
                memoryview(nextmove), data["output"].tolist(), norm_probs=True,  # type: ignore[arg-type]
                tk_row=array(row.dtype.char, row.tobytes()))
        return identifier
    except (OSError, KeyError, ValueError, TypeError):
        pass
    identifier = LanguageIdentifier.from_modelpath(model, norm_probs=True)
    identifier.set_languages(list(CANDIDATES))
    identifier._full_model = identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes  # let the 97-language table go
    try:
        _save_decoded(identifier, cached)
    except OSError:
        pass  # a read-only home: decode at every start, as before
    return identifier


@dataclass
class LanguageDetector:
    """Holds the loaded langid model; build one per crawl, not per page."""

    min_confidence: float = MIN_CONFIDENCE

    @cached_property
    def _identifier(self):  # type: ignore[no-untyped-def]
        return load_identifier()

    def detect(self, text: str, *hints: str | None) -> str | None:
        """Best language code for ``text``; hints (html lang, source language) break weak calls."""
        sample = (text or "")[:SAMPLE_CHARS]
        fallback = next((code for code in map(primary, hints) if code), None)
        if len(sample.strip()) < 20:
            return fallback
        if CYRILLIC.search(sample) and len(KAZAKH_LETTERS.findall(sample)) >= 3:
            return "kk"
        ranked = self._identifier.rank(sample)[:3]
        lang, prob = ranked[0]
        if lang == "kk" and not KAZAKH_LETTERS.search(sample) and CYRILLIC.search(sample):
            lang = "ru"
        if prob < self.min_confidence and fallback in {code for code, _ in ranked}:
            return fallback  # a weak call that the page itself contradicts only mildly
        return lang


class LanguageStage:
    def __init__(self, stats: Any = None, detector: LanguageDetector | None = None):
        self.stats = stats
        self.detector = detector or LanguageDetector()

    def process_item(self, item: Article) -> Article:
        body = "\n".join(filter(None, [item.get("title"), item.get("text")]))
        lang = self.detector.detect(body, item.get("html_lang"), item.get("source_language"))
        item["lang"] = lang
        if self.stats:
            self.stats.inc_value(f"newsmon/language/{lang or 'unknown'}")
        return item
