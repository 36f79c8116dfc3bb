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

import re
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

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


@cache
def load_identifier() -> Any:
    """py3langid restricted to :data:`CANDIDATES`, once per process (derived, exact and cached on
    disk: :mod:`pipelines.langid_model`). Imported here: py3langid is only needed once a text is
    classified, and commands that never classify do not pay for its import."""
    from pipelines import langid_model

    return langid_model.load_identifier(CANDIDATES)


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
