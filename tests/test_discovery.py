"""Discovery parsers: feeds, sitemaps (incl. Google News), WordPress search, listings."""

from __future__ import annotations

from datetime import datetime, timezone

from crawler import discovery

BASE = "https://news.example.ma/"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>
<item><title>Nouveau</title><link>https://news.example.ma/2025/03/05/maroc-kazakhstan/</link>
<pubDate>Wed, 05 Mar 2025 10:30:00 +0100</pubDate></item>
<item><title>Relatif</title><link>/2025/03/04/ble/?utm_source=rss#comments</link></item>
<item><title>Sans lien</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>E</title><link rel="alternate" href="https://news.example.ma/news/12-a.html"/>
<updated>2025-03-05T08:00:00Z</updated><published>2025-03-04T08:00:00Z</published></entry></feed>"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example.ma/a/</loc><lastmod>2025-03-09T00:00:00Z</lastmod>
<news:news><news:publication><news:name>X</news:name><news:language>fr</news:language></news:publication>
<news:publication_date>2025-03-05T10:00:00+01:00</news:publication_date><news:title>Titre</news:title></news:news></url>
<url><loc>https://news.example.ma/b/</loc><lastmod>2025-03-06</lastmod></url>
</urlset>"""

INDEX = b"""<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.example.ma/post-sitemap.xml.gz</loc><lastmod>2025-03-05</lastmod></sitemap></sitemapindex>"""

XXE = b"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&x;</loc></url></urlset>"""


def test_rss_entries_dates_and_relative_links() -> None:
    entries = discovery.feed_entries(RSS, BASE)
    assert [e.url for e in entries] == [
        "https://news.example.ma/2025/03/05/maroc-kazakhstan/",
        "https://news.example.ma/2025/03/04/ble/?utm_source=rss",
    ]
    assert entries[0].date == datetime(2025, 3, 5, 9, 30, tzinfo=timezone.utc)
    assert entries[1].date is None


def test_atom_prefers_published() -> None:
    (entry,) = discovery.feed_entries(ATOM, BASE)
    assert entry.url == "https://news.example.ma/news/12-a.html"
    assert entry.date == datetime(2025, 3, 4, 8, tzinfo=timezone.utc)


def test_news_sitemap_publication_date_beats_lastmod() -> None:
    a, b = discovery.sitemap_entries(NEWS_SITEMAP, BASE)
    assert a.date == datetime(2025, 3, 5, 9, tzinfo=timezone.utc) and a.title == "Titre" and a.kind == "article"
    assert b.date == datetime(2025, 3, 6, tzinfo=timezone.utc)


def test_sitemap_index_and_no_entity_expansion() -> None:
    (nested,) = discovery.sitemap_entries(INDEX, BASE)
    assert nested.kind == "sitemap" and nested.url.endswith(".xml.gz")
    assert all("root:" not in e.url for e in discovery.sitemap_entries(XXE, BASE))


def test_autodiscovery_and_robots() -> None:
    html = """<html><head><link rel="alternate" type="application/rss+xml" href="/feed/">
    <link rel="alternate" type="application/rss+xml" href="/comments/feed/"><link rel="stylesheet" href="/s.css">
    </head></html>"""
    assert discovery.autodiscover_feeds(html, BASE) == ["https://news.example.ma/feed/"]
    robots = "User-agent: *\nDisallow: /private/\nSitemap: https://news.example.ma/sitemap_index.xml\n"
    assert discovery.robots_sitemaps(robots, BASE) == ["https://news.example.ma/sitemap_index.xml"]


def test_wp_json_search() -> None:
    body = b'[{"id": 7, "date": "2025-03-05T11:00:00", "date_gmt": "2025-03-05T10:00:00", "link": "https://news.example.ma/2025/03/05/x/", "title": {"rendered": "X"}}]'
    (entry,) = discovery.wp_json_entries(body, BASE)
    assert entry.date == datetime(2025, 3, 5, 10, tzinfo=timezone.utc) and entry.title == "X"
    assert discovery.wp_json_entries(b"<html>not json", BASE) == []


def test_listing_links_separate_articles_from_listings() -> None:
    html = """<html><body><nav><a href="/category/politique/">Politique</a><a href="/contact/">Contact</a></nav>
    <main><article><h2><a href="/2025/03/05/maroc-kazakhstan/">Maroc</a></h2></article>
    <h3><a href="https://elsewhere.com/2025/03/05/x/">offsite</a></h3>
    <a href="/news/1234-ble-kazakh.html">Blé</a><a href="/tag/ble/">tag</a>
    <a rel="next" href="/category/politique/page/2/">Suivant</a><a href="mailto:x@y">m</a></main></body></html>"""
    articles, listings = discovery.listing_links(html, BASE + "category/politique/", {"news.example.ma"})
    assert [a.url for a in articles] == ["https://news.example.ma/2025/03/05/maroc-kazakhstan/",
                                         "https://news.example.ma/news/1234-ble-kazakh.html"]
    assert "https://news.example.ma/category/politique/page/2/" in listings


def test_age_window() -> None:
    now = datetime(2025, 3, 10, tzinfo=timezone.utc)
    assert discovery.is_too_old(datetime(2025, 1, 1, tzinfo=timezone.utc), 30, now)
    assert not discovery.is_too_old(datetime(2025, 3, 1, tzinfo=timezone.utc), 30, now)
    assert not discovery.is_too_old(None, 30, now)
    assert not discovery.is_too_old(datetime(2019, 1, 1, tzinfo=timezone.utc), 0, now)


def test_entries_keep_their_last_edit_apart_from_their_publication() -> None:
    (entry,) = discovery.feed_entries(ATOM, BASE)
    assert entry.date == datetime(2025, 3, 4, 8, tzinfo=timezone.utc)
    assert entry.changed == datetime(2025, 3, 5, 8, tzinfo=timezone.utc)  # an edit after publication
    a, _ = discovery.sitemap_entries(NEWS_SITEMAP, BASE)
    assert a.date == datetime(2025, 3, 5, 9, tzinfo=timezone.utc) and a.changed == datetime(2025, 3, 9, tzinfo=timezone.utc)


def test_a_sitemap_stamped_with_its_own_generation_time_is_not_believed() -> None:
    stamp = datetime(2025, 3, 10, 12, tzinfo=timezone.utc)
    blanket = [discovery.Entry(f"https://x.ma/{i}", stamp, updated=stamp) for i in range(20)]
    cleaned = discovery.without_blanket_lastmod(blanket)
    assert all(e.changed is None for e in cleaned)
    varied = [discovery.Entry(f"https://x.ma/{i}", None, updated=stamp.replace(day=1 + i)) for i in range(20)]
    assert discovery.without_blanket_lastmod(varied) == varied
