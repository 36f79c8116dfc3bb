"""JSON-LD as pages ship it: broken wrappers, raw newlines, hostile nesting — read the same way
by the extract and dates stages."""

from __future__ import annotations

from lxml.html import document_fromstring

from pipelines import jsonld
from pipelines.dates.page import page_dates
from pipelines.extract import extract


def page(block: str, typ: str = "application/ld+json") -> str:
    body = "".join(f"<p>Paragraphe {i} sur le Maroc et le Kazakhstan, assez long pour compter comme texte.</p>"
                   for i in range(6))
    return (f'<html lang="fr"><head><title>Accord - Site</title><script type="{typ}">{block}</script></head>'
            f"<body><article><h1>Accord</h1>{body}</article></body></html>")


ARTICLE = '{"@type": "NewsArticle", "headline": "Accord\nsigné", "datePublished": "2025-03-05T10:00:00+01:00"}'


def test_wrappers_and_raw_newlines_are_read_by_both_stages() -> None:
    from datetime import datetime, timezone

    for wrapped in (ARTICLE, f"<!--{ARTICLE}-->", f"<![CDATA[{ARTICLE}]]>"):
        html = page(wrapped, "application/ld+json; charset=utf-8")
        objs = jsonld.objects(document_fromstring(html))
        assert [o["@type"] for o in objs] == ["NewsArticle"], wrapped
        assert extract(html, "https://atlas.example/a").page_kind == "article"
        dates = page_dates(html, "https://atlas.example/a", "fr", "UTC", datetime(2025, 3, 6, tzinfo=timezone.utc))
        assert (dates.published.iso(), dates.source) == ("2025-03-05T09:00:00Z", "jsonld")


def test_hostile_nesting_neither_crashes_nor_recurses() -> None:
    deep = "[" * 5000 + "]" * 5000
    assert jsonld.objects(document_fromstring(page(deep))) == []
    nested = "{\"@graph\": " * 900 + "{}" + "}" * 900
    objs = jsonld.objects(document_fromstring(page(nested)))
    assert 0 < len(objs) <= jsonld.MAX_DEPTH + 1


def test_graph_and_types() -> None:
    block = '{"@graph": [{"@type": "WebPage"}, {"@type": ["NewsArticle", "Thing"], "headline": "X"}]}'
    objs = jsonld.objects(document_fromstring(page(block)))
    assert [jsonld.is_article(o) for o in objs] == [False, False, True]


def test_script_comment_cdata_wrappers() -> None:
    for wrapped in (f"//<![CDATA[\n{ARTICLE}\n//]]>", f"/*<![CDATA[*/{ARTICLE}/*]]>*/"):
        objs = jsonld.objects(document_fromstring(page(wrapped)))
        assert [o["@type"] for o in objs] == ["NewsArticle"], wrapped
