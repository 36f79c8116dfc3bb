"""Dedupe: one article, one row — without letting a page's canonical claim overwrite others."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.itempipelines import DedupePipeline
from newsmon.store import Store
from pipelines.dedupe import article_id, content_hash
from pipelines.extract import canonical_url
from pipelines.html import parse
from pipelines.items import Article

URL = "https://atlas.example/2025/03/05/maroc-kazakhstan/"


@pytest.mark.parametrize(
    ("canonical", "expected"),
    [
        (None, URL),
        ("https://atlas.example/2025/03/05/maroc-kazakhstan/?amp", "https://atlas.example/2025/03/05/maroc-kazakhstan/?amp="),
        ("https://www.atlas.example/2025/03/05/maroc-kazakhstan/", "https://www.atlas.example/2025/03/05/maroc-kazakhstan/"),
        ("https://atlas.example/news/123-maroc-kazakhstan.html", "https://atlas.example/news/123-maroc-kazakhstan.html"),
        ("https://other.example/2025/03/05/maroc-kazakhstan/", URL),  # another host: refused
        ("https://atlas.example/", URL),                               # the home page: refused
        ("https://atlas.example/2025/03/", URL),                       # a section above the page: refused
    ],
)
def test_a_canonical_claim_is_believed_only_on_its_own_host_and_below_its_section(
        canonical: str | None, expected: str) -> None:
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    assert canonical_url(parse(f"<html><head>{head}</head><body><p>x</p></body></html>"), URL) == expected


def item(url: str, text: str, canonical: str | None = None) -> Article:
    return Article(url=url, canonical_url=canonical or url, title="Titre", text=text, source="s")


def test_same_canonical_twice_in_a_run_is_dropped(tmp_path: Path) -> None:
    stage = DedupePipeline(Store(tmp_path), MemoryStatsCollector(get_crawler()))
    first = stage.process_item(item(URL, "Le Maroc et le Kazakhstan."))
    assert first["id"] == article_id(URL)
    with pytest.raises(DropItem, match="duplicate in run"):
        stage.process_item(item(URL + "?utm_source=rss", "Le Maroc et le Kazakhstan.", canonical=URL))


def test_republished_text_is_dropped(tmp_path: Path) -> None:
    stage = DedupePipeline(Store(tmp_path), MemoryStatsCollector(get_crawler()))
    stage.process_item(item(URL, "Texte de l'agence sur le blé kazakh."))
    with pytest.raises(DropItem, match="duplicate content"):
        stage.process_item(item("https://partner.example/blé", "Texte de l'agence  sur le blé kazakh !"))
    other = stage.process_item(item("https://atlas.example/2025/03/06/autre/", "Un autre article."))
    assert other["id"] == article_id("https://atlas.example/2025/03/06/autre/")


def test_content_hash_ignores_spacing_case_and_punctuation() -> None:
    assert content_hash("Titre", "Le  Maroc, et le\nKazakhstan.") == content_hash("titre", "le maroc et le kazakhstan")
    assert content_hash("Titre", "Le Maroc") != content_hash("Titre", "Le Kazakhstan")


def test_content_hash_of_stored_articles_stays_the_same() -> None:
    # hashes are stored and compared with later crawls' (a republished text is found by its
    # hash): this one was taken by the first release of content_hash, on text with Unicode
    # spaces, typographic punctuation, Arabic and full-width forms and a control character
    text = "  «L'accord» — signé\u00a0le 3\u2003mai…\n\n\tالمغرب، وكازاخستان؟ ｢全角｣ \x1cfin.  "
    assert content_hash("Le Maroc, et le Kazakhstan !", text) == "464460f1d6cd662a7d22bb8f3b1de3ca"


def test_content_hash_words_equal_the_two_pass_reference_on_every_code_point() -> None:
    """The words hashed are those of the first release's two passes (punctuation runs to one
    space, then str.split), for every code point after NFKC and casefold, and on mixed text."""
    import random
    import re
    import unicodedata

    from pipelines.dedupe import _WORD

    punct = re.compile(r"[^\w\s]+")
    for start in range(0, 0x110000, 4096):
        chars = [chr(cp) for cp in range(start, min(start + 4096, 0x110000))]
        for text in (" ".join(chars), "a".join(chars), "".join(chars)):
            flat = unicodedata.normalize("NFKC", text).casefold()
            assert " ".join(_WORD.findall(flat)) == " ".join(punct.sub(" ", flat).split()), f"U+{start:04X}"
    rnd = random.Random(5)
    alphabet = "a é_1٣\u00a0\u2003\x1c\t\n—«»!?.,'’،؟ـｆ全"
    for _ in range(2000):
        flat = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40)))
        assert " ".join(_WORD.findall(flat)) == " ".join(punct.sub(" ", flat).split()), repr(flat)
