"""sources.yaml validation: every mistake is one line naming the file, the line and the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.config import load_sources
from newsmon.yamlconf import ConfigError

GOOD = """\
sources:
  - name: alpha-fr
    language: fr
    timezone: Africa/Casablanca
    feeds: [https://alpha.example/feed/]
  - name: beta-en
    language: en
    search: ["https://beta.example/?s={query}"]
    overrides:
      title: h1.headline
      date: .byline time
      date_format: "%d/%m/%Y %H:%M"
      body: //div[@class='story']/p
  - name: gamma-ru
    language: ru
    homepage: https://gamma.example/
    robots_sitemaps: true
  - name: news-search-fr
    language: fr
    aggregator: true
    search: ["https://news.google.com/rss/search?q={query}&hl=fr&gl=MA&ceid=MA:fr"]
"""


def load(tmp_path: Path, text: str) -> tuple[str, str]:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    return str(err.value), str(path)


def test_good_file_loads_every_key(tmp_path: Path):
    path = tmp_path / "sources.yaml"
    path.write_text(GOOD, encoding="utf-8")
    by_name = {s.name: s for s in load_sources(path)}
    assert by_name["beta-en"].overrides.date_format == "%d/%m/%Y %H:%M"
    assert by_name["gamma-ru"].robots_url == "https://gamma.example/robots.txt"
    assert by_name["news-search-fr"].aggregator and not by_name["alpha-fr"].aggregator


@pytest.mark.parametrize(
    ("old", "new", "line", "source", "words"),
    [
        ("    language: en", "    language: english", 7, "beta-en", ["language", "unknown language 'english'"]),
        ("    timezone: Africa/Casablanca", "    timezone: Africa/Casablanka", 4, "alpha-fr", ["timezone", "unknown timezone"]),
        ("[https://alpha.example/feed/]", "[alpha.example/feed/]", 5, "alpha-fr", ["feeds[0]", "not an http(s) URL"]),
        ("    homepage: https://gamma.example/", "    homepage: ftp://gamma.example/", 16, "gamma-ru", ["homepage", "http(s)"]),
        ('["https://beta.example/?s={query}"]', '["https://beta.example/?s=morocco"]', 8, "beta-en", ["search", "{query}"]),
        ("    feeds: [https://alpha.example/feed/]", "    feed: [https://alpha.example/feed/]", 5, "alpha-fr", ["feed", "misspelt"]),
        ("      title: h1.headline", "      titel: h1.headline", 10, "beta-en", ["overrides.titel", "misspelt"]),
        ("      title: h1.headline", "      title: h1[headline", 10, "beta-en", ["overrides.title", "invalid CSS selector"]),
        ("      body: //div[@class='story']/p", "      body: //div[@class='story'/p", 13, "beta-en", ["overrides.body", "invalid XPath"]),
        ('      date_format: "%d/%m/%Y %H:%M"', '      date_format: "dd/mm/yyyy"', 12, "beta-en", ["date_format", "directive"]),
        ("    aggregator: true", "    aggregator: maybe", 20, "news-search-fr", ["aggregator", "boolean"]),
        ("  - name: gamma-ru", "  - name: beta-en", 14, "beta-en", ["duplicate source name 'beta-en'"]),
    ],
)
def test_each_mistake_names_the_source_and_its_line(tmp_path: Path, old: str, new: str, line: int, source: str,
                                                    words: list[str]):
    assert old in GOOD
    message, path = load(tmp_path, GOOD.replace(old, new))
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: "), message
    assert f"[{source}]" in message, message
    for word in words:
        assert word in message, message


def test_robots_sitemaps_needs_a_homepage(tmp_path: Path):
    text = GOOD.replace("    homepage: https://gamma.example/\n", "    feeds: [https://gamma.example/feed]\n")
    message, path = load(tmp_path, text)
    assert f"{path}:14:" in message and "robots_sitemaps needs a homepage" in message
