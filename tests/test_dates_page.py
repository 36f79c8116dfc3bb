"""page_dates on pages built around one trap each, the DatesStage stage, and parse-date CLI."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsmon.cli import main
from newsmon.sample_site import catalog, render
from pipelines.html import decode_html
from pipelines.dates import DatesStage
from pipelines.dates.page import page_dates

PAGES = Path(__file__).parent / "fixtures" / "dates" / "pages"
FETCHED = datetime(2025, 3, 21, 10, 0, tzinfo=timezone.utc)

# page, url, lang, tz, hint, expected published, expected source, expected modified
TRAPS = [
    ("today_widget.html", "https://detroit.example/vol-direct", "fr", "Europe/Paris", None,
     "2025-03-03T09:15:00Z", "byline", None),
    ("body_dates.html", "https://detroit.example/salon", "fr", "Africa/Casablanca", None,
     "2025-03-10", "byline", None),
    ("comments.html", "https://vesti.example/rabat", "ru", "Europe/Moscow", None,
     "2025-03-20T11:30:00Z", "byline", None),
    ("related.html", "https://steppe.example/wheat", "en", "Asia/Almaty", None,
     "2025-03-18T06:20:00Z", "time", None),
    ("relative_jsonld.html", "https://atlas.example/energy", "ar", "Africa/Casablanca", None,
     "2025-02-20T09:00:00Z", "jsonld", "2025-02-21T07:30:00Z"),
    ("url_only.html", "https://mundo.example/2025/03/05/ruta-comercial/", "es", "Europe/Madrid", None,
     "2025-03-05", "url", None),
    ("almaty_date_only.html", "https://steppe.example/kelisim", "kk", "Asia/Almaty", None,
     "2025-03-05", "jsonld", None),
    ("implausible.html", "https://nova.example/accordo", "it", "Europe/Rome", None,
     "2025-03-14T08:15:00Z", "byline", None),
    ("meta_modified.html", "https://detroit.example/visite", "fr", "Europe/Paris", None,
     "2025-03-17T08:05:00Z", "meta", "2025-03-18T12:40:00Z"),
    ("feed_hint_only.html", "https://steppe.example/briefing", "en", "Asia/Almaty",
     "Thu, 20 Mar 2025 03:00:00 GMT", "2025-03-20T03:00:00Z", "feed", None),
    ("jsonld_date_time_in_byline.html", "https://atlas.example/ziyara", "ar", "Africa/Casablanca", None,
     "2025-03-12T21:40:00Z", "byline", None),
    ("no_date.html", "https://steppe.example/about", "en", "UTC", None, None, None, None),
]


@pytest.mark.parametrize("page,url,lang,tz,hint,published,source,modified", TRAPS, ids=[t[0] for t in TRAPS])
def test_page_traps(page, url, lang, tz, hint, published, source, modified):
    html = (PAGES / page).read_text(encoding="utf-8")
    dates = page_dates(html, url, lang, tz, FETCHED, hint=hint)
    assert (dates.published.iso() if dates.published else None) == published
    assert dates.source == source
    assert (dates.modified.iso() if dates.modified else None) == modified


def test_a_page_fetched_before_its_date_falls_back_rather_than_trusting_the_future():
    html = (PAGES / "meta_modified.html").read_text(encoding="utf-8")
    early = datetime(2025, 3, 1, tzinfo=timezone.utc)
    dates = page_dates(html, "https://detroit.example/visite", "fr", "Europe/Paris", early)
    assert dates.published is None and dates.source is None


def test_garbage_html_yields_no_date_not_an_error():
    dates = page_dates("", "https://x.example/2025/03/05/a", "en", "UTC", FETCHED)
    assert dates.published.iso() == "2025-03-05" and dates.source == "url"
    assert page_dates("\x00\x01", "https://x.example/a", "en", "UTC", FETCHED).published is None


class _Stats:
    def __init__(self):
        self.values: dict[str, int] = {}

    def inc_value(self, key, count=1, start=0):
        self.values[key] = self.values.get(key, start) + count


def _item(page: str, url: str, **extra) -> dict:
    return {"html": (PAGES / page).read_text(encoding="utf-8"), "url": url, "fetched_at": FETCHED, **extra}


def test_pipeline_fills_fields_and_counts_sources():
    stats = _Stats()
    stage = DatesStage(stats=stats)
    dated = stage.process_item(_item("relative_jsonld.html", "https://atlas.example/e", source_language="ar",
                                     source_locale="ar-MA", source_timezone="Africa/Casablanca"))
    undated = stage.process_item(_item("no_date.html", "https://steppe.example/about", source_language="en"))
    assert (dated["published_utc"], dated["modified_at"], dated["date_source"]) == (
        "2025-02-20T09:00:00Z", "2025-02-21T07:30:00Z", "jsonld")
    assert dated["published_at"] == "2025-02-20T10:00:00+01:00"  # as the page wrote it
    # the fetch time is never passed off as the publication date
    assert (undated["published_at"], undated["date_source"]) == (None, None)
    assert stats.values == {"newsmon/dates/source/jsonld": 1, "newsmon/dates/missing": 1}


def test_pipeline_without_crawler_uses_feed_hint_and_default_zone():
    item = DatesStage().process_item(
        _item("feed_hint_only.html", "https://steppe.example/b", feed_date="2025-03-20T08:00:00"))
    assert (item["published_at"], item["date_source"]) == ("2025-03-20T08:00:00Z", "feed")


def test_pipeline_unknown_timezone_is_counted_and_read_as_utc():
    stats = _Stats()
    item = DatesStage(stats).process_item(
        _item("today_widget.html", "https://d.example/v", source_language="fr", source_timezone="Europe/Atlantis"))
    assert item["published_at"] == "2025-03-03T10:15:00Z"
    assert stats.values["newsmon/dates/bad_timezone"] == 1


def test_cli_single_text():
    result = CliRunner().invoke(main, ["parse-date", "Publié le 21 févr. 2025 à 14h30", "--lang", "fr",
                                       "--tz", "Europe/Paris"])
    assert result.exit_code == 0 and result.output == "2025-02-21T13:30:00Z\n"


def test_cli_date_only_and_no_date():
    runner = CliRunner()
    assert runner.invoke(main, ["parse-date", "2025 жылғы 20 наурыз", "--lang", "kk", "--tz", "Asia/Almaty"]).output \
        == "2025-03-20\n"
    miss = runner.invoke(main, ["parse-date", "Редакция", "--lang", "ru"])
    assert miss.exit_code == 1 and miss.stdout == "" and miss.stderr == "newsmon: error: no date found in 'Редакция'\n"


def test_cli_stdin_prints_one_line_per_input_line():
    stdin = "منذ ساعتين\n\nلا تاريخ هنا\n12 غشت 2024 - 10:15\n"
    result = CliRunner().invoke(main, ["parse-date", "-", "--lang", "ar", "--tz", "Africa/Casablanca",
                                       "--base", "2025-03-21T10:00:00Z"], input=stdin)
    assert result.exit_code == 0
    assert result.stdout.split("\n") == ["2025-03-21T08:00:00Z", "", "", "2024-08-12T09:15:00Z", ""]
    assert result.stderr == "newsmon: 1 of 4 lines hold no date (their output lines are empty)\n"


def test_cli_rejects_bad_zone_and_base():
    runner = CliRunner()
    assert runner.invoke(main, ["parse-date", "hier", "--tz", "Nowhere/Zone"]).exit_code == 2
    assert runner.invoke(main, ["parse-date", "hier", "--base", "yesterday"]).exit_code == 2


# --- the sample news site ---------------------------------------------------------------------
@pytest.mark.parametrize("days_after", [0.05, 2, 40])
def test_sample_site_articles_get_their_published_at(days_after):
    wrong = []
    for article in catalog.load_articles():
        outlet = catalog.OUTLETS[article.outlet]
        now = article.published + timedelta(days=days_after)
        body, ctype = render.render_article(article.slug, now)
        dates = page_dates(decode_html(body, ctype), "http://127.0.0.1:8000" + article.path, article.lang,
                           str(outlet.tz), now, locale=outlet.locale)
        got = dates.published.iso() if dates.published else None
        if got != article.expected()["published_at"]:
            wrong.append((article.slug, got, article.expected()["published_at"], dates.source))
    assert wrong == []


def test_pipeline_reads_bylines_in_the_pages_own_language():
    """A source declared Russian publishes an Arabic page: the byline is read as Arabic."""
    from datetime import datetime, timezone

    from pipelines.items import Article

    html = ("<html><body><article><h1>عنوان</h1><div class='byline'>نشر في: 12 مارس 2025 - 09:30</div>"
            "<p>نص المقال.</p></article></body></html>")
    base = dict(html=html, url="https://steppe.example/ar/1", source_language="ru", source_locale="ru-KZ",
                source_timezone="UTC", fetched_at=datetime(2025, 3, 13, tzinfo=timezone.utc))
    assert DatesStage().process_item(Article(base, lang="ar"))["published_at"] == "2025-03-12T09:30:00Z"


def test_pipeline_falls_back_to_the_source_language_when_the_page_language_has_no_lexicon():
    from datetime import datetime, timezone

    from pipelines.items import Article

    html = ("<html><body><article><h1>Заголовок</h1><p class='byline'>Опубликовано: 5 марта 2025 г., 14:30</p>"
            "<p>Текст статьи.</p></article></body></html>")
    item = Article(html=html, url="https://steppe.example/ru/2", lang="uk", source_language="ru",
                   source_timezone="Asia/Almaty", fetched_at=datetime(2025, 3, 6, tzinfo=timezone.utc))
    dated = DatesStage().process_item(item)
    assert (dated["published_at"], dated["published_utc"]) == ("2025-03-05T14:30:00+05:00", "2025-03-05T09:30:00Z")


@pytest.mark.parametrize("times", [
    '<time itemprop="prepTime" datetime="PT20M">20 min</time>',
    '<time itemprop="cookTime" datetime="">35 min</time>',
    '<time datetime="PT1H10M">1 h 10 min</time>',
    '<time datetime="1h 30m">1 h 30</time>',
    '<span class="meta">Durée <time datetime="P2D">2 jours</time></span>',
])
def test_a_length_of_time_is_not_a_publication_date(times):
    """A recipe's preparation time or a trek's length sits in <time> too: "20 min" is not twenty
    minutes before the fetch. Without another date the page stays undated; with one, that one wins."""
    body = f"<h1>Tajine aux pruneaux</h1>{times}<p>Faire revenir la viande, ajouter les épices.</p>"
    undated = page_dates(f"<html><body><article>{body}</article></body></html>",
                         "https://cuisine.example/tajine", "fr", "Europe/Paris", FETCHED)
    assert dated_as(undated) == (None, None)
    with_byline = (f"<html><body><article>{body}<p class='byline'>Publié le 12 mars 2025 à 09:30</p>"
                   "</article></body></html>")
    dated = page_dates(with_byline, "https://cuisine.example/tajine", "fr", "Europe/Paris", FETCHED)
    assert dated_as(dated) == ("2025-03-12T08:30:00Z", "byline")


def test_a_time_element_with_a_date_still_dates_the_page_beside_a_duration():
    html = ('<html><body><article><h1>Recette</h1><time itemprop="totalTime" datetime="PT45M">45 min</time>'
            '<time datetime="2025-03-10T07:00:00Z">10 mars</time><p>Texte.</p></article></body></html>')
    dated = page_dates(html, "https://cuisine.example/r", "fr", "Europe/Paris", FETCHED)
    assert dated_as(dated) == ("2025-03-10T07:00:00Z", "time")


def dated_as(dates):
    return (dates.published.iso() if dates.published else None), dates.source
