"""The one list of languages newsmon knows, and how deeply it knows each.

``ANALYSED``: the seven languages of the mission. Each has a stemmer and stop words
(:mod:`pipelines.analysis`), a date lexicon (:mod:`pipelines.dates`), topic terms, and its own
search field. ``KNOWN``: what a source may declare and the language detector may answer; the
others are stored and searched through the language-neutral field.
"""

from __future__ import annotations

import re

ANALYSED: tuple[str, ...] = ("ar", "fr", "it", "en", "ru", "kk", "es")
KNOWN: tuple[str, ...] = ANALYSED + (
    "de", "pt", "tr", "fa", "ur", "zh", "ja", "ko", "uk", "pl", "nl", "ro", "el", "he", "uz", "ky",
    "az", "id", "hi", "sv", "cs", "hu", "bg",
)


def primary(tag: str | None) -> str | None:
    """'fr-MA' / 'fr_FR' / 'AR' → 'fr' / 'fr' / 'ar'; None for anything that is not a code."""
    if not tag:
        return None
    code = re.split(r"[-_]", tag.strip())[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None
