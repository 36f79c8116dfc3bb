"""High 1: sitemap and feed chains end. A site that always has one more sitemap (or feed) to
offer gets a bounded number of fetches, the run ends by itself, and the summary names the cap."""

from __future__ import annotations

from pathlib import Path

from tests.hostile.measure import crawl
from tests.hostile.pages import NOW, article, rss, sitemap_index, urlset
from tests.hostile.server import Reply, serving

XML = "application/xml"


def endless_sitemaps(path: str, query: dict[str, str]) -> Reply:
    """Every index names the next index (?n=N+1) and one urlset with one article; /wide lists 30
    new indexes each time (30^depth documents)."""
    n = int(query.get("n", "0"))
    if path == "/sitemap.xml":
        return Reply(sitemap_index([f"/sitemap.xml?n={n + 1}", f"/urls.xml?n={n}"]), content_type=XML)
    if path == "/wide.xml":
        return Reply(sitemap_index([f"/wide.xml?n={n * 30 + i + 1}" for i in range(30)]), content_type=XML)
    if path == "/urls.xml":
        return Reply(b"".join(urlset([(f"/news/{n}.html", NOW)])), content_type=XML)
    if path.startswith("/news/"):
        return Reply(article(int(path.rsplit("/", 1)[1].split(".")[0])))
    return Reply(b"not found", status=404)


def test_endless_sitemap_chain_ends_and_says_so(tmp_path: Path) -> None:
    with serving(endless_sitemaps) as site:
        out = crawl([{"name": "chain", "language": "en", "sitemaps": [site.url + "/sitemap.xml"]}], tmp_path,
                    "--keep-all", deadline=90)
        indexes, urlsets = site.count("/sitemap.xml"), site.count("/urls.xml")
    assert not out.killed, f"the crawl did not end: {indexes + urlsets} sitemap fetches in {out.seconds:.0f} s"
    assert out.code == 0, out.stderr
    # NEWSMON_MAX_SITEMAP_DEPTH=3: the configured index and three nested levels, then it stops
    assert indexes == 4 and urlsets == 3, (indexes, urlsets)
    row = out.summary()["chain"]
    assert row["reasons"]["capped/sitemap_depth"] == 2 and row["capped"] == 2
    assert row["new"] == 3  # what the first levels listed was fetched and stored
    (line,) = [l for l in out.stderr.splitlines() if l.startswith("newsmon: source chain: capped:")]
    assert "NEWSMON_MAX_SITEMAP_DEPTH=3" in line


def test_wide_sitemap_tree_stops_at_the_sitemap_budget(tmp_path: Path) -> None:
    with serving(endless_sitemaps) as site:
        out = crawl([{"name": "wide", "language": "en", "sitemaps": [site.url + "/wide.xml"]}], tmp_path,
                    "-s", "NEWSMON_MAX_SITEMAPS=40", deadline=90)
        fetched = site.count("/wide.xml")
    assert not out.killed and out.code == 0, out.stderr
    assert fetched == 40  # not 1 + 30 + 900 + 27,000
    row = out.summary()["wide"]
    assert row["reasons"]["capped/sitemaps"] >= 900 - 40
    assert "NEWSMON_MAX_SITEMAPS=40" in out.stderr


def test_a_source_can_lower_its_own_caps(tmp_path: Path) -> None:
    with serving(endless_sitemaps) as site:
        out = crawl([{"name": "wide", "language": "en", "sitemaps": [site.url + "/wide.xml"],
                      "limits": {"sitemaps": 5, "sitemap_depth": 1}}], tmp_path, deadline=90)
        fetched = site.count("/wide.xml")
    assert out.code == 0, out.stderr
    assert fetched == 5
    assert "NEWSMON_MAX_SITEMAPS=5" in out.stderr


def many_feeds(path: str, query: dict[str, str]) -> Reply:
    """A home page advertising 500 feeds, each listing 3 articles."""
    if path == "/":
        links = "".join(f'<link rel="alternate" type="application/rss+xml" href="/feed/{i}.xml">' for i in range(500))
        return Reply(f"<html><head>{links}</head><body>home</body></html>".encode())
    if path.startswith("/feed/"):
        i = int(path.rsplit("/", 1)[1].split(".")[0])
        return Reply(rss((f"/news/{i * 3 + k}.html", f"Story {i * 3 + k}", NOW) for k in range(3)),
                     content_type="application/rss+xml")
    if path.startswith("/news/"):
        return Reply(article(int(path.rsplit("/", 1)[1].split(".")[0])))
    return Reply(b"not found", status=404)


def test_a_home_page_advertising_hundreds_of_feeds_costs_the_feed_budget(tmp_path: Path) -> None:
    with serving(many_feeds) as site:
        out = crawl([{"name": "feeds", "language": "en", "homepage": site.url + "/"}], tmp_path,
                    "-s", "NEWSMON_MAX_FEEDS=10", deadline=90)
        fetched = site.count("/feed/")
    assert not out.killed and out.code == 0, out.stderr
    assert fetched == 10
    row = out.summary()["feeds"]
    assert row["reasons"]["capped/feeds"] == 490
    assert "490 feeds not fetched (NEWSMON_MAX_FEEDS=10)" in out.stderr


def test_a_sitemap_that_is_not_one_is_a_counted_error_not_silence(tmp_path: Path) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/sitemap.xml":  # a CMS answering with its HTML home page
            return Reply(b"<html><body><h1>Welcome</h1></body></html>", content_type="text/html")
        if path == "/broken.xml":  # cut off mid-document
            return Reply(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                         b"<url><loc>/news/1.html</loc></url><url><loc>/news/2", content_type=XML)
        if path.startswith("/news/"):
            return Reply(article(int(path.rsplit("/", 1)[1].split(".")[0])))
        return Reply(b"not found", status=404)

    with serving(route) as site:
        out = crawl([{"name": "odd", "language": "en", "sitemaps": [site.url + "/sitemap.xml", site.url + "/broken.xml"]}],
                    tmp_path, "--keep-all")
    assert out.code == 0, out.stderr
    row = out.summary()["odd"]
    assert row["reasons"]["error/not_a_sitemap"] == 1, row["reasons"]
    assert "not a sitemap (root element 'html')" in out.stderr
    assert row["new"] >= 1  # what the broken one listed before the cut is used


def test_articles_per_source_stop_at_the_budget_newest_first(tmp_path: Path) -> None:
    from datetime import timedelta

    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/feed.xml":  # 30 stories, the oldest first
            return Reply(rss((f"/news/{i}.html", f"Story {i}", NOW - timedelta(hours=30 - i)) for i in range(30)),
                         content_type="application/rss+xml")
        if path.startswith("/news/"):
            return Reply(article(int(path.rsplit("/", 1)[1].split(".")[0])))
        return Reply(b"not found", status=404)

    with serving(route) as site:
        out = crawl([{"name": "busy", "language": "en", "feeds": [site.url + "/feed.xml"]}], tmp_path, "--keep-all",
                    "-s", "NEWSMON_MAX_ARTICLES_PER_SOURCE=10")
        fetched = sorted(int(h.rsplit("/", 1)[1].split(".")[0]) for h in site.hits if h.startswith("/news/"))
    assert out.code == 0, out.stderr
    assert fetched == list(range(20, 30))  # the 10 newest
    assert out.summary()["busy"]["reasons"]["capped/articles"] == 20
    assert "20 article URLs not fetched (NEWSMON_MAX_ARTICLES_PER_SOURCE=10)" in out.stderr


def test_a_feed_gives_only_its_newest_entries_up_to_the_per_document_cap(tmp_path: Path) -> None:
    """High 2, per feed: a feed listing 60 stories in shuffled order gives the 8 newest (by
    pubDate) with NEWSMON_MAX_URLS_PER_DOCUMENT=8; the other 52 are counted as capped and named."""
    import random
    from datetime import timedelta

    order = list(range(60))
    random.Random(17).shuffle(order)

    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/feed.xml":  # story i is i hours old
            return Reply(rss((f"/news/{i}.html", f"Story {i}", NOW - timedelta(hours=i)) for i in order),
                         content_type="application/rss+xml")
        if path.startswith("/news/"):
            return Reply(article(int(path.rsplit("/", 1)[1].split(".")[0])))
        return Reply(b"not found", status=404)

    with serving(route) as site:
        out = crawl([{"name": "long", "language": "en", "feeds": [site.url + "/feed.xml"]}], tmp_path, "--keep-all",
                    "-s", "NEWSMON_MAX_URLS_PER_DOCUMENT=8")
        fetched = sorted(int(h.rsplit("/", 1)[1].split(".")[0]) for h in site.hits if h.startswith("/news/"))
    assert out.code == 0, out.stderr
    assert fetched == list(range(8))  # the 8 newest
    assert out.summary()["long"]["reasons"]["capped/urls_per_document"] == 52
    assert "NEWSMON_MAX_URLS_PER_DOCUMENT=8" in out.stderr
