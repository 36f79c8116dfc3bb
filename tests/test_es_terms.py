"""The Elasticsearch document's term fields come from the embedded index's analysis
(``analysis.analyze_twice``): the same terms as the near-twin they replace, on many texts."""

from __future__ import annotations

import random

import pytest

from newsmon.es.mapping import _terms, article_document
from pipelines import analysis


def previous_terms(text: str, lang: str | None) -> tuple[list[str], list[str] | None]:
    """newsmon.es.mapping._terms before it called analyze_twice (main d3c4be2)."""
    neutral = [analysis.normalize(w) for w, _, _ in analysis.words(text)]
    if lang not in analysis.LANGUAGES:
        return neutral, None
    stem = analysis.stemmer(lang)
    return neutral, [stem(t) for t in neutral]


PIECES = [
    "Le Maroc et le Kazakhstan ont signé l'accord sur le blé à Rabat, aujourd'hui.",
    "L'Ouzbékistan n'était pas là ; qu'en pense-t-on à Nur-Sultan ?",
    "Il ministro dell'Agricoltura ha incontrato l'ambasciatore kazako nell'ambito dell'accordo.",
    "Morocco's wheat deal with Kazakhstan doesn't cover phosphates; they'll talk again.",
    "Marruecos y Kazajistán firmaron el acuerdo de fertilizantes fosfatados en Rabat.",
    "Казахстан и Марокко подписали соглашение о поставках пшеницы; Ёлка, ещё, объём.",
    "Қазақстан мен Марокко арасындағы келісімге қол қойылды, Астанада кездесу өтті.",
    "وقّع المغرب وكازاخستان اتفاقية لتوريد القمح بالمغرب وللمملكة، والأسمدة الفوسفاتية.",
    "أإآٱ ى ة ـــ العربيـــة ١٢٣٤ ٥٦٧ ۸۹",
    "St. Petersburg 12:30 2025-03-21 N°5 ½ Ⅻ ﬁnance ＡＢＣ",
    "x" * 80 + " " + "Қазақстанның" * 6 + " " + "é" * 40,
    "don't l' 'tis rock'n'roll O'Neill dell' ' '' quell'anno un'altra",
    "", "   ", "\n\t", "—", "a", "’s l’État dell’Italia",
]

LANGS = [None, "", "fr", "en", "it", "es", "ru", "kk", "ar", "de", "xx", "FR", "fr-FR", "en_GB"]


def texts() -> list[str]:
    rng = random.Random(16)
    words = " ".join(PIECES).split()
    out = list(PIECES)
    for _ in range(300):
        out.append(rng.choice([" ", "\n", ", ", "'", "’"]).join(rng.choice(words) for _ in range(rng.randint(1, 40))))
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_es_terms_are_the_previous_ones_on_many_texts(lang: str | None) -> None:
    for text in texts():
        assert _terms(text, lang) == previous_terms(text, lang), (text, lang)


def test_es_document_terms_agree_with_the_embedded_index_analysis() -> None:
    text = PIECES[0] + " " + PIECES[1]
    doc = article_document({"id": "a", "url": "https://example.ma/a", "title": "Accord", "text": text, "lang": "fr"})
    assert doc["terms"]["text_fr"].split() == analysis.analyze(text, "fr")
    assert doc["terms"]["text_any"].split() == analysis.analyze(text, None)
