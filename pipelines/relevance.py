"""Relevance stage: decide from the extracted title and body whether an article is about a topic.

Why not count words on the page: a sidebar of related articles, a reader's comment or a list of
twenty countries would make half the web "about" Morocco and Kazakhstan. So this stage sees only
the extracted title and body, and inside the body it

* ignores "read also" lines and the headline-like lines right under them (inline link boxes that
  extractors keep: "Lire aussi", "اقرأ أيضا", "Читайте также", …);
* gives a mention inside an enumeration ("Egypt, Morocco, Algeria, Kazakhstan and Turkey"), or
  inside a block of short table-like lines (fixture tables, results), only ``list_weight``;
* needs every concept of the topic, with ``min_mentions`` weighted mentions each (title mentions
  weigh ``title_weight``); leaders' names top concepts up but never replace them.

Every stored article keeps its evidence: ``topics``, ``matched_terms`` (configured term → count)
and ``relevance_score``. Term matching itself (stemming, elision, Arabic clitics) comes from
:mod:`pipelines.analysis` through each topic's compiled :class:`pipelines.topics.TermIndex`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pipelines import analysis
from pipelines.items import Dropped
from pipelines.language import analysis_language
from pipelines.topics import BOOSTER, BOOSTERS, EXCLUDE, Entry, TermIndex, Topic



@dataclass
class TopicMatch:
    topic: str
    relevant: bool
    score: float
    matched_terms: dict[str, int] = field(default_factory=dict)
    concepts: dict[str, dict[str, int]] = field(default_factory=dict)  # + "boosters" when any


# --------------------------------------------------------------------------- text structure
_READ_ALSO = tuple(analysis.normalize(m) for m in (
    "read also", "read more", "see also", "related:", "related articles", "related stories",
    "lire aussi", "à lire aussi", "a lire aussi", "voir aussi", "sur le même sujet", "lire également",
    "leggi anche", "vedi anche", "potrebbe interessarti", "articoli correlati",
    "lee también", "lea también", "ver también", "te puede interesar", "noticias relacionadas",
    "читайте также", "см. также", "по теме:", "читайте по теме",
    "сондай-ақ оқыңыз", "оқи отырыңыз", "тақырыпқа қатысты",
    "اقرأ أيضا", "اقرأ ايضا", "إقرأ أيضا", "طالع أيضا", "شاهد أيضا", "اقرأ المزيد", "مواضيع ذات صلة",
    "أخبار ذات صلة", "مقالات ذات صلة",
))
_MARKER_CHARS = max(map(len, _READ_ALSO))
_SENTENCE_END = re.compile(r"[.!?؟…。]")
_SEPARATOR = re.compile(r"[,،;؛|•·/\t]")
_CONJUNCTIONS = frozenset("and et e y i и және мен or ou o или или ve u ed".split())
_HEADLINE_WORDS = 20
_HAS_WORD = re.compile(r"[^\W_]")


def strip_read_also(text: str) -> str:
    """Drop "read also" lines, and headline-like lines right after a bare marker line."""
    out: list[str] = []
    skipping = 0
    for line in text.split("\n"):
        bare = line.strip().lstrip("-–—•*>» ").strip()
        # most lines are paragraphs: their first words tell that they start with no marker
        if analysis.normalize_head(bare, _MARKER_CHARS).startswith(_READ_ALSO):
            norm = analysis.normalize(bare)
            # a marker alone ("Read also:") announces link titles on the following lines
            rest = norm
            for m in _READ_ALSO:
                if rest.startswith(m):
                    rest = rest[len(m):]
                    break
            skipping = 3 if len(rest.strip(" :-–—.")) == 0 else 0
            continue
        if skipping and line.strip():
            words = len(analysis.words(line))
            if words <= _HEADLINE_WORDS and not line.rstrip().endswith((".", "؟", "?", "!")):
                skipping -= 1
                continue
            skipping = 0
        out.append(line)
    return "\n".join(out)


def _drop_repeated_title(title: str, text: str) -> str:
    """Extractors sometimes repeat the headline as the body's first line; count it once.

    The first line is usually a paragraph: only its first words are normalised, enough to be
    longer than the title's normal form (then the two differ) or the whole line."""
    if not title:
        return text
    head, sep, rest = text.lstrip().partition("\n")
    wanted = analysis.normalize(title.strip())
    if analysis.normalize_head(head.strip(), len(wanted) + 1) == wanted:
        return rest
    return text


def structure(text: str, gaps: list[str], neutral: list[str]) -> tuple[list[bool], list[int]]:
    """Per token: (inside an enumeration or table-like block?, sentence number); ``gaps[i]`` is
    the text before token ``i`` (:func:`pipelines.analysis.word_gaps`).

    An enumeration is a run of at least 4 consecutive segments of at most 3 words inside one
    sentence, segments being cut at commas, semicolons, pipes, slashes, "and"/"et"/"и"/"و"-joined
    words. A table-like block is 3 or more consecutive short lines (at most 8 words, no final
    full stop): fixture tables, results, lists of links.

    Most gaps are one space and say nothing: only the others, and the conjunctions, are looked
    at one by one; lines and sentences are runs of tokens between them.
    """
    n = len(neutral)
    flags = [False] * n
    if not n:
        return flags, []
    # lines and sentences: where they start (token index), and the tokens that open a segment
    line_starts = [0]
    sentence_starts = [0]
    cuts = set()
    for i in [i for i in range(1, n) if gaps[i] != " "]:
        gap = gaps[i]
        if "\n" in gap:
            line_starts.append(i)
            sentence_starts.append(i)
        elif _SENTENCE_END.search(gap):
            sentence_starts.append(i)
        elif _SEPARATOR.search(gap):
            cuts.add(i)
    joins = {w for w in set(neutral) if w in _CONJUNCTIONS or (len(w) > 3 and w[0] == "و" and w[1] != "و")}
    if joins:
        cuts.update(i for i in range(1, n) if neutral[i] in joins)
    sent_of: list[int] = []
    for number, (a, b) in enumerate(zip(sentence_starts, [*sentence_starts[1:], n])):
        sent_of += [number] * (b - a)
    # enumerations: segments per sentence
    bounds = sorted(cuts.union(sentence_starts[1:]))
    segments = list(zip([0, *bounds], [*bounds, n]))
    run: list[tuple[int, int]] = []

    def close(run: list[tuple[int, int]]) -> None:
        if len(run) >= 4:
            for a, b in run:
                flags[a:b] = [True] * (b - a)

    for a, b in segments:
        short = b - a <= 3
        same_sentence = bool(run) and sent_of[run[-1][0]] == sent_of[a]
        if short and (same_sentence or not run):
            run.append((a, b))
        else:
            close(run)
            run = [(a, b)] if short else []
    close(run)
    # table-like blocks of short lines; our lines (those holding tokens) map back to the text's
    # lines that hold a word, to see their final stops
    lines = list(zip(line_starts, [*line_starts[1:], n]))
    nonempty = [t for t in text.split("\n") if _HAS_WORD.search(t)]
    block: list[tuple[int, int]] = []

    def close_block(block: list[tuple[int, int]]) -> None:
        if len(block) >= 3:
            for a, b in block:
                flags[a:b] = [True] * (b - a)

    for k, (a, b) in enumerate(lines):
        raw = nonempty[k].strip() if k < len(nonempty) else ""
        if b - a <= 8 and not _SENTENCE_END.search(raw[-1:] or "."):
            block.append((a, b))
        else:
            close_block(block)
            block = []
    close_block(block)
    return flags, sent_of


# --------------------------------------------------------------------------- matching

SHORT_WORD = 6  # Snowball's irregular words (dying → die, gently → gentl) are no longer than this
_NO_MATCH = "\x00"  # never the start of a term


def stem_heads(indexes: tuple[TermIndex, ...], lang: str | None) -> frozenset[str] | None:
    """The first two letters of every stemmed term in ``indexes`` (one per topic, each built
    with its heads), for :meth:`_Part.of`; None (stem every word) for languages without a
    Snowball stemmer."""
    if lang not in analysis.SNOWBALL_LANGUAGES:
        return None
    return indexes[0].heads.union(*(index.heads for index in indexes[1:])) if indexes else frozenset()


@dataclass
class _Part:
    """One analyzed piece of the article (title or body)."""

    text: str
    gaps: list[str]  # the text before each token, and after the last (analysis.word_gaps)
    neutral: list[str]
    stemmed: list[str]
    _flags: list[bool] | None = None
    _sentences: list[int] | None = None

    @classmethod
    def of(cls, text: str, lang: str | None, heads: frozenset[str] | None = None) -> _Part:
        """``heads``: the first two letters of every stemmed term the topics can match. A
        Snowball stem keeps its word's first two letters (its irregular words are all short),
        so a long word starting otherwise can match nothing and is not stemmed: stemming every
        word of a page was most of this stage's time. Each distinct word is looked at once."""
        words, gaps = analysis.word_gaps(text)
        neutral = analysis.normalize_all(words)
        st = analysis.stemmer(lang)
        if not lang:
            stemmed = neutral
        elif heads is None:
            stemmed = list(map(st, neutral))
        else:
            stems = {t: st(t) if len(t) <= SHORT_WORD or t[:2] in heads else _NO_MATCH + t for t in set(neutral)}
            stemmed = list(map(stems.__getitem__, neutral))
        return cls(text, gaps, neutral, stemmed)

    def listy(self, i: int) -> bool:
        if self._flags is None:
            self._flags, self._sentences = structure(self.text, self.gaps, self.neutral)
        return self._flags[i]

    def sentence(self, i: int) -> int:
        self.listy(i)
        return self._sentences[i]  # type: ignore[index]


def _best(table: dict[str, tuple[Entry, ...]], terms: list[str], i: int, floor: int) -> Entry | None:
    for e in table.get(terms[i], ()):
        size = len(e.seq)
        if size <= floor:
            return None
        if size == 1 or tuple(terms[i:i + size]) == e.seq:
            return e
    return None


def scan(part: _Part, index: TermIndex) -> list[tuple[Entry, int]]:
    """Longest match at each position, stemmed forms first, then language-neutral forms."""
    out: list[tuple[Entry, int]] = []
    stemmed, neutral = part.stemmed, part.neutral
    st, nt = index.stemmed, index.neutral
    # a match starts only where a word's stemmed or neutral form starts a term: the few such
    # words are found by set intersection, and only their positions are looked at
    first_st = st.keys() & set(stemmed)
    first_nt = nt.keys() & set(neutral)
    if first_nt:
        starts = [i for i, (s, t) in enumerate(zip(stemmed, neutral)) if s in first_st or t in first_nt]
    elif first_st:
        starts = [i for i, s in enumerate(stemmed) if s in first_st]
    else:
        return out
    after = 0  # the first position past the last match
    for i in starts:
        if i < after:
            continue
        best = _best(st, stemmed, i, 0) if stemmed[i] in st else None
        if neutral[i] in nt:
            other = _best(nt, neutral, i, len(best.seq) if best else 0)
            best = other or best
        if best is None:
            continue
        out.append((best, i))
        after = i + len(best.seq)
    return out


def judge(topic: Topic, title: _Part, body: _Part, index: TermIndex) -> TopicMatch:
    scores = [0.0] * len(topic.concepts)
    per_concept: list[Counter[str]] = [Counter() for _ in topic.concepts]
    boosters: Counter[str] = Counter()
    together: dict[tuple[bool, int], set[int]] = {}  # sentence → concepts mentioned in it
    for part, in_title in ((title, True), (body, False)):
        for entry, pos in scan(part, index):
            if entry.kind == EXCLUDE:
                continue
            if entry.kind == BOOSTER:
                boosters[entry.key] += 1
                continue
            listy = not in_title and part.listy(pos)
            weight = topic.title_weight if in_title else (topic.list_weight if listy else 1.0)
            scores[entry.kind] += weight
            per_concept[entry.kind][entry.key] += 1
            if not listy:
                together.setdefault((in_title, 0 if in_title else part.sentence(pos)), set()).add(entry.kind)
    present = all(s >= 1.0 for s in scores)
    joint = sum(1 for kinds in together.values() if len(kinds) == len(scores)) if len(scores) > 1 else 0
    boost = topic.booster_weight * sum(boosters.values()) + topic.together_weight * joint
    total = sum(scores) + boost
    relevant = (present
                and all(s + boost >= topic.min_mentions for s in scores)
                and total >= topic.min_score)
    concepts = {c.name: dict(per_concept[k]) for k, c in enumerate(topic.concepts)}
    if boosters:
        concepts[BOOSTERS] = dict(boosters)
    matched: Counter[str] = Counter()
    for counts in concepts.values():
        matched.update(counts)
    return TopicMatch(topic.name, relevant, round(total, 3), dict(matched), concepts)


def match_topics(title: str, text: str, lang: str | None, topics: list[Topic],
                 compiled: dict[str | None, tuple[tuple[TermIndex, ...], frozenset[str] | None]] | None = None,
                 ) -> list[TopicMatch]:
    """One verdict per topic, with evidence, from the extracted title and body text only.

    ``compiled``: the topics' matchers and their stem heads by language, kept by the caller
    between calls (:class:`RelevanceStage`), filled here at a language's first use."""
    title = title or ""
    body_text = _drop_repeated_title(title, strip_read_also(text or ""))
    key = analysis_language(lang, f"{title}\n{body_text}")
    found = compiled.get(key) if compiled is not None else None
    if found is None:
        indexes = tuple(t.index(key) for t in topics)
        found = (indexes, stem_heads(indexes, key))
        if compiled is not None:
            compiled[key] = found
    indexes, heads = found
    title_part, body_part = _Part.of(title, key, heads), _Part.of(body_text, key, heads)
    return [judge(t, title_part, body_part, index) for t, index in zip(topics, indexes)]


# --------------------------------------------------------------------------- pipeline
class RelevanceStage:
    """Sets relevant/topics/matched_terms/relevance_score; drops what no topic wants."""

    def __init__(self, topics: list[Topic], keep_all: bool = False, stats: Any = None) -> None:
        self.topics = topics
        self.keep_all = keep_all
        self.stats = stats
        # Each topic compiles its matcher for a language at the first article in it
        # (Topic.index): a crawl of Arabic, French and Italian pages never builds the Russian
        # or Kazakh ones (~25 ms of the 32 ms that compiling all seven languages took).
        # Kept here by language with their stem heads: a topic's matcher read through pydantic's
        # private attributes, and the heads' union, cost ~4% of the stage at every article.
        self._compiled: dict[str | None, tuple[tuple[TermIndex, ...], frozenset[str] | None]] = {}

    def process_item(self, item: Any) -> Any:
        lang = item.get("lang") or item.get("source_language")
        matches = match_topics(item.get("title") or "", item.get("text") or "", lang, self.topics, self._compiled)
        hits = [m for m in matches if m.relevant]
        evidence = hits or matches
        merged: Counter[str] = Counter()
        for m in evidence:
            merged.update(m.matched_terms)
        item["relevant"] = bool(hits)
        item["topics"] = [m.topic for m in hits]
        item["matched_terms"] = dict(merged)
        item["relevance_score"] = max((m.score for m in evidence), default=0.0)
        if self.stats is not None:
            self.stats.inc_value(f"newsmon/relevance/{'relevant' if hits else 'irrelevant'}")
        if not hits and not self.keep_all:
            best = max(matches, key=lambda m: m.score, default=None)
            why = f"best {best.topic} score {best.score}, terms {best.matched_terms}" if best else "no topics"
            raise Dropped("not_relevant", item.get("url"), why)
        return item
