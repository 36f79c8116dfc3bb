"""News-search aggregators: redirect links become publisher URLs before anything is fetched.

The sample site imitates Google News RSS (redirect and interstitial links) and Bing News RSS
(``apiclick.aspx?url=``); a crawl of both must store each publisher article once, under the
publisher's URL, and refuse a link to a private address.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from crawler.aggregators import bing_target, interstitial_target, is_google_news_link
from newsmon.sample_site.newsfeeds import picks
from crawler.spiders.sitemaps import sitemaps_for
from crawler.sources import Source
from tests.conftest import Served, run_newsmon, write_sources


def test_bing_links_are_decoded_locally():
    target = "https://www.lematin.ma/economie/maroc-kazakhstan-ble?id=12&x=a b"
    link = f"http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=AB12&url={quote(target, safe='')}&c=99&mkt=fr-fr"
    assert bing_target(link) == target
    assert bing_target("http://www.bing.com/news/apiclick.aspx?ref=FexRss&url=javascript%3Aalert(1)") is None
    assert bing_target("https://www.bing.com/news/search?q=maroc") is None


def test_google_links_and_interstitials():
    assert is_google_news_link("https://news.google.com/rss/articles/CBMiWmh0dHBzOi8v?oc=5")
    assert not is_google_news_link("https://news.google.com/rss/search?q=maroc")
    page = '<html><body><c-wiz data-n-au="https://www.hespress.com/article-1.html"></c-wiz></body></html>'
    assert interstitial_target(page, "https://news.google.com/rss/articles/x") == "https://www.hespress.com/article-1.html"
    refresh = '<meta http-equiv="refresh" content="0;url=https://kazinform.kz/news/1">'
    assert interstitial_target(refresh, "https://news.google.com/rss/articles/x") == "https://kazinform.kz/news/1"
    nothing = '<html><body><a href="https://news.google.com/">Google News</a><a href="/topics">x</a></body></html>'
    assert interstitial_target(nothing, "https://news.google.com/rss/articles/x") is None


def test_robots_sitemaps_are_kept_to_the_sources_own_part_of_the_host():
    source = Source(name="kk", language="kk", homepage="http://127.0.0.1:9/steppe-kk/", robots_sitemaps=True)
    listed = ["http://127.0.0.1:9/steppe-kk/sitemap_index.xml", "http://127.0.0.1:9/atlas-fr/sitemap_index.xml",
              "http://cdn.example/sitemap.xml"]
    assert sitemaps_for(source, listed) == ["http://127.0.0.1:9/steppe-kk/sitemap_index.xml"]
    whole = Source(name="w", language="en", homepage="https://news.example/", domains=["cdn.example"])
    assert sitemaps_for(whole, ["https://news.example/a.xml", "http://cdn.example/sitemap.xml"]) == [
        "https://news.example/a.xml", "http://cdn.example/sitemap.xml"]


@pytest.fixture(scope="module")
def crawl(sample_site: Served, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("agg")
    b = sample_site.url
    sources = write_sources(tmp / "sources.yaml", [
        {"name": "google-news-en-test", "language": "en", "aggregator": True, "delay": 0,
         "search": [b + "/newsfeeds/google/rss/search?q={query}&hl=en-US&gl=US&ceid=US:en"]},
        {"name": "bing-news-en-test", "language": "en", "aggregator": True, "delay": 0,
         "search": [b + "/newsfeeds/bing/search?q={query}&format=rss"]},
    ])
    data = tmp / "data"
    result = run_newsmon("crawl", "--sources", str(sources), "--data", str(data), "--max-age", "0", "--json")
    stored = [json.loads(line) for line in run_newsmon("export", "--data", str(data)).stdout.splitlines()]
    runs = json.loads(run_newsmon("runs", "--json", "--data", str(data)).stdout)
    return result, stored, {r["source"]: r["stats"] for r in runs}


def test_each_publisher_article_is_stored_once_under_its_own_url(crawl, sample_site):
    result, stored, _ = crawl
    assert result.code == 0, result.stderr
    titles = [a["title"] for a in stored]
    assert sorted(titles) == sorted(a.title for a in picks())  # all four, once each
    for article in stored:
        assert "/newsfeeds/" not in article["url"] and "/newsfeeds/" not in article["canonical_url"]
        assert urlsplit(article["url"]).path.startswith("/steppe-en/")
        assert "utm_source" not in article["canonical_url"]


def test_resolutions_and_refusals_are_counted(crawl):
    _, _, stats = crawl
    google, bing = stats["google-news-en-test"], stats["bing-news-en-test"]
    assert google["resolved/redirect"] >= 2 and google["resolved/interstitial"] >= 1
    assert google["skipped/unresolved"] >= 1 and not google.get("errors")  # never fetched blindly
    assert bing["resolved/bing"] >= 3
    # the link to localhost is refused by the private-address guard, not fetched
    assert bing.get("error/private_address", 0) >= 1
    # the article both aggregators list was fetched once: the second finding is a known link
    both = google.get("skipped/duplicate_link", 0) + bing.get("skipped/duplicate_link", 0)
    assert both >= 1


# -- robots.txt sitemaps (the other discovery path without configured feed or sitemap URLs) ------

def test_robots_sitemaps_crawl_stays_within_the_source(sample_site: Served, tmp_path: Path):
    from newsmon.demo import demo_max_age
    from newsmon.sample_site.catalog import outlet_articles

    sources = write_sources(tmp_path / "s.yaml", [{
        "name": "levant-robots", "language": "ar", "locale": "ar-LB", "timezone": "Asia/Beirut", "delay": 0,
        "homepage": f"{sample_site.url}/levant-ar/", "robots_sitemaps": True}])
    out = run_newsmon("crawl", "--sources", str(sources), "--data", str(tmp_path / "d"),
                      "--max-age", str(demo_max_age()), "--json")
    assert out.code == 0, out.stderr
    (stats,) = [r["stats"] for r in json.loads(run_newsmon("runs", "--json", "--data", str(tmp_path / "d")).stdout)]
    assert stats["robots_sitemaps"] == 1  # robots.txt lists every outlet's index; only levant-ar's is used
    stored = [json.loads(line) for line in run_newsmon("export", "--data", str(tmp_path / "d")).stdout.splitlines()]
    assert stored and all(urlsplit(a["url"]).path.startswith("/levant-ar/") for a in stored)
    assert {a["title"] for a in stored} == {a.title for a in outlet_articles("levant-ar") if a.relevant}


def test_google_links_are_not_resolved_again_on_the_next_crawl(sample_site: Served, tmp_path: Path):
    sources = write_sources(tmp_path / "s.yaml", [
        {"name": "google-news-en-test", "language": "en", "aggregator": True, "delay": 0,
         "search": [sample_site.url + "/newsfeeds/google/rss/search?q={query}&hl=en-US&gl=US&ceid=US:en"]}])
    data = tmp_path / "data"

    def crawl_stats() -> dict:
        out = run_newsmon("crawl", "--sources", str(sources), "--data", str(data), "--max-age", "0", "--json")
        assert out.code == 0, out.stderr
        return json.loads(run_newsmon("runs", "--json", "--limit", "1", "--data", str(data)).stdout)[0]["stats"]

    first = crawl_stats()
    assert first["resolved/redirect"] >= 2
    second = crawl_stats()
    assert "resolved/redirect" not in second and "articles_fetched" not in second
    assert second["skipped/known"] >= first["resolved/redirect"] - first.get("dropped/not_relevant", 0)
