"""Snippets with the matched words marked, built from the stored text with the shared analyzer.

The index holds analyzed terms, not text, so highlighting is done here: the article text is
analyzed with offsets (pipelines.analysis), the tokens whose terms the query asked for are the
matches, and the densest window of them becomes the snippet. Being computed from the same
analysis, a highlight is exactly what made the document match ("marocaines" highlights
"marocain"), in any language.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from pipelines import analysis
from newsmon.query import QueryTerm

WINDOW_CHARS = 220


@dataclass(frozen=True)
class Snippet:
    parts: tuple[tuple[str, bool], ...]  # (text, is_match) in order

    def plain(self, left: str = "[", right: str = "]") -> str:
        return "".join(f"{left}{t}{right}" if m else t for t, m in self.parts)

    def html(self) -> str:
        """Safe for a web page: crawled text escaped, matches in <mark>."""
        return "".join(f"<mark>{html.escape(t)}</mark>" if m else html.escape(t) for t, m in self.parts)


def query_sequences(terms: list[QueryTerm], lang: str | None) -> set[tuple[str, ...]]:
    """Every analyzed term sequence the query looks for: one-word ones and whole phrases."""
    wanted: set[tuple[str, ...]] = set()
    for term in terms:
        if term.prefix:
            continue
        for variant in (*analysis.query_variants(term.text, lang), *analysis.query_variants(term.text, None)):
            if variant:
                wanted.add(tuple(variant))
    return wanted


def match_spans(text: str, lang: str | None, terms: list[QueryTerm]) -> list[tuple[int, int]]:
    """Character spans of the text that the query matched: a phrase only where its words stand
    together, in order, never its words scattered (a phrase's "le" is not a match); for
    ``Kazakh*``, the words whose normalized form begins with the prefix."""
    wanted = query_sequences(terms, lang)
    prefixes = tuple(t.text for t in terms if t.prefix)
    if not wanted and not prefixes:
        return []
    spans: set[tuple[int, int]] = set()
    neutral = analysis.tokenize(text)  # one pass over the words serves both analyses
    if prefixes:
        spans.update((t.start, t.end) for t in neutral if t.term.startswith(prefixes))
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for sequence in wanted:
        by_first.setdefault(sequence[0], []).append(sequence)
    stem = analysis.stemmer(lang)
    for terms_only in ([stem(t.term) for t in neutral], [t.term for t in neutral]):
        for i, term in enumerate(terms_only):
            for sequence in by_first.get(term, ()):
                n = len(sequence)
                if n == 1 or tuple(terms_only[i:i + n]) == sequence:
                    spans.add((neutral[i].start, neutral[i + n - 1].end))
    return sorted(_merge(sorted(spans)))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def make_snippet(text: str, lang: str | None, terms: list[QueryTerm], width: int = WINDOW_CHARS) -> Snippet:
    text = text or ""
    spans = match_spans(text, lang, terms)
    start = 0
    if spans:  # densest window: the start position covering the most matches within `width`
        best, j = (0, spans[0][0]), 0
        for i, (s, _) in enumerate(spans):
            while spans[j][0] < s - width:
                j += 1
            best = max(best, (i - j + 1, spans[j][0]))
        start = max(0, best[1] - 40)
        while start > 0 and not text[start - 1].isspace():
            start -= 1
    end = min(len(text), start + width)
    while end < len(text) and not text[end - 1].isspace() and end - start < width + 30:
        end += 1
    parts: list[tuple[str, bool]] = []
    pos = start
    for s, e in spans:
        if s < start or e > end:
            continue
        if s > pos:
            parts.append((text[pos:s], False))
        parts.append((text[s:e], True))
        pos = e
    if pos < end:
        parts.append((text[pos:end], False))
    cleaned = [(t.replace("\n", " "), m) for t, m in parts]
    if start > 0:
        cleaned.insert(0, ("…", False))
    if end < len(text):
        cleaned.append(("…", False))
    return Snippet(tuple(cleaned))
