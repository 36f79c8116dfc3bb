"""Near-duplicate signatures: the pure half of linking syndicated copies into one story.

A wire dispatch (MAP, Kazinform, TASS…) reprinted by several outlets is lightly edited on the
way: a new headline, paragraphs reordered or cut, a sentence of context added. Those copies
share most of their word 3-grams; two reports of the same event written independently share
almost none. So an article's clean text is reduced to its set of word shingles, using the shared
normalisation of :mod:`pipelines.analysis` (case, accents, Arabic letter variants, elision
folded; not stemmed, so the signature does not depend on the detected language), and the set to
a MinHash signature (datasketch). LSH bands over the signature find candidate copies in
sub-linear time; the application (newsmon.stories) stores the bands and assigns story ids.

The headline is deliberately left out: it is what editors rewrite first.
"""

from __future__ import annotations

import functools

import numpy as np
from datasketch import MinHash, MinHashLSH

from pipelines import analysis

SHINGLE_WORDS = 3
NUM_PERM = 128
THRESHOLD = 0.5  # estimated Jaccard similarity of shingle sets at or above which two texts are copies
MIN_SHINGLES = 12  # below this a text is too short to be called a copy of anything
SEED = 1  # fixed: signatures are stored and compared across processes
SCHEME = "affine32"  # datasketch 2 permutation scheme; stored values are its uint32 hashes
_DTYPE = np.uint32


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """Word ``size``-grams of the normalised text, as UTF-8 bytes."""
    words = analysis.analyze(text or "", None)
    if len(words) < size:
        return set()
    return {" ".join(words[i:i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)  # its permutations, drawn once


def signature(text: str) -> MinHash | None:
    """The MinHash of a text's shingles; None when the text is too short to compare."""
    grams = shingles(text)
    if len(grams) < MIN_SHINGLES:
        return None
    sig = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, permutations=_TEMPLATE.permutations)
    sig.update_batch(sorted(grams))
    return sig


def to_bytes(sig: MinHash) -> bytes:
    return np.asarray(sig.hashvalues, dtype=_DTYPE).tobytes()


def from_bytes(data: bytes) -> MinHash:
    values = np.frombuffer(data, dtype=_DTYPE).copy()
    return MinHash(num_perm=len(values), seed=SEED, hashvalues=values, scheme=SCHEME,
                   permutations=_TEMPLATE.permutations)


def similarity_to_stored(sig: MinHash, stored: bytes) -> float:
    """:func:`similarity` against a signature as stored by :func:`to_bytes` (no MinHash built)."""
    values = np.frombuffer(stored, dtype=_DTYPE)
    if len(values) != len(sig.hashvalues):
        raise ValueError("signatures of different sizes")
    return float(np.count_nonzero(np.asarray(sig.hashvalues, dtype=_DTYPE) == values)) / len(values)


@functools.lru_cache(maxsize=8)
def lsh_shape(threshold: float = THRESHOLD, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """(bands, rows per band) that datasketch picks for this threshold (false positive and
    negative weights equal)."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r


def band_keys(sig: MinHash, shape: tuple[int, int] | None = None) -> list[tuple[int, bytes]]:
    """(band number, key) pairs: two signatures sharing any key are LSH candidates."""
    bands, rows = shape or lsh_shape()
    values = np.asarray(sig.hashvalues, dtype=_DTYPE)
    return [(b, values[b * rows:(b + 1) * rows].tobytes()) for b in range(bands)]


def similarity(a: MinHash, b: MinHash) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    return float(a.jaccard(b))
