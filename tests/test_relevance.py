"""Topic config validation, match evidence, the relevance stage and ``newsmon topics``."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from pipelines.items import Dropped

from newsmon.cli import main
from newsmon.sample_site import catalog
from pipelines.items import Article
from newsmon.config import load_topics
from newsmon.yamlconf import ConfigError
from pipelines.relevance import RelevanceStage, match_topics, strip_read_also

TOPICS_FILE = Path(__file__).resolve().parents[1] / "settings" / "topics.yaml"


@pytest.fixture(scope="module")
def topics():
    return load_topics(TOPICS_FILE)


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "topics.yaml"
    p.write_text(text, encoding="utf-8")
    return p


# --------------------------------------------------------------------------- config
@pytest.mark.parametrize("yaml_text, expected", [
    ("topics:\n  - name: t\n    concepts:\n      - name: A\n        terms:\n          de: [Marokko]\n",
     "topics.yaml:5: topics[t].concepts[A].terms: unknown language 'de'"),
    ("topics:\n  - name: t\n    concepts:\n      - name: A\n        terms: {en: []}\n",
     "topics.yaml:5: topics[t].concepts[A].terms: concept has no terms"),
    ("topics:\n  - name: t\n    concepts:\n      - name: A\n        terms: {en: [x]}\n"
     "  - name: t\n    concepts:\n      - name: B\n        terms: {en: [y]}\n",
     "topics.yaml:6: topics[1].name: duplicate topic name 't'"),
    ("topics:\n  - name: t\n    concepts:\n      - name: A\n        terms: {en: [x]}\n    min_mention: 3\n",
     "topics.yaml:6: topics[t].min_mention: unknown key (misspelt?)"),
    ("topics:\n  - name: t\n    concepts: []\n", "topics.yaml:3: topics[t].concepts: List should have at least 1 item"),
    ("topics:\n  - name: t\n    concepts:\n      - name: A\n        terms: {en: ['!!']}\n",
     "has no letters or digits"),
    ("topics: [\n", "invalid YAML"),
])
def test_bad_topics_files_say_where_and_what(tmp_path, yaml_text, expected):
    with pytest.raises(ConfigError) as err:
        load_topics(write(tmp_path, yaml_text))
    assert expected in str(err.value)


def test_adding_a_topic_is_a_yaml_edit(tmp_path):
    path = write(tmp_path, """
topics:
  - name: wheat-kazakhstan
    concepts:
      - name: Wheat
        terms: {en: [wheat, grain], fr: [blé]}
      - name: Kazakhstan
        terms: {any: [Kazakhstan]}
    min_mentions: 1
""")
    [topic] = load_topics(path)
    [m] = match_topics("Le blé du Kazakhstan", "", "fr", [topic])
    assert m.relevant and m.concepts == {"Wheat": {"blé": 1}, "Kazakhstan": {"Kazakhstan": 1}}


# --------------------------------------------------------------------------- matching
def test_evidence_counts_configured_terms(topics):
    [m] = match_topics("Le Maroc et le Kazakhstan", "La partie kazakhe et les Marocains. Le Maroc à Astana.", "fr", topics)
    assert m.relevant
    assert m.concepts["Morocco"] == {"Maroc": 2, "marocain": 1}
    assert m.concepts["Kazakhstan"] == {"Kazakhstan": 1, "kazakh": 1, "Astana": 1}
    assert m.matched_terms["Maroc"] == 2
    # mentions: title 2 + 2, body 4 x 1; plus 1 for each of the 3 sentences (title included) naming both
    assert m.score == pytest.approx(8 + 3)


def test_latin_name_counts_in_arabic_article(topics):
    [m] = match_topics("وفد مغربي في Kazakhstan", "زار وفد مغربي Kazakhstan لبحث التعاون.", "ar", topics)
    assert m.concepts["Kazakhstan"] == {"Kazakhstan": 2} and m.relevant


def test_boosters_never_enough_alone(topics):
    [m] = match_topics("Tokayev and Bourita", "Tokayev met Bourita. Tokayev praised Bourita.", "en", topics)
    assert not m.relevant and m.concepts["boosters"] == {"Tokayev": 3, "Bourita": 3}


def test_enumeration_mentions_weigh_little(topics):
    text = "Buyers: Egypt, Morocco, Algeria, Kazakhstan, Turkey and Chile. Morocco grew. Kazakhstan too."
    [m] = match_topics("Grain", text, "en", topics)
    assert not m.relevant  # 0.25 + 1 per concept


def test_exclusions_are_not_mentions(topics):
    [m] = match_topics("Book sale", "An atlas in red morocco. A Kazakh buyer in Kazakhstan.", "en", topics)
    assert m.concepts["Morocco"] == {} and not m.relevant


def test_read_also_lines_are_dropped():
    text = "Para one.\nRead also: Morocco and Kazakhstan\nPara two.\nLire aussi :\nLe Kazakhstan vote\nPara three."
    assert strip_read_also(text) == "Para one.\nPara two.\nPara three."


def test_language_unknown_uses_script(topics):
    [m] = match_topics("Казахстан и Марокко", "Делегация Казахстана прибыла в Марокко.", None, topics)
    assert m.relevant


# --------------------------------------------------------------------------- pipeline
def _item(**kw):
    base = dict(url="https://x.test/a", title="", text="", lang="en",
                fetched_at=datetime(2025, 1, 1, tzinfo=timezone.utc))
    base.update(kw)
    return Article(**base)


class Stats:
    def __init__(self):
        self.values = {}

    def inc_value(self, key, count=1, start=0):
        self.values[key] = self.values.get(key, start) + count


def test_pipeline_sets_fields_and_counts(topics):
    stats = Stats()
    pipe = RelevanceStage(topics, stats=stats)
    item = pipe.process_item(_item(title="Morocco and Kazakhstan sign deal", text="The Kazakh side met Moroccan officials."))
    assert item["relevant"] is True and item["topics"] == ["morocco-kazakhstan"]
    assert item["matched_terms"] == {"Morocco": 1, "Moroccan": 1, "Kazakhstan": 1, "Kazakh": 1}
    assert item["relevance_score"] > 0
    with pytest.raises(Dropped, match=r"not relevant: https://x.test/b"):
        pipe.process_item(_item(url="https://x.test/b", title="Weather", text="Rain in Morocco."))
    assert stats.values == {"newsmon/relevance/relevant": 1, "newsmon/relevance/irrelevant": 1}


def test_pipeline_keep_all_keeps_evidence(topics):
    item = RelevanceStage(topics, keep_all=True).process_item(_item(title="Weather", text="Rain in Morocco."))
    assert item["relevant"] is False and item["topics"] == [] and item["matched_terms"] == {"Morocco": 1}


def _strip_read_also_before(text: str) -> str:
    """strip_read_also as it was, normalising every whole line (the reference for the test below)."""
    from pipelines import analysis
    from pipelines.relevance import _HEADLINE_WORDS, _READ_ALSO

    out, skipping = [], 0
    for line in text.split("\n"):
        norm = analysis.normalize(line.strip().lstrip("-–—•*>» ").strip())
        if norm.startswith(_READ_ALSO):
            rest = norm
            for m in _READ_ALSO:
                if rest.startswith(m):
                    rest = rest[len(m):]
                    break
            skipping = 3 if len(rest.strip(" :-–—.")) == 0 else 0
            continue
        if skipping and line.strip():
            if len(analysis.words(line)) <= _HEADLINE_WORDS and not line.rstrip().endswith((".", "؟", "?", "!")):
                skipping -= 1
                continue
            skipping = 0
        out.append(line)
    return "\n".join(out)


def test_strip_read_also_drops_the_lines_it_dropped_when_it_normalised_whole_lines():
    """Only the first words of a line are normalised to see whether it starts with a marker:
    the same lines go on texts of markers (written in every way the normaliser folds), link
    titles and paragraphs of every length."""
    import random

    rnd = random.Random(16)
    markers = ["Read also:", "READ MORE", "Lire aussi :", "A lire aussi", "À LIRE AUSSI", "Sur le même sujet",
               "Leggi anche", "Noticias relacionadas:", "Читайте также", "Сондай-ақ оқыңыз", "اقرأ أيضا",
               "إقرأ أيضاً", "اقرأ ايضا:", "مواضيع ذات صلة", "Lire e\u0301galement", "read\u00a0also"]
    words = ["Morocco", "Kazakhstan", "Maroc", "Marocco", "المغرب", "كازاخستان", "Казахстан", "é", "ß", "ﬁn",
             "\u0301", "ـ", "—", "-", "•", ">", ":", ".", "?", "؟", "", " ", "  ", "\t", "\u00a0", "й", "и\u0306"]
    for _ in range(3000):
        lines = []
        for _ in range(rnd.randint(1, 12)):
            kind = rnd.random()
            if kind < 0.3:
                line = rnd.choice(["", "- ", "• ", "» ", " "]) + rnd.choice(markers) + rnd.choice(["", " ", ":", " : ", " " + rnd.choice(words)])
            elif kind < 0.6:
                line = " ".join(rnd.choice(words) for _ in range(rnd.randint(0, 8)))
            else:
                line = rnd.choice(["", " "]) + " ".join(rnd.choice(words + markers) for _ in range(rnd.randint(5, 60)))
            lines.append(line + rnd.choice(["", ".", " ", "?"]))
        text = "\n".join(lines)
        assert strip_read_also(text) == _strip_read_also_before(text), repr(text)


def _scan_before(part, index):
    """scan as it was: every position looked at in turn (the reference for the test below)."""
    from pipelines.relevance import _best

    out, stemmed, neutral = [], part.stemmed, part.neutral
    st, nt = index.stemmed, index.neutral
    i, n = 0, len(stemmed)
    while i < n:
        best = _best(st, stemmed, i, 0) if stemmed[i] in st else None
        if neutral[i] in nt:
            other = _best(nt, neutral, i, len(best.seq) if best else 0)
            best = other or best
        if best is None:
            i += 1
            continue
        out.append((best, i))
        i += len(best.seq)
    return out


def _drop_repeated_title_before(title, text):
    from pipelines import analysis

    head, sep, rest = text.lstrip().partition("\n")
    if title and analysis.normalize(head.strip()) == analysis.normalize(title.strip()):
        return rest
    return text


def test_scan_and_title_drop_find_what_they_found_position_by_position(topics):
    """scan looks only at the positions where a term can start, _drop_repeated_title normalises
    only the first line's first words: the same matches and the same bodies as before, on texts
    made of the topics' own terms (several words long, overlapping, stemmed forms, other
    languages' forms) and ordinary words, titles repeated or not."""
    import random

    from pipelines.relevance import _drop_repeated_title, _Part, scan, stem_heads

    rnd = random.Random(16)
    terms = sorted({e.key for t in topics for lang in ("ar", "fr", "it", "en", "ru", "kk", "es", None)
                    for table in (t.index(lang).stemmed, t.index(lang).neutral) for es in table.values() for e in es})
    filler = ["the", "le", "di", "في", "и", "and", "Morocco's", "marocains", "Kazakh", "royaume", ",", ".", "\n", "l'"]
    for _ in range(1500):
        words = [rnd.choice(terms) if rnd.random() < 0.3 else rnd.choice(filler) for _ in range(rnd.randint(0, 40))]
        text = " ".join(words)
        for lang in ("ar", "fr", "it", "en", "ru", "kk", "es", None):
            indexes = tuple(t.index(lang) for t in topics)
            part = _Part.of(text, lang, stem_heads(indexes, lang))
            for index in indexes:
                assert scan(part, index) == _scan_before(part, index), (text, lang)
        title = " ".join(words[:rnd.randint(0, 6)]) if rnd.random() < 0.5 else rnd.choice(terms)
        body = rnd.choice(["", " ", "\n"]) + rnd.choice([title, title.upper(), title + " x", text]) + "\n" + text
        for t in (title, "", " " + title + " "):
            assert _drop_repeated_title(t, body) == _drop_repeated_title_before(t, body), (t, body)


def test_stage_compiles_only_the_languages_it_meets():
    """A crawl of French pages builds the French matcher (and the language-neutral one), not the
    Russian or Kazakh ones; an article in another language later gets its own, with the same
    verdict as a stage that had every language compiled before its first article."""
    fresh = load_topics(TOPICS_FILE)  # not the module's fixture: its matchers are shared
    pipe = RelevanceStage(fresh, keep_all=True)
    assert fresh[0]._indexes == {}
    pipe.process_item(_item(title="Le Maroc et le Kazakhstan", text="Le Maroc signe avec le Kazakhstan.", lang="fr"))
    assert set(fresh[0]._indexes) == {"fr"}
    ru = _item(title="Марокко и Казахстан", text="Марокко подписало соглашение с Казахстаном.", lang="ru")
    got = pipe.process_item(dict(ru))
    assert set(fresh[0]._indexes) == {"fr", "ru"}
    eager = load_topics(TOPICS_FILE)
    for lang in ("ar", "fr", "it", "en", "ru", "kk", "es", None):
        eager[0].index(lang)
    want = RelevanceStage(eager, keep_all=True).process_item(dict(ru))
    assert got["relevant"] is True
    assert (got["topics"], got["matched_terms"], got["relevance_score"]) == (
        want["topics"], want["matched_terms"], want["relevance_score"])


# --------------------------------------------------------------------------- sample site
def test_every_sample_site_article_is_classified_right(topics):
    wrong = []
    for a in catalog.load_articles():
        [m] = match_topics(a.title, a.text, a.lang, topics)
        if m.relevant != a.relevant:
            wrong.append((a.slug, a.relevant, m.score, m.concepts))
    assert not wrong


# --------------------------------------------------------------------------- CLI
def test_cli_topics_list():
    res = CliRunner().invoke(main, ["topics", "list"])
    assert res.exit_code == 0, res.output
    assert "morocco-kazakhstan" in res.output and "concept Kazakhstan" in res.output


def test_cli_topics_test_on_a_file(tmp_path):
    page = tmp_path / "p.html"
    page.write_text(
        "<html lang='fr'><head><title>Le Maroc et le Kazakhstan</title></head><body><article>"
        "<h1>Le Maroc et le Kazakhstan signent un accord</h1>"
        "<p>La partie kazakhe et la partie marocaine ont signé un accord de coopération agricole mardi à Rabat. "
        "Les deux pays veulent doubler leurs échanges de blé et d'engrais d'ici trois ans, selon les ministres.</p>"
        "<p>Une commission mixte se réunira à Astana au printemps pour suivre la mise en oeuvre des projets.</p>"
        "</article><aside class='comments'><p>Troll \x01 \u202e odd input</p></aside></body></html>",
        encoding="utf-8")
    res = CliRunner().invoke(main, ["topics", "test", str(page), "--topic", "morocco-kazakhstan"])
    assert res.exit_code == 0, res.output
    assert "morocco-kazakhstan: RELEVANT" in res.output
    assert "concept Kazakhstan:" in res.output and "Astana x1" in res.output


def test_cli_topics_test_errors_are_clear(tmp_path):
    res = CliRunner().invoke(main, ["topics", "test", str(tmp_path / "missing.html")])
    assert res.exit_code != 0 and "cannot read" in res.output
    bad = write(tmp_path, "topics:\n  - name: t\n")
    res = CliRunner().invoke(main, ["topics", "list", "--topics-file", str(bad)])
    assert res.exit_code != 0 and "topics.yaml:2" in res.output


def _reference_structure(text: str, spans: list[tuple[int, int]], neutral: list[str]) -> tuple[list[bool], list[int]]:
    """text_structure as first written: a Python pass over every token and its gap; the faster
    one, which looks only at the gaps that are not one space, must give the same flags."""
    from pipelines.relevance import _CONJUNCTIONS, _HAS_WORD, _SENTENCE_END, _SEPARATOR

    n = len(spans)
    flags = [False] * n
    if not n:
        return flags, []
    line_of, sent_of, boundary = [0] * n, [0] * n, [False] * n
    line = sent = 0
    for i in range(n):
        if i:
            gap = text[spans[i - 1][1]:spans[i][0]]
            if gap == " ":
                pass
            elif "\n" in gap:
                line += 1
                sent += 1
            elif _SENTENCE_END.search(gap):
                sent += 1
            elif _SEPARATOR.search(gap):
                boundary[i] = True
        w = neutral[i]
        if w in _CONJUNCTIONS or (len(w) > 3 and w[0] == "و" and w[1] != "و"):
            boundary[i] = True
        line_of[i], sent_of[i] = line, sent
    seg_start, segments = 0, []
    for i in range(1, n + 1):
        if i == n or boundary[i] or sent_of[i] != sent_of[i - 1]:
            segments.append((seg_start, i))
            seg_start = i
    run: list[tuple[int, int]] = []

    def close(run):
        if len(run) >= 4:
            for a, b in run:
                for j in range(a, b):
                    flags[j] = True

    for a, b in segments:
        short = b - a <= 3
        same_sentence = bool(run) and sent_of[run[-1][0]] == sent_of[a]
        if short and (same_sentence or not run):
            run.append((a, b))
        else:
            close(run)
            run = [(a, b)] if short else []
    close(run)
    by_line: dict[int, list[int]] = {}
    for i in range(n):
        by_line.setdefault(line_of[i], []).append(i)
    nonempty = [t for t in text.split("\n") if _HAS_WORD.search(t)]
    block: list[int] = []

    def close_block(block):
        if len(block) >= 3:
            for ln in block:
                for j in by_line[ln]:
                    flags[j] = True

    for k, ln in enumerate(sorted(by_line)):
        raw = nonempty[k].strip() if k < len(nonempty) else ""
        if len(by_line[ln]) <= 8 and not _SENTENCE_END.search(raw[-1:] or "."):
            block.append(ln)
        else:
            close_block(block)
            block = []
    close_block(block)
    return flags, sent_of


def test_structure_equals_the_reference():
    import random

    from pipelines import analysis
    from pipelines.relevance import structure

    rnd = random.Random(16)
    words = ["Maroc", "Kazakhstan", "et", "and", "и", "والمغرب", "وو", "ou", "Rabat", "Astana", "la", "12", "de"]
    gaps = [" "] * 12 + [", ", "; ", " | ", " / ", ". ", "! ", "?\n", "\n", "\n\n", " - ", "… ", "،", "؛ ", "\t", ": "]
    texts = ["\n".join(article.body) for article in catalog.load_articles()]
    assert len(texts) > 50
    texts += ["", "Maroc", "Maroc, Kazakhstan, Égypte, Algérie et Turquie.", "a\nb\nc\nd.\ne\nf\ng\nh"]
    for _ in range(3000):
        texts.append("".join(rnd.choice(words) + rnd.choice(gaps) for _ in range(rnd.randint(1, 60))))
    for text in texts:
        spans = [(s, e) for _, s, e in analysis.words(text)]
        words_, gaps_ = analysis.word_gaps(text)
        neutral = [analysis.normalize(w) for w in words_]
        expected = _reference_structure(text, spans, neutral)
        assert structure(text, gaps_, neutral) == expected, repr(text)
