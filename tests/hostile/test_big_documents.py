"""High 2: no document can make a run huge. A 900,000-URL sitemap is streamed, only its newest
entries are taken, and memory stays flat; a section walk that would grow as 50^depth stops at
the source's listing-page budget. Peak RSS is the kernel's figure for the crawl's own process."""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.hostile.measure import crawl
from tests.hostile.pages import article
from tests.hostile.server import Reply, serving

ENTRIES = 900_000
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def huge_sitemap() -> bytes:
    """900,000 entries, oldest first: entry i was last modified on day i // 1000 (gzip, ~3 MB)."""
    days = [(START + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(ENTRIES // 1000)]
    parts = ['<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    parts += [f"<url><loc>/n/{i}</loc><lastmod>{days[i // 1000]}</lastmod></url>" for i in range(ENTRIES)]
    parts.append("</urlset>")
    return gzip.compress("".join(parts).encode(), compresslevel=1)


def route_for(sitemap: bytes):  # type: ignore[no-untyped-def]
    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/sitemap.xml.gz":
            return Reply(sitemap, content_type="application/x-gzip")
        if path.startswith("/n/"):
            return Reply(article(int(path.rsplit("/", 1)[1])))
        return Reply(b"not found", status=404)
    return route


def test_a_900k_url_sitemap_is_streamed_capped_newest_first_in_flat_memory(tmp_path: Path,
                                                                          huge_sitemap: bytes) -> None:
    tiny = gzip.compress(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                         b"<url><loc>/n/1</loc></url></urlset>")
    cap = ("-s", "NEWSMON_MAX_URLS_PER_DOCUMENT=50", "-s", "NEWSMON_MAX_SITEMAP_BYTES=100000000")
    with serving(route_for(tiny)) as site:
        baseline = crawl([{"name": "big", "language": "en", "sitemaps": [site.url + "/sitemap.xml.gz"]}],
                         tmp_path, *cap, "--keep-all")
    assert baseline.code == 0, baseline.stderr
    (tmp_path / "big").mkdir()
    with serving(route_for(huge_sitemap)) as site:
        out = crawl([{"name": "big", "language": "en", "sitemaps": [site.url + "/sitemap.xml.gz"]}],
                    tmp_path / "big", *cap, "--keep-all", deadline=240)
        fetched = [int(h.rsplit("/", 1)[1]) for h in site.hits if h.startswith("/n/")]
    assert not out.killed and out.code == 0, out.stderr
    print(f"900k sitemap: {out.seconds:.1f} s, peak RSS {out.peak_rss_mb:.0f} MB "
          f"(1-URL sitemap: {baseline.seconds:.1f} s, {baseline.peak_rss_mb:.0f} MB)")
    assert out.peak_rss_mb < baseline.peak_rss_mb + 100, (out.peak_rss_mb, baseline.peak_rss_mb)
    # ~10 s on a quiet 2-vCPU machine, 115 s at load average 12: the bound is that it ends by itself
    assert out.seconds < 240
    # the 50 newest: all from the last day, the earliest of that day's entries first
    assert len(fetched) == 50 and min(fetched) >= ENTRIES - 1000
    row = out.summary()["big"]
    assert row["new"] == 50 and row["reasons"]["capped/urls_per_document"] == ENTRIES - 50
    assert f"{ENTRIES - 50} URLs beyond the newest of one sitemap, feed or page not fetched" in out.stderr


def test_an_oversized_sitemap_is_read_to_the_byte_limit_and_reported(tmp_path: Path, huge_sitemap: bytes) -> None:
    with serving(route_for(huge_sitemap)) as site:
        out = crawl([{"name": "big", "language": "en", "sitemaps": [site.url + "/sitemap.xml.gz"]}], tmp_path,
                    "-s", "NEWSMON_MAX_URLS_PER_DOCUMENT=5", "-s", "NEWSMON_MAX_SITEMAP_BYTES=1000000",
                    "--keep-all", deadline=90)
    assert not out.killed and out.code == 0, out.stderr
    row = out.summary()["big"]
    assert row["reasons"]["error/sitemap_unreadable"] == 1 and row["new"] == 5  # what came before the cut is used
    assert "larger than the size limit" in out.stderr


def endless_sections(path: str, query: dict[str, str]) -> Reply:
    """Every section page links to 60 new section pages and 2 articles: 60^depth pages."""
    if path.startswith("/category/"):
        n = int(path.rstrip("/").rsplit("/", 1)[1])
        links = "".join(f'<a href="/category/{n * 60 + i + 1}/">section</a>' for i in range(60))
        stories = "".join(f'<h2><a href="/story-{n}-{k}-grain.html">story</a></h2>' for k in range(2))
        return Reply(f"<html><body>{links}{stories}</body></html>".encode())
    if path.startswith("/story-"):
        return Reply(article(int(path.split("-")[1])))
    return Reply(b"not found", status=404)


def test_a_section_walk_stops_at_the_listing_page_budget(tmp_path: Path) -> None:
    with serving(endless_sections) as site:
        out = crawl([{"name": "walk", "language": "en", "sections": [site.url + "/category/0/"], "section_depth": 5}],
                    tmp_path, "-s", "NEWSMON_MAX_LISTING_PAGES_PER_SOURCE=30", deadline=90)
        listings = site.count("/category/")
    assert not out.killed and out.code == 0, out.stderr
    assert listings == 30
    row = out.summary()["walk"]
    # the first page's 60 links are cut to NEWSMON_MAX_LISTING_PAGES (50), then the budget runs out
    assert row["reasons"]["capped/listing_links"] >= 10
    assert row["reasons"]["capped/listing_pages"] >= 50 * 29 - 29
    assert "NEWSMON_MAX_LISTING_PAGES_PER_SOURCE=30" in out.stderr
