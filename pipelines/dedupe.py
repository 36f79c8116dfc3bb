"""Identity of an article: its id from the canonical URL, and a hash of its words.

Three kinds of duplicates reach the crawl's dedupe step (:mod:`crawler.itempipelines`): the same
article found twice in one crawl (feed and sitemap both list it, or two URLs share a canonical),
an unchanged article seen again under a new URL, and the same text republished under another URL
(an agency copy on a partner site). The id is the hash of the canonical URL (which extraction
already decided whether to believe: :func:`pipelines.extract.believable_canonical`); the content
hash is taken on normalized text, so whitespace and typographic quotes do not make two copies
look different.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WORD = re.compile(r"\w+")


def article_id(canonical_url: str) -> str:
    """Stable 16-hex id: the same canonical URL always maps to the same row."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]


def content_hash(title: str | None, text: str) -> str:
    """Hash of the article's words, insensitive to spacing, case, punctuation and Unicode forms."""
    flat = unicodedata.normalize("NFKC", f"{title or ''}\n{text}").casefold()
    # runs of punctuation and spaces become one space: the runs of \w joined by one space, what
    # re.sub(r"[^\w\s]+", " ", flat).split() gave in two passes (a character is \w, \s or
    # neither, and str.split's whitespace is re's \s), in ~75% of the time
    flat = " ".join(_WORD.findall(flat))
    return hashlib.sha256(flat.encode("utf-8")).hexdigest()[:32]
