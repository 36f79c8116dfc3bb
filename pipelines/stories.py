"""Near-duplicate signatures: the pure half of linking syndicated copies into one story.

A wire dispatch (MAP, Kazinform, TASS…) reprinted by several outlets is lightly edited on the
way: a new headline, paragraphs reordered or cut, a sentence of context added. Those copies
share most of their word 3-grams; two reports of the same event written independently share
almost none. So an article's clean text is reduced to its set of word shingles, using the shared
normalisation of :mod:`pipelines.analysis` (case, accents, Arabic letter variants, elision
folded; not stemmed, so the signature does not depend on the detected language), and the set to
a MinHash signature (rensa, a MinHash in Rust). LSH bands over the signature find candidate copies in
sub-linear time; the application (newsmon.stories) stores the bands and assigns story ids.

The headline is deliberately left out: it is what editors rewrite first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from rensa import RMinHash

from pipelines import analysis

SHINGLE_WORDS = 3
NUM_PERM = 128
THRESHOLD = 0.5  # estimated Jaccard similarity of shingle sets at or above which two texts are copies
MIN_SHINGLES = 12  # below this a text is too short to be called a copy of anything
SEED = 1  # fixed: signatures are stored and compared across processes
_DTYPE = np.uint32  # rensa's digest: one u32 per permutation


@dataclass(frozen=True, slots=True, eq=False)
class Signature:
    """The MinHash of one text: ``NUM_PERM`` minimum hashes, as stored."""

    values: np.ndarray


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """Word ``size``-grams of the normalised text."""
    return shingles_of(analysis.analyze(text or "", None), size)


def shingles_of(words: list[str], size: int = SHINGLE_WORDS) -> set[str]:
    """Word ``size``-grams of words already normalised (``analysis.analyze(text, None)``)."""
    if len(words) < size:
        return set()
    return set(map(" ".join, zip(*(words[i:] for i in range(size)))))


def signature(text: str) -> Signature | None:
    """The MinHash of a text's shingles; None when the text is too short to compare."""
    return signature_of(analysis.analyze(text or "", None))


def signature_of(words: list[str]) -> Signature | None:
    """:func:`signature` of a text from its language-neutral words (``analysis.analyze(text,
    None)``, also the index's ``text_any`` terms), for a caller that has them already."""
    grams = shingles_of(words)
    if len(grams) < MIN_SHINGLES:
        return None
    sketch = RMinHash(num_perm=NUM_PERM, seed=SEED)
    sketch.update(list(grams))  # a minimum per permutation: the order of the shingles does not matter
    return Signature(np.asarray(sketch.digest(), dtype=_DTYPE))


def to_bytes(sig: Signature) -> bytes:
    return sig.values.tobytes()


def from_bytes(data: bytes) -> Signature:
    return Signature(np.frombuffer(data, dtype=_DTYPE).copy())


def similarities_to_stored(sig: Signature, stored: list[bytes]) -> list[float]:
    """:func:`similarity` against several signatures as stored by :func:`to_bytes`, in one
    array comparison instead of one per candidate."""
    if not stored:
        return []
    table = np.frombuffer(b"".join(stored), dtype=_DTYPE)
    if len(table) != len(stored) * len(sig.values):
        raise ValueError("signatures of different sizes")
    equal = np.count_nonzero(table.reshape(len(stored), len(sig.values)) == sig.values, axis=1)
    return [float(n) / len(sig.values) for n in equal]


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets: the share of equal minimum hashes."""
    if len(a.values) != len(b.values):
        raise ValueError("signatures of different sizes")
    return float(np.count_nonzero(a.values == b.values)) / len(a.values)


# search_shape's answer for the shape in use, so a crawl's story linking does not spend ~40 ms
# of start-up recomputing it (tests/test_stories.py checks it against the search)
KNOWN_SHAPES = {(THRESHOLD, NUM_PERM): (25, 5)}


def lsh_shape(threshold: float = THRESHOLD, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) for ``threshold``: see :func:`search_shape`."""
    return KNOWN_SHAPES.get((threshold, num_perm)) or search_shape(threshold, num_perm)


@functools.lru_cache(maxsize=8)
def search_shape(threshold: float = THRESHOLD, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) minimising the false positive and false negative areas, equally
    weighted, under the LSH S-curve ``1 - (1 - s**rows)**bands`` (the standard choice, as
    datasketch's MinHashLSH makes it)."""
    s = np.linspace(0.0, 1.0, 2001)
    below, above = s <= threshold, s >= threshold
    best: tuple[float, int, int] | None = None
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            candidate = 1.0 - (1.0 - s ** rows) ** bands
            false_pos = np.trapezoid(candidate[below], s[below])
            false_neg = np.trapezoid(1.0 - candidate[above], s[above])
            error = 0.5 * false_pos + 0.5 * false_neg
            if best is None or error < best[0]:
                best = (error, bands, rows)
    assert best is not None
    return best[1], best[2]


def band_keys(sig: Signature, shape: tuple[int, int] | None = None) -> list[tuple[int, bytes]]:
    """(band number, key) pairs: two signatures sharing any key are LSH candidates."""
    bands, rows = shape or lsh_shape()
    raw = sig.values.tobytes()  # slices of the bytes: the same keys as each band's own tobytes()
    width = rows * sig.values.itemsize
    return [(b, raw[b * width:(b + 1) * width]) for b in range(bands)]
