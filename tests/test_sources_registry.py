"""The shipped registry loads, says what a user needs per desk, and bad entries point at their line."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from newsmon.cli import main
from newsmon.config import DEFAULT_SOURCES_FILE, SourcesFile, load_sources
from newsmon.yamlconf import load_model

# Desks the issue names; each must be in the shipped file.
EXPECTED_DESKS = {
    "map-ar", "map-fr", "hespress-ar", "hespress-fr", "hespress-en", "le360-fr", "medias24-fr", "lematin-fr",
    "leconomiste-fr", "moroccoworldnews-en", "yabiladi-fr", "barlamane-ar", "h24info-fr", "snrtnews-ar",
    "marocdiplomatique-fr", "kazinform-ru", "kazinform-kk", "kazinform-en", "kazinform-ar", "astanatimes-en",
    "tengrinews-ru", "zakon-ru", "kapital-ru", "elkz-kk", "anadolu-ar", "anadolu-fr", "anadolu-ru",
    "agenzianova-it", "africanews-en", "jeuneafrique-fr", "tass-ru", "sputnik-ar", "rt-ar", "xinhua-ar",
    "google-news-fr-ma", "google-news-ar-ma", "google-news-ru-kz", "bing-news-fr",
}
MOROCCAN = ("map-", "hespress-", "le360-", "medias24-", "lematin-", "leconomiste-", "moroccoworldnews-",
            "yabiladi-", "barlamane-", "h24info-", "snrtnews-", "marocdiplomatique-")
KAZAKH = ("kazinform-", "astanatimes-", "tengrinews-", "zakon-", "kapital-", "elkz-")


@pytest.fixture(scope="module")
def registry():
    return load_model(DEFAULT_SOURCES_FILE, SourcesFile).sources


def test_shipped_registry_loads_with_every_named_desk(registry):
    names = {s.name for s in registry}
    assert EXPECTED_DESKS <= names, sorted(EXPECTED_DESKS - names)
    assert {s.language for s in registry} >= {"ar", "fr", "it", "en", "ru", "kk", "es"}
    assert len(load_sources()) == sum(s.enabled for s in registry)


def test_every_desk_has_an_entry_point_and_states_it_is_unverified(registry):
    for source in registry:
        assert source.feeds or source.sitemaps or source.search or source.sections, source.name
        assert source.language in source.name.split("-"), f"{source.name}: name should carry its language"
        # A date in `verified` is a claim that the URLs answered; notes must agree with it.
        assert (source.verified is None) == ("unverified" in source.notes.lower()), source.name
        assert source.schedule and source.schedule.startswith("every "), source.name
        assert source.delay and source.delay >= 1, source.name
        assert source.max_age_days, source.name


def test_regional_locales_and_timezones(registry):
    by_name = {s.name: s for s in registry}
    for source in registry:
        if source.name.startswith(MOROCCAN):
            assert source.timezone == "Africa/Casablanca", source.name
            if source.language == "ar":
                assert source.effective_locale == "ar-MA", source.name
        if source.name.startswith(KAZAKH):
            assert source.timezone == "Asia/Almaty", source.name
            # Kazakhstan moved to a single UTC+5 zone in March 2024; a stale tzdata would say +6.
            assert datetime(2026, 11, 1, tzinfo=ZoneInfo(source.timezone)).utcoffset().total_seconds() == 5 * 3600
    assert by_name["kazinform-kk"].effective_locale == "kk-KZ"
    assert by_name["agenzianova-it"].timezone == "Europe/Rome"
    assert by_name["tass-ru"].timezone == "Europe/Moscow"
    assert by_name["xinhua-ar"].timezone == "Asia/Shanghai"


def test_news_search_templates_are_per_language_and_region(registry):
    by_name = {s.name: s for s in registry}
    google = by_name["google-news-fr-ma"].search[0]
    assert google.startswith("https://news.google.com/rss/search?q={query}")
    assert "hl=fr" in google and "gl=MA" in google and "ceid=MA:fr" in google
    assert "ceid=KZ:ru" in by_name["google-news-ru-kz"].search[0]
    bing = by_name["bing-news-fr"].search[0]
    assert bing.startswith("https://www.bing.com/news/search?q={query}") and "format=rss" in bing


def test_list_prints_the_registry():
    result = CliRunner().invoke(main, ["sources", "list"])
    assert result.exit_code == 0, result.output
    assert "hespress-ar" in result.output and "Africa/Casablanca" in result.output and "ar-MA" in result.output
    assert "unverified" in result.output
    listed = json.loads(CliRunner().invoke(main, ["sources", "list", "--json"]).output)
    assert {s["name"] for s in listed} >= EXPECTED_DESKS


GOOD = """\
sources:
  - name: first-fr
    language: fr
    feeds: [https://first.example/feed/]
  - name: second-ar
    language: ar
    timezone: Africa/Casablanca
    feeds: [https://second.example/feed/]
"""


def _list(tmp_path: Path, text: str) -> tuple[int, str, str]:
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    result = CliRunner().invoke(main, ["sources", "list", "--sources", str(path)])
    return result.exit_code, result.output, str(path)


@pytest.mark.parametrize(
    ("old", "new", "line", "words"),
    [
        ("    timezone: Africa/Casablanca", "    timezone: Africa/Casablance", 7, ["second-ar", "timezone", "unknown timezone"]),
        ("    timezone: Africa/Casablanca", "    timezon: Africa/Casablanca", 7, ["second-ar", "timezon", "misspelt"]),
        ("[https://second.example/feed/]", "[htps://second.example/feed/]", 8, ["second-ar", "feeds", "not an http(s) URL"]),
        ("    language: ar", "    language: xx", 6, ["second-ar", "language", "unknown language"]),
        ("[https://first.example/feed/]", "[first.example/feed]", 4, ["first-fr", "feeds", "not an http(s) URL"]),
    ],
)
def test_validation_errors_name_the_source_and_line(tmp_path, old, new, line, words):
    assert old in GOOD
    code, output, path = _list(tmp_path, GOOD.replace(old, new))
    assert code == 2
    assert output.count("\n") == 1, output  # one line
    assert f"{path}:{line}:" in output
    for word in words:
        assert word in output


def test_good_file_lists(tmp_path):
    code, output, _ = _list(tmp_path, GOOD)
    assert code == 0 and "first-fr" in output and "second-ar" in output and "2 sources" in output


def test_bad_yaml_names_its_line(tmp_path):
    code, output, path = _list(tmp_path, GOOD.replace("  - name: second-ar", "  - name: [second-ar"))
    assert code == 2 and f"{path}:" in output and "invalid YAML" in output


def test_duplicate_name_is_an_error(tmp_path):
    code, output, path = _list(tmp_path, GOOD.replace("second-ar", "first-fr"))
    assert code == 2 and "duplicate" in output and "first-fr" in output


def test_duplicate_name_points_at_the_second_entry(tmp_path):
    _, output, path = _list(tmp_path, GOOD.replace("second-ar", "first-fr"))
    assert f"{path}:5:" in output
