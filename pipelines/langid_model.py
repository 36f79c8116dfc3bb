"""py3langid's model, restricted to our candidate languages, with its byte automaton replaced by
a compact table that gives the same feature counts.

py3langid counts features by walking a DFA over the text's UTF-8 bytes: a 9.8 M-entry transition
table (39 MB) and a Python loop per byte. Every page of the table a text touches stays resident,
so a crawl's memory grew with the texts it classified. The DFA is an Aho–Corasick automaton: after
each byte its state is the trie node spelling the longest suffix of the bytes read so far that is
a node, and it emits that node's feature (if any). :class:`SuffixTable` keeps only the trie
(104,583 nodes, ~0.9 MB) and finds, at every position of the text at once with numpy, that
longest suffix; the counts, and so the scores, are those of the walk, in the same order.

:func:`derive` builds the table from the packaged DFA and *proves* the DFA is that automaton: it
checks every transition against the textbook Aho–Corasick construction on the trie it recovers.
A model that fails the check keeps the DFA walk. The derived model is cached on disk (derived
data is never shipped); the packaged model is always the fallback.
"""

from __future__ import annotations

import hashlib
import json
import math
import mmap
import os
import tempfile
import time
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import py3langid
from py3langid.langid import MODEL_DIR, MODEL_FILE, RAW_FLOOR, LanguageIdentifier

FORMAT = 3  # of the cached file; 2 was an .npz (read through zipfile: ~10 ms of CPU, a copy of
# every array); 1 held the DFA itself (a 39 MB table beside a 7 MB .npz)
MAGIC = b"newsmon-langid\n"
ALIGN = 64  # each array's offset in the file, so that numpy reads it in place
CHUNK = 2048  # states checked at once while deriving (2048 x 256 transitions, ~4 MB a table)
STALE_TEMP_SECONDS = 3600  # a half-written cache file this old belongs to no live process


class SuffixTable:
    """The trie of the automaton, level by level: its feature counts equal the DFA walk's.

    Level ``L`` holds the nodes whose string has ``L`` bytes, in lexicographic order; a node's
    rank in its level is its id. ``keys[L-1]`` is ``parent_rank << 8 | last_byte`` (sorted, as
    the order is lexicographic), ``feats[L-1]`` the feature each node emits (-1: none). The first
    two levels are also kept as direct tables (256 and 65,536 entries)."""

    __slots__ = ("keys", "feats", "root_feat", "_first_feat", "_second", "_deeper", "_pad", "_feature_bits")

    def __init__(self, keys: list[np.ndarray], feats: list[np.ndarray], root_feat: int):
        if len(keys) != len(feats) or not keys:
            raise ValueError("one feature array per trie level, and at least one level")
        self.keys, self.feats, self.root_feat = keys, feats, root_feat
        first = keys[0].astype(np.intp)
        self._first_feat = np.full(256, root_feat, dtype=np.int32)  # what a byte emits when no longer suffix is a node
        self._first_feat[first] = feats[0]
        self._second = np.full(1 << 16, -1, dtype=np.int32)
        if len(keys) > 1:
            first_bytes = first[keys[1].astype(np.intp) >> 8]
            self._second[first_bytes << 8 | (keys[1].astype(np.intp) & 255)] = np.arange(len(keys[1]), dtype=np.int32)
        # The deeper levels' keys as searched: with a last key above any wanted one, so that every
        # rank found indexes an entry (``keys`` keeps views of them without it: no second copy).
        self._deeper = []
        # Unsigned 32-bit keys where they fit (a level's keys are searched ~1,400 times a page:
        # half the bytes of int64 are half the cache lines missed); the sentinel keeps the type
        # (``np.append`` of a Python int made every level int64, as did a cache written so).
        for parents, level, level_feats in zip(keys[1:], keys[2:], feats[2:]):
            dtype = np.uint32 if len(parents) << 8 <= np.iinfo(np.uint32).max else np.uint64
            searched = np.append(level.astype(dtype), dtype(np.iinfo(dtype).max))  # a wanted key never equals it
            self._deeper.append((searched, level_feats))
        self.keys = keys[:2] + [searched[:-1] for searched, _ in self._deeper]
        self._pad = bytes(max(len(keys) - 2, 0))
        self._feature_bits = max(int(level.max(initial=0)) for level in feats).bit_length()

    def emitted(self, data: bytes) -> np.ndarray:
        """The feature the DFA emits after each byte of ``data`` (-1 where none)."""
        n = len(data)
        # Padded with a zero byte per level past the second, so that the deeper levels can follow
        # a suffix past the end without a bounds test: what they find there is cut off at return.
        text = np.frombuffer(data + self._pad, dtype=np.uint8)
        out = self._first_feat[text]  # a copy: one byte is the longest suffix that is a node so far
        if n <= 1 or len(self.keys) == 1:
            return out[:n]
        # Two bytes: a direct table. A string of L bytes ending at i is a node only if its first
        # L-1 bytes (ending at i-1) are one (the trie holds every prefix of a node), so each
        # longer level only looks at the survivors of the level before.
        ids = self._second[text[:n - 1].astype(np.intp) << 8 | text[1:n]]
        ends = np.flatnonzero(ids >= 0)
        ids = ids[ends]
        ends += 1
        out[ends] = self.feats[1][ids]
        for keys, feats in self._deeper:
            ends += 1
            wanted = ids.astype(keys.dtype) << 8 | text[ends]  # the keys' type: searchsorted casts none
            ids = np.searchsorted(keys, wanted)
            found = keys[ids] == wanted
            ends, ids = ends[found], ids[found]
            if not len(ends):
                break
            out[ends] = feats[ids]  # a longer suffix that is a node wins, emitting or not
        return out[:n]

    def feature_counts(self, data: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """(features, counts) in order of first occurrence, as ``py3langid.langid.visit_counts``
        lists them (so the float sums downstream run in the same order); None if none.

        One sort of feature and position packed in one integer (int32 when they fit, as for a
        few thousand bytes, where numpy's sort is fastest): equal features side by side, each
        run led by its first occurrence (``np.unique`` with indices and counts took several
        passes more)."""
        emitted = self.emitted(data)
        at = np.flatnonzero(emitted >= 0)
        if not len(at):
            return None
        width = int(at[-1]).bit_length()
        if width + self._feature_bits < 32:
            keys = np.sort(emitted[at] << width | at.astype(np.int32))
        else:
            keys = np.sort(emitted[at].astype(np.int64) << width | at)
        features = keys >> width
        starts = np.empty(len(keys), dtype=bool)
        starts[0] = True
        np.not_equal(features[1:], features[:-1], out=starts[1:])
        starts = np.flatnonzero(starts)
        counts = np.diff(starts, append=len(keys))
        by_first = np.argsort(keys[starts] & ((1 << width) - 1))  # first positions, all distinct
        return features[starts[by_first]], counts[by_first]

    def counts(self, data: bytes) -> dict[int, int] | None:
        """Feature → count, in order of first occurrence (``visit_counts``' dict); None if none."""
        found = self.feature_counts(data)
        return None if found is None else dict(zip(found[0].tolist(), found[1].tolist()))

    def arrays(self) -> dict[str, np.ndarray]:
        named = {"levels": np.array(len(self.keys)), "root_feat": np.array(self.root_feat)}
        for level, (keys, feats) in enumerate(zip(self.keys, self.feats), 1):
            named[f"keys{level}"], named[f"feats{level}"] = keys, feats
        return named

    @classmethod
    def from_arrays(cls, data: Any) -> SuffixTable:
        levels = int(data["levels"])
        return cls([data[f"keys{level}"] for level in range(1, levels + 1)],
                   [data[f"feats{level}"] for level in range(1, levels + 1)], int(data["root_feat"]))


def derive(nextmove: Any, row: Any, output: Iterable[int]) -> SuffixTable | None:
    """The trie behind py3langid's DFA (``nextmove[row[state] << 8 | byte]``, ``output[state]``),
    or None if the DFA is not the Aho–Corasick automaton of a trie.

    A breadth-first walk from state 0 finds each state's depth; an edge from depth d to a state
    first seen at depth d+1 is a trie edge (each such state must have exactly one). Then every
    transition of every reachable state is checked against the textbook construction: δ(v, b) is
    v's child by b if there is one, else δ(fail(v), b), with δ(0, b) = 0 when the root has no such
    child and fail(child of v by b) = δ(fail(v), b) (0 at depth 1). The automaton that
    construction gives moves to the longest suffix of the bytes read that is a trie node, so a
    model that passes is exactly what :meth:`SuffixTable.emitted` computes."""
    table = np.asarray(nextmove).reshape(-1, 256)
    row = np.asarray(row).astype(np.intp)
    output = np.asarray(output, dtype=np.int32)
    n = len(row)
    if output.shape != (n,) or not n:
        return None
    depth = np.full(n, -1, dtype=np.int32)
    depth[0] = 0
    fail = np.zeros(n, dtype=np.intp)
    level = np.zeros(1, dtype=np.intp)  # node ids of one depth, in lexicographic order
    keys: list[np.ndarray] = []
    feats: list[np.ndarray] = []
    while True:
        children, parent_ranks, edge_bytes = [], [], []
        for start in range(0, len(level), CHUNK):
            nodes = level[start:start + CHUNK]
            moves = table[row[nodes]].astype(np.intp)
            new = depth[moves] < 0
            src, byte = np.nonzero(new)  # row-major: by parent rank, then byte (lexicographic)
            dst = moves[src, byte]
            if len(np.unique(dst)) != len(dst):
                return None  # two trie edges into one state
            depth[dst] = len(keys) + 1
            if keys:
                fail[dst] = table[row[fail[nodes[src]]], byte]
                expected = np.where(new, moves, table[row[fail[nodes]]])
            else:
                expected = np.where(new, moves, 0)
            if not np.array_equal(expected, moves):
                return None
            children.append(dst)
            parent_ranks.append(src + start)
            edge_bytes.append(byte)
        level = np.concatenate(children)
        if not len(level):
            break
        ranks = np.concatenate(parent_ranks)
        dtype = np.uint32 if len(keys) < 2 or ranks[-1] < 1 << 24 else np.uint64
        keys.append((ranks.astype(dtype) << 8) | np.concatenate(edge_bytes).astype(dtype))
        feats.append(output[level])
    if not keys:
        return None
    return SuffixTable(keys, feats, int(output[0]))


class CompactIdentifier(LanguageIdentifier):
    """py3langid's identifier with the DFA walk replaced by a :class:`SuffixTable`: encoding,
    scoring, normalisation and ranking are py3langid's own code."""

    __slots__ = ("suffixes",)

    def __init__(self, nb_ptc: np.ndarray, nb_pc: np.ndarray, nb_classes: list[str], suffixes: SuffixTable):
        super().__init__(nb_ptc, nb_pc, nb_classes, array("I"), [], norm_probs=True, tk_row=array("I"))
        self.suffixes = suffixes

    def _raw_score(self, text: bytes) -> np.ndarray:
        found = self.suffixes.feature_counts(text)
        if found is not None:  # py3langid's _sparse_score, on the arrays its dict would give
            features, counts = found
            return np.log1p(counts.astype(np.float32)) @ self.nb_ptc[features] + self.nb_pc
        fill = 0.0 if self._norm_probs else RAW_FLOOR
        return np.full(len(self.nb_classes), fill, dtype=np.float32)


def cache_dir() -> Path:
    """Where the derived language model is kept: ``$NEWSMON_CACHE_DIR``, else the user's cache."""
    explicit = os.environ.get("NEWSMON_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsmon"


def packaged_model() -> Path:
    return Path(MODEL_DIR) / MODEL_FILE


def model_key(model: Path, languages: Iterable[str]) -> str:
    """Depends on the content only: py3langid's version, its model file's size, our languages and
    the cache format (not on the path or the install time, which differ in every venv)."""
    raw = f"{py3langid.__version__}|{model.stat().st_size}|{','.join(sorted(languages))}|{FORMAT}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def pack(arrays: dict[str, np.ndarray], classes: list[str]) -> bytes:
    """The cached file: ``MAGIC``, the header's length (8 bytes, little-endian), a JSON header
    (the language classes; each array's dtype, shape and offset), then each array's bytes at an
    offset aligned to ``ALIGN``."""
    contiguous = {name: np.asarray(value, order="C") for name, value in arrays.items()}  # (ascontiguousarray makes a 0-d array 1-d)
    layout: dict[str, list] = {}
    offset = 0
    for name, value in contiguous.items():
        offset = _aligned(offset)
        layout[name] = [value.dtype.str, list(value.shape), offset]
        offset += value.nbytes
    header = json.dumps({"classes": classes, "arrays": layout}).encode()
    start = _data_start(len(header))
    out = bytearray(start + offset)
    out[:len(MAGIC)] = MAGIC
    out[len(MAGIC):len(MAGIC) + 8] = len(header).to_bytes(8, "little")
    out[len(MAGIC) + 8:len(MAGIC) + 8 + len(header)] = header
    for name, value in contiguous.items():
        at = start + layout[name][2]
        out[at:at + value.nbytes] = value.tobytes()
    return bytes(out)


def _aligned(offset: int) -> int:
    """``offset`` rounded up to a multiple of ``ALIGN``."""
    return -(-offset // ALIGN) * ALIGN


def _data_start(header_size: int) -> int:
    """Where the arrays begin in a file whose JSON header is ``header_size`` bytes long."""
    return _aligned(len(MAGIC) + 8 + header_size)


def read_layout(f: Any) -> tuple[dict[str, tuple[np.dtype, tuple[int, ...], int, int]], list[str]]:
    """From the start of a file :func:`pack` wrote: each array's dtype, shape, item count and
    offset in the file, checked to lie within it, and the classes. ValueError for anything else
    (another file, a truncated one)."""
    lead = f.read(len(MAGIC) + 8)
    if len(lead) != len(MAGIC) + 8 or lead[:len(MAGIC)] != MAGIC:
        raise ValueError("not a newsmon language model")
    size = int.from_bytes(lead[len(MAGIC):], "little")
    file_size = os.fstat(f.fileno()).st_size
    if size > file_size:
        raise ValueError("language model file truncated")
    header = json.loads(f.read(size))
    start = _data_start(size)
    layout = {}
    for name, (dtype, shape, offset) in header["arrays"].items():
        dtype, shape = np.dtype(dtype), tuple(int(n) for n in shape)
        count = math.prod(shape)
        if offset < 0 or start + offset + count * dtype.itemsize > file_size:
            raise ValueError("language model file truncated")
        layout[name] = dtype, shape, count, start + offset
    return layout, [str(c) for c in header["classes"]]


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="langid-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_stale(directory: Path, keep: Path) -> list[Path]:
    """Delete the other model files newsmon wrote in ``directory`` (``langid-*``: older keys,
    and format 1's transition tables), and temporary files no live writer can still own."""
    removed = []
    for path in directory.glob("langid-*"):
        if path == keep:
            continue
        try:
            if path.suffix == ".tmp" and time.time() - path.stat().st_mtime < STALE_TEMP_SECONDS:
                continue
            path.unlink()
            removed.append(path)
        except OSError:
            pass  # gone already, or not ours to delete
    return removed


def _from_cache(path: Path) -> CompactIdentifier:
    """The cached model, its arrays read in place from the file mapped into memory (a text's
    features touch a few hundred of the table's 100,053 rows: the rest is never read)."""
    with open(path, "rb") as f:
        layout, classes = read_layout(f)
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # kept open by the arrays over it
    arrays = {name: np.frombuffer(mapped, dtype=dtype, count=count, offset=offset).reshape(shape)
              for name, (dtype, shape, count, offset) in layout.items()}
    return CompactIdentifier(arrays["ptc"], arrays["pc"], classes, SuffixTable.from_arrays(arrays))


def load_identifier(languages: Iterable[str]) -> LanguageIdentifier:
    """py3langid restricted to ``languages``.

    The packaged model is LZMA-compressed (~0.6 s of CPU to decode) and its DFA is large; the
    first process decodes it, derives the compact table (~1 s) and keeps the result in
    :func:`cache_dir` (~7 MB, replacing any older file of ours there); later ones read that in
    milliseconds. A cache that cannot be written or read is ignored: the packaged model is always
    the fallback, and all give the same scores."""
    model = packaged_model()
    cached = cache_dir() / f"langid-{model_key(model, languages)}.bin"
    try:
        return _from_cache(cached)
    except (OSError, KeyError, ValueError, TypeError):
        pass
    identifier = LanguageIdentifier.from_modelpath(model, norm_probs=True)
    identifier.set_languages(list(languages))
    suffixes = derive(identifier.tk_nextmove, identifier.tk_row, identifier.tk_output)
    if suffixes is None:  # not an Aho–Corasick automaton: walk the DFA as py3langid does
        identifier._full_model = identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes
        return identifier
    compact = CompactIdentifier(np.ascontiguousarray(identifier.nb_ptc), np.asarray(identifier.nb_pc),
                                list(identifier.nb_classes), suffixes)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(cached, pack({"ptc": compact.nb_ptc, "pc": compact.nb_pc, **suffixes.arrays()},
                                   list(compact.nb_classes)))
        remove_stale(cached.parent, cached)
    except OSError:
        pass  # a read-only home: derive at every start
    return compact
