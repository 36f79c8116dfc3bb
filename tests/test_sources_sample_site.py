"""``newsmon sources check`` against the shared sample news site: numbers must match what it serves.

Expected counts and dates come from the sample site's catalog (the YAML articles every page is
rendered from); the checker only sees the HTTP bytes, so agreement means feeds, gzip sitemaps,
Google News dates, search pages and robots.txt were all read right.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest

from newsmon.sample_site import render, server
from newsmon.sample_site.catalog import OUTLETS, outlet_articles
from tests.conftest import FAST, run_newsmon

pytestmark = pytest.mark.timeout(120)
QUERY = "Kazakhstan"


def utc(value: datetime | str) -> str:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def site() -> Iterator[object]:
    running = server.start_in_thread()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def rows(site, tmp_path_factory) -> dict[str, dict]:
    """One ``--json`` check of three sample outlets, rows keyed by URL path (query included)."""
    base = site.url
    path = tmp_path_factory.mktemp("sample") / "sources.yaml"
    path.write_text(f"""\
sources:
  - name: sample-atlas-fr
    language: fr
    locale: fr-MA
    timezone: Africa/Casablanca
    homepage: "{base}/atlas-fr/"
    feeds: ["{base}/atlas-fr/feed/"]
    sitemaps: ["{base}/atlas-fr/sitemap_index.xml", "{base}/atlas-fr/post-sitemap.xml.gz", "{base}/atlas-fr/news-sitemap.xml"]
    search: ["{base}/atlas-fr/?s={{query}}"]
    sections: ["{base}/atlas-fr/private/"]
  - name: sample-levant-ar
    language: ar
    timezone: Asia/Beirut
    feeds: ["{base}/levant-ar/atom.xml"]
  - name: sample-hostile
    language: en
    feeds: ["{base}/hostile/slow?delay=3", "{base}/hostile/feed/"]
    sitemaps: ["{base}/hostile/404"]
    sections: ["{base}/hostile/huge", "{base}/hostile/private/secret"]
""", encoding="utf-8")
    # the site is ours and local: no politeness delay (FAST without its DOWNLOAD_TIMEOUT)
    result = run_newsmon("sources", "check", "--sources", str(path), "--json", "--timeout", "1", "--query", QUERY,
                         *FAST[:4])
    assert result.code == 1, result.stderr  # the hostile outlet's URLs fail, as they should
    assert "URLs failed" in result.stderr.splitlines()[-1]
    out = {}
    for row in json.loads(result.stdout):
        parts = urlsplit(row["url"])
        out[parts.path + (f"?{parts.query}" if parts.query else "")] = row
    assert len(out) == 13
    return out


def test_feed_counts_and_newest_dates_match_the_catalog(rows, site):
    items = render.feed_items(OUTLETS["atlas-fr"], site.url)
    feed = rows["/atlas-fr/feed/"]
    assert (feed["status"], feed["format"], feed["error"]) == (200, "rss", None)
    assert feed["items"] == len(items) > 0
    assert feed["newest"] == utc(max(datetime.fromisoformat(i["published"]) for i in items))
    levant = render.feed_items(OUTLETS["levant-ar"], site.url)
    atom = rows["/levant-ar/atom.xml"]
    assert (atom["format"], atom["items"]) == ("atom", len(levant))
    assert atom["newest"] == utc(max(datetime.fromisoformat(i["published"]) for i in levant))


def test_sitemaps_match_the_catalog(rows):
    listed = outlet_articles("atlas-fr", archive=None)
    edited = utc(max(a.modified or a.published for a in listed))
    index = rows["/atlas-fr/sitemap_index.xml"]
    assert (index["format"], index["items"], index["newest"]) == ("sitemapindex", 2, edited)
    gz = rows["/atlas-fr/post-sitemap.xml.gz"]
    assert (gz["format"], gz["items"], gz["newest"], gz["error"]) == ("urlset", len(listed), edited, None)
    current = outlet_articles("atlas-fr")
    news = rows["/atlas-fr/news-sitemap.xml"]
    assert (news["items"], news["newest"]) == (len(current), utc(max(a.published for a in current)))


def test_search_results_are_counted(rows):
    expected = render.search_articles("atlas-fr", QUERY)
    assert expected, "the sample site should have an atlas-fr article matching the query"
    search = rows[f"/atlas-fr/?s={QUERY}"]
    assert (search["status"], search["format"], search["items"]) == (200, "html", len(expected))


def test_robots_hostile_pages_and_slowness_are_rows(rows):
    # every URL of a host waits for the same robots.txt; each must get its verdict
    assert [rows[p]["failure"] for p in ("/atlas-fr/private/", "/hostile/private/secret")] == ["robots", "robots"]
    assert rows["/hostile/private/secret"]["robots"] == "disallowed"
    assert all(r["robots"] == "allowed" for p, r in rows.items() if "private" not in p)
    assert (rows["/hostile/slow?delay=3"]["failure"], rows["/hostile/slow?delay=3"]["error"]) == ("timeout", "timeout after 1s")
    hostile_feed = rows["/hostile/feed/"]  # the same host as the timeout
    assert hostile_feed["error"] is None and hostile_feed["items"] > 0
    assert (rows["/hostile/404"]["status"], rows["/hostile/404"]["error"]) == (404, "HTTP 404")
    # the crawl's DOWNLOAD_MAXSIZE (5 MB) for a page; sitemaps get the protocol's 50 MB
    assert (rows["/hostile/huge"]["failure"], rows["/hostile/huge"]["error"]) == ("too_large", "body larger than 5 MB")
    assert rows["/atlas-fr/"]["status"] == 200 and rows["/atlas-fr/"]["items"] > 0
