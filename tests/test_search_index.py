"""The embedded tantivy index: queries in any language find articles written in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsmon.query import parse, positive_terms
from newsmon.search_index import SearchIndex
from newsmon.snippets import make_snippet
from newsmon.store import Store
from tests.conftest import run_newsmon

DOCS = [
    {"id": "fr1", "source": "atlas-fr", "lang": "fr", "published_at": "2025-02-21T10:00:00Z",
     "title": "Le Maroc et le Kazakhstan signent un accord", "text": "Les délégations marocaines et kazakhes ont signé à Rabat un accord sur le blé."},
    {"id": "ru1", "source": "steppe-ru", "lang": "ru", "published_at": "2025-03-01",
     "title": "Казахстан и Марокко", "text": "Делегация Казахстана прибыла в Марокко для переговоров о поставках пшеницы."},
    {"id": "ar1", "source": "atlas-ar", "lang": "ar", "published_at": "2025-04-01T08:00:00Z",
     "title": "المغرب وكازاخستان", "text": "وقعت المملكة المغربية وجمهورية كازاخستان اتفاقية للتعاون بالرباط"},
    {"id": "en1", "source": "globe-en", "lang": "en", "published_at": "2024-01-01",
     "title": "Football results", "text": "Morocco beat Spain 2-1 in Rabat on Sunday."},
    {"id": "es1", "source": "mundo-es", "lang": "es", "published_at": "2025-05-05T09:00:00Z",
     "title": "Marruecos y Kazajistán", "text": "Las autoridades marroquíes recibieron a la delegación kazaja en Rabat."},
    {"id": "it1", "source": "nova-it", "lang": "it", "published_at": None, "fetched_at": "2025-06-01T00:00:00Z",
     "title": "Il Marocco e il Kazakistan", "text": "Le autorità marocchine e kazake hanno firmato un memorandum."},
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    ix = SearchIndex(tmp_path_factory.mktemp("ix") / "index", writable=True)
    ix.add(DOCS)
    ix.commit()
    return ix


def ids(index: SearchIndex, query: str, **kw: object) -> set[str]:
    return {h.id for h in index.search(query, **kw)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Kazakhstan", {"fr1"}),
        ("marocaine", {"fr1"}),               # French inflection
        ("Казахстане", {"ru1"}),              # Russian case ending
        ("كازاخستان", {"ar1"}),
        ("بالمغرب", {"ar1"}),                 # Arabic proclitics
        ("Kazajistán", {"es1"}),
        ("kazajistan", {"es1"}),              # diacritic folding
        ("Kazakistan", {"it1"}),
        ("Rabat", {"fr1", "en1", "es1", "ar1"} - {"ar1"}),
        ("Morocco NOT football", set()),
        ('"accord sur le blé"', {"fr1"}),
        ('"blé accord"', set()),              # a phrase keeps its order
        ("title:Football", {"en1"}),
        ("text:Football", set()),
        ("lang:ru", {"ru1"}),
        ("source:atlas-fr", {"fr1"}),
        ("Maroc OR Марокко", {"fr1", "ru1"}),
        ("Maroc Марокко", set()),             # AND is the default operator
        ("Maroc AND Kazakhstan", {"fr1"}),
        ("Rabat -football", {"fr1", "es1"}),
        ("Rabat NOT football", {"fr1", "es1"}),
        ("+Rabat -Morocco", {"fr1", "es1"}),
        ("NOT Rabat", {"ar1", "ru1", "it1"}),  # a query of negations alone: everything else
        ("-Rabat -Maroc", {"ar1", "ru1", "it1"}),
        ("text:(Rabat OR Казахстана)", {"fr1", "en1", "es1", "ru1"}),
        ("(Maroc OR Marruecos) AND Rabat", {"fr1", "es1"}),
        ("(Rabat) (Maroc OR Morocco)", {"fr1", "en1"}),
        ("source:atlas-fr OR source:mundo-es", {"fr1", "es1"}),
        ("Rabat lang:en", {"en1"}),
        ("Rabat -lang:en", {"fr1", "es1"}),
        ("Rabat -(Morocco OR Maroc)", {"es1"}),
        ("Kazak*", {"fr1", "it1"}),           # a prefix of what was written: kazakhes, kazake, Kazakistan
        ("Kazakh*", {"fr1"}),
        ("title:Kazak*", {"fr1", "it1"}),
        ("text:Kazak*", {"fr1", "it1"}),
        ("Казах*", {"ru1"}),
        ("Marocc* -Kazakistan", set()),
        ("Maroc*", {"fr1", "it1"}),           # Marocco, marocchine, marocaines
    ],
)
def test_queries(index: SearchIndex, query: str, expected: set[str]) -> None:
    assert ids(index, query) == expected


def test_url_filter_is_the_exact_canonical_url(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "url", writable=True)
    ix.add([{**DOCS[0], "canonical_url": "https://atlas.example/fr/accord?id=7"},
            {**DOCS[1], "url": "https://steppe.example/ru/1"}])
    ix.commit()
    assert ids(ix, "url:https://atlas.example/fr/accord?id=7") == {"fr1"}
    assert ids(ix, 'url:"https://steppe.example/ru/1"') == {"ru1"}
    assert ids(ix, "(url:https://atlas.example/fr/accord?id=7 OR url:https://steppe.example/ru/1)") == {"fr1", "ru1"}
    assert ids(ix, "url:https://atlas.example/fr/accord") == set()


def test_filters(index: SearchIndex) -> None:
    assert ids(index, "Rabat", since="2025-01-01") == {"fr1", "es1"}
    assert ids(index, "Rabat", until="2025-02-21") == {"fr1", "en1"}  # the whole day is included
    assert ids(index, "", lang="it") == {"it1"}  # undated: filtered by fetch time
    assert ids(index, "Rabat", source="globe-en") == {"en1"}


def test_title_match_ranks_first(index: SearchIndex) -> None:
    hits = index.search("Kazakhstan OR kazakhes")
    assert hits[0].id == "fr1"


def test_upsert_replaces(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "ix", writable=True)
    ix.add([DOCS[0]])
    ix.add([{**DOCS[0], "text": "Texte remplacé sur le phosphate."}])
    ix.commit()
    assert ids(ix, "phosphate") == {"fr1"} and ids(ix, "blé") == set()
    assert ix.count() == 1


def test_upsert_replaces_within_one_call(tmp_path: Path) -> None:
    """Old copies go by one delete per run of ids: an id twice in one call, and a call longer
    than a run, still leave one document per id, the last one given."""
    ix = SearchIndex(tmp_path / "ix", writable=True)
    ix.add([DOCS[0]])
    ix.commit()
    many = [{**DOCS[0], "id": f"n{i}", "text": f"Texte numéro {i} sur le phosphate."} for i in range(120)]
    ix.add([{**DOCS[0], "text": "Texte remplacé sur le phosphate."}, *many,
            {**DOCS[0], "text": "Dernier texte sur le cuivre."}, many[7]])
    ix.commit()
    assert ids(ix, "cuivre") == {"fr1"} and "fr1" not in ids(ix, "phosphate") and ids(ix, "blé") == set()
    assert ix.count() == 121


def test_snippet_marks_inflected_matches() -> None:
    terms = positive_terms(parse("marocaine blé"))
    snip = make_snippet(DOCS[0]["text"], "fr", terms)
    assert snip.plain() == "Les délégations [marocaines] et kazakhes ont signé à Rabat un accord sur le [blé]."
    hostile = make_snippet("<script>alert(1)</script> Maroc", "fr", positive_terms(parse("Maroc")))
    assert hostile.html() == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Maroc</mark>"


def test_arabic_query_finds_words_with_single_letter_proclitics(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "ar", writable=True)
    ix.add([
        {"id": "b", "source": "s", "lang": "ar", "title": "زيارة", "text": "وصل الوفد بكازاخستان أمس", "published_at": "2025-01-01"},
        {"id": "l", "source": "s", "lang": "ar", "title": "تجارة", "text": "صادرات لكازاخستان من الفوسفاط", "published_at": "2025-01-01"},
        {"id": "x", "source": "s", "lang": "ar", "title": "بلد", "text": "زار الوفد بلدا مجاورا ولبنان", "published_at": "2025-01-01"},
    ])
    ix.commit()
    assert ids(ix, "كازاخستان") == {"b", "l"}
    assert ids(ix, "لبنان") == {"x"}  # the index strips no real first letters (ولبنان → لبنان)
    snip = make_snippet("صادرات لكازاخستان من الفوسفاط", "ar", positive_terms(parse("كازاخستان")))
    assert snip.plain() == "صادرات [لكازاخستان] من الفوسفاط"


def test_arabic_expansion_is_narrow_and_never_widens_a_negation(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "neg", writable=True)
    ix.add([{"id": "k", "source": "s", "lang": "ar", "title": "كازاخستان", "text": "قال كمال إن كازاخستان شريك",
             "published_at": "2025-01-01"}])
    ix.commit()
    assert ids(ix, "مال") == set()  # كمال is not ك + مال
    assert ids(ix, "كازاخستان -مال") == {"k"}


def test_a_corrupt_index_is_reported_and_rebuilt_by_reindex(tmp_path: Path) -> None:
    from newsmon.search_index import IndexError_

    path = tmp_path / "corrupt"
    ix = SearchIndex(path, writable=True)
    ix.add([DOCS[0]])
    ix.close()
    (path / "meta.json").write_text("{ not json")
    with pytest.raises(IndexError_, match="newsmon reindex"):
        SearchIndex(path)
    rebuilt = SearchIndex(path, writable=True, recreate=True)
    rebuilt.add([DOCS[0]])
    rebuilt.commit()
    assert ids(rebuilt, "Kazakhstan") == {"fr1"}


def test_prefix_highlights_every_word_it_begins() -> None:
    snip = make_snippet(DOCS[0]["text"], "fr", positive_terms(parse("Maroc*")))
    assert snip.plain() == "Les délégations [marocaines] et kazakhes ont signé à Rabat un accord sur le blé."


def test_phrase_highlights_only_the_phrase() -> None:
    text = "Les ressortissants et le Royaume : le Maroc et le Kazakhstan ont signé."
    snip = make_snippet(text, "fr", positive_terms(parse('"Maroc et le Kazakhstan"')))
    assert snip.plain() == "Les ressortissants et le Royaume : le [Maroc et le Kazakhstan] ont signé."


# -- the real CLI over a real store and index ----------------------------------------------

@pytest.fixture(scope="module")
def cli_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli")
    with Store(data) as store:
        for doc in DOCS:
            url = f"https://{doc['source']}.example/{doc['id']}"
            store.upsert_article({**doc, "url": url, "canonical_url": url, "fetched_at": "2025-06-01T00:00:00Z",
                                  "relevant": True, "topics": [], "matched_terms": {}}, [url])
    assert run_newsmon("reindex", "--data", str(data)).code == 0
    return data


def test_cli_prefix_search_finds_and_marks_the_words(cli_data: Path) -> None:
    out = run_newsmon("search", "Kazak* -lang:it", "--data", str(cli_data), "--json")
    assert out.code == 0, out.stderr
    hits = json.loads(out.stdout)
    assert [h["url"] for h in hits] == ["https://atlas-fr.example/fr1"]
    assert hits[0]["snippet"] == "Les délégations marocaines et «kazakhes» ont signé à Rabat un accord sur le blé."


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("maroc or kazakhstan", "newsmon: error: query: column 7, near 'or kazakhstan': lower-case 'or' is not "
                                "an operator: write OR for the operator, or \"or\" to search the word\n"),
        ("date:2025 Maroc", "newsmon: error: query: column 1, near 'date:2025 Maroc': unknown field 'date' "
                            "(fields: title, text, source, lang, url); use --since/--until for dates; a word with "
                            "\":\" in it must be quoted\n"),
        ("K*", "newsmon: error: query: column 1, near 'K*': 'K*': a * needs one word of at least 3 letters "
               "before it\n"),
    ],
)
def test_cli_refuses_a_query_mistake_in_one_line(cli_data: Path, query: str, message: str) -> None:
    out = run_newsmon("search", query, "--data", str(cli_data))
    assert (out.code, out.stdout, out.stderr) == (2, "", message)
