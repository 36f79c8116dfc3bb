"""Per-source overrides: each kind fixes a sample page the generic path gets wrong.

The quirky pages (newsmon/sample_site/quirks.py) each defeat the generic extractors in one way:
the headline is not in the <h1>, the first date on the page is stale, the body is outside the
theme's content block. Each is read with and without its override; one real crawl shows the
overrides travel from sources.yaml through the spider to the stored article.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler.sources import Source
from pipelines.items import Article
from pipelines.dates import DatesStage
from pipelines.dates.override import parse_override_date
from pipelines.overrides import apply_overrides, compile_selector
from newsmon.sample_site.quirks import QUIRKS, TIMEZONE, render_page
from pipelines.extract import extract, parse
from tests.conftest import Served, run_newsmon, write_sources

FETCHED = datetime(2025, 7, 1, 8, 0, tzinfo=timezone.utc)
URL = "http://127.0.0.1:8765"


def page(kind: str) -> tuple[str, str]:
    q = QUIRKS[kind]
    return render_page(q).decode("utf-8"), URL + q.path


def dated(kind: str, overrides: dict | None) -> Article:
    html, url = page(kind)
    item = Article(url=url, html=html, source_language="en", source_timezone=TIMEZONE, fetched_at=FETCHED,
                   overrides=overrides, max_age_days=None)
    return DatesStage().process_item(item)


def test_title_override_finds_the_headline_the_generic_path_misses():
    html, url = page("title")
    q = QUIRKS["title"]
    assert extract(html, url).title == "Quirk Courier"  # generic: the site name in the only <h1>
    fixed = extract(html, url, q.overrides)
    assert fixed.title == q.title and fixed.overridden == ("title",)
    assert fixed.text == q.text  # the body is untouched by a title override


def test_date_override_beats_a_stale_meta_date():
    q = QUIRKS["date"]
    assert dated("date", None)["published_at"] == "2019-05-02"  # generic: the theme's launch date
    item = dated("date", q.overrides)
    assert item["published_utc"] == q.published.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert datetime.fromisoformat(item["published_at"]) == q.published
    assert item["date_source"] == "override"


def test_date_override_applies_the_age_window_to_its_own_date():
    from pipelines.items import Dropped

    html, url = page("date")
    item = Article(url=url, html=html, source_language="en", source_timezone=TIMEZONE, fetched_at=FETCHED,
                   overrides=None, max_age_days=60)
    with pytest.raises(Dropped, match="too_old|too old"):
        DatesStage().process_item(item)  # without the override: 2019, dropped
    kept = DatesStage().process_item(Article(item, overrides=QUIRKS["date"].overrides))
    assert kept["published_at"].startswith("2025-06-12")


def test_body_override_reads_the_story_not_the_about_blurb():
    html, url = page("body")
    q = QUIRKS["body"]
    generic = extract(html, url)
    assert "independent desk" in generic.text and "zellige" not in generic.text.lower()
    fixed = extract(html, url, q.overrides)
    assert fixed.text == q.text and fixed.overridden == ("body",)


def test_an_override_that_matches_nothing_falls_back_to_the_generic_path():
    html, url = page("title")
    result = extract(html, url, {"title": "h2.nowhere", "body": "//section[@id='none']"})
    assert result.title == "Quirk Courier" and result.text == QUIRKS["title"].text
    assert result.override_missed == ("title", "body") and result.overridden == ()
    missed = dated("date", {"date": ".no-such-stamp"})
    assert missed["published_at"] == "2019-05-02" and missed["date_source"] == "meta"


def test_selectors_css_and_xpath_and_date_formats():
    tree = parse(page("date")[0])
    assert apply_overrides(tree, {"title": "//article/h1"}).title == QUIRKS["date"].title
    assert apply_overrides(tree, {"title": "(//h1)[1]/text()"}).title == QUIRKS["date"].title
    with pytest.raises(ValueError, match="invalid CSS"):
        compile_selector("div[")
    with pytest.raises(ValueError, match="invalid XPath"):
        compile_selector("//div[")
    got = parse_override_date("12.06.2025 · 09h40", "%d.%m.%Y · %Hh%M", "en", "Asia/Almaty", FETCHED)
    assert got is not None and got.iso() == "2025-06-12T04:40:00Z"  # read in the source's zone (UTC+5)
    assert parse_override_date("12.06.2025", "%d.%m.%Y", "en", "UTC", FETCHED).iso() == "2025-06-12"
    # the format does not fit: the multilingual parser still reads it
    assert parse_override_date("12 June 2025", "%d.%m.%Y", "en", "UTC", FETCHED).iso() == "2025-06-12"


def test_overrides_are_validated_with_the_source():
    with pytest.raises(ValueError, match="invalid CSS selector"):
        Source(name="x", language="en", feeds=["https://x.example/feed"], overrides={"body": "div.copy["})
    with pytest.raises(ValueError, match="date_format needs a date selector"):
        Source(name="x", language="en", feeds=["https://x.example/feed"], overrides={"date_format": "%d.%m.%Y"})
    with pytest.raises(ValueError, match="invalid date_format"):
        Source(name="x", language="en", feeds=["https://x.example/feed"], overrides={"date": "p", "date_format": "%Q"})


def test_crawl_applies_each_sources_overrides(sample_site: Served, tmp_path: Path):
    sources = [{"name": f"quirk-{kind}", "language": "en", "timezone": TIMEZONE, "delay": 0,
                "feeds": [f"{sample_site.url}/quirks/{kind}/feed/"], "overrides": q.overrides}
               for kind, q in QUIRKS.items()]
    path = write_sources(tmp_path / "s.yaml", sources)
    out = run_newsmon("crawl", "--sources", str(path), "--data", str(tmp_path / "d"), "--max-age", "365000", "--json")
    assert out.code == 0, out.stderr
    stored = {a["source"]: a for a in map(json.loads, run_newsmon("export", "--data", str(tmp_path / "d")).stdout.splitlines())}
    assert set(stored) == {f"quirk-{kind}" for kind in QUIRKS}
    for kind, q in QUIRKS.items():
        got = stored[f"quirk-{kind}"]
        assert got["title"] == q.title and got["text"] == q.text, kind
        assert got["published_utc"] == q.published.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), kind
        assert datetime.fromisoformat(got["published_at"]) == q.published, kind  # the same instant, local offset
    assert stored["quirk-date"]["date_source"] == "override"
