"""The bundled sample news site serves what the crawler and the quality gates rely on."""

from __future__ import annotations

import gzip
import html
import http.client
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

import feedparser
import pytest

from newsmon.sample_site.dates import words
from newsmon.sample_site.catalog import OUTLETS, load_articles, outlet_articles
from newsmon.sample_site.render import render_article
from newsmon.sample_site.server import start_in_thread

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)   # a Monday
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
NEWS_OUTLETS = [n for n in OUTLETS if n != "hostile"]


@pytest.fixture(scope="module")
def site():
    with start_in_thread() as s:
        yield s


def get(url: str, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def raw(site, path: str, method: str = "GET") -> http.client.HTTPResponse:
    """One request without following redirects."""
    parts = urlsplit(site.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(method, path)
    return conn.getresponse()


# -- catalog ------------------------------------------------------------------------------

def test_catalog_meets_the_corpus_brief():
    news = [a for a in load_articles() if a.outlet != "hostile" and not a.archive]
    assert len(news) >= 36
    per_lang = Counter(a.lang for a in news)
    assert all(per_lang[lang] >= 5 for lang in ("ar", "fr", "it", "en", "ru", "kk", "es")), per_lang
    assert sum(a.relevant for a in news) * 3 >= 2 * len(news)
    assert {OUTLETS[a.outlet].theme for a in news} == {"jannah", "tagdiv", "semantic"}
    for name in NEWS_OUTLETS:
        archive = outlet_articles(name, archive=True)
        assert [a.published.year for a in archive] == [2019, 2019], name


def test_expected_is_consistent_for_every_article():
    for a in load_articles():
        exp = a.expected()
        assert exp["title"] and exp["text"], a.slug
        assert a.published.tzinfo is not None and a.published.utcoffset() is not None
        assert "## " not in exp["text"]
        assert exp["lang"] == a.lang
        if a.shows_time:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", exp["published_at"]), a.slug
            assert datetime.fromisoformat(exp["published_at"]) == a.published
        else:
            assert exp["published_at"] == a.local_published.date().isoformat()
        if a.modified:
            assert datetime.fromisoformat(exp["modified_at"]) == a.modified


def test_date_variety_covers_the_formats_real_sites_use():
    arts = load_articles()
    assert any(not a.shows_time for a in arts)                         # date-only page
    assert any(not a.signals and a.byline is None for a in arts)      # URL path only
    assert any(a.byline == "relative" and a.signals for a in arts)
    assert any(a.byline == "hijri" for a in arts)
    ramadan = [a for a in arts if a.outlet.startswith("atlas") and a.published.month == 3
               and a.local_published.utcoffset().total_seconds() == 0]
    assert ramadan, "need a Moroccan page published while Morocco is on UTC+0"
    assert any(a.iso_style == "naive" for a in arts)
    assert any(a.modified for a in arts)


def test_today_widget_shows_the_visit_date_in_the_page_language():
    ar = next(a for a in outlet_articles("atlas-ar"))
    fr = next(a for a in outlet_articles("atlas-fr"))
    assert "الاثنين 23 نونبر 2026" in render_article(ar.slug, NOW)[0].decode("utf-8")
    assert "lundi 23 novembre 2026" in render_article(fr.slug, NOW)[0].decode("utf-8")


def test_article_text_with_script_tags_is_escaped():
    hits = [a for a in load_articles() if "<script>" in a.text]
    assert hits
    for a in hits:
        page = render_article(a.slug, NOW)[0].decode(a.encoding)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert(1)" not in page


def test_boilerplate_and_hard_negatives_are_on_the_pages():
    for a in load_articles():
        if a.outlet == "hostile":
            continue
        page = html.unescape(render_article(a.slug, NOW)[0].decode(a.encoding))
        for marker in ("related", "comment_form", "ad", "rights", "cookie_ok"):
            assert words(a.lang)[marker] in page, (a.slug, marker)
    # an unrelated page whose only mention of the other country sits in boilerplate or comments
    negatives = [a for a in load_articles() if not a.relevant and a.outlet != "hostile"]
    mentions = re.compile(r"казах|kazak|kazaj|kazakh|كازاخ|марокк|morocc|maroc|marocc|marruec|المغرب",
                          re.I)
    assert any(not mentions.search(a.text) and mentions.search(
        render_article(a.slug, NOW)[0].decode(a.encoding)) for a in negatives)


# -- served over HTTP ------------------------------------------------------------------------

def test_module_prints_its_url_first_and_serves():
    proc = subprocess.Popen([sys.executable, "-m", "newsmon.sample_site.server", "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        status, _, body = get(url + "/robots.txt")
        assert status == 200 and b"Sitemap:" in body
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "GET" not in err   # quiet unless --verbose


def test_robots_lists_every_sitemap_index_and_disallows_private(site):
    status, _, body = get(site.url + "/robots.txt")
    assert status == 200
    text = body.decode()
    for name in OUTLETS:
        assert f"Sitemap: {site.url}/{name}/sitemap_index.xml" in text
    rp = urllib.robotparser.RobotFileParser()
    rp.parse(text.splitlines())
    assert not rp.can_fetch("newsmon", site.url + "/hostile/private/secret")
    assert not rp.can_fetch("newsmon", site.url + "/atlas-fr/private/drafts/")
    assert rp.can_fetch("newsmon", site.url + "/atlas-fr/")


@pytest.mark.parametrize("name", NEWS_OUTLETS)
def test_feed_lists_the_outlet_articles_and_two_2019_entries(site, name):
    outlet = OUTLETS[name]
    status, _, home = get(f"{site.url}/{name}/")
    assert status == 200
    kind = "rss" if outlet.feed_kind == "rss" else "atom"
    assert f'type="application/{kind}+xml"'.encode() in home
    feed = feedparser.parse(get(site.url + outlet.feed_path)[2])
    assert not feed.bozo, feed.get("bozo_exception")
    links = {e.link for e in feed.entries}
    current = {site.url + a.path for a in outlet_articles(name)}
    assert current <= links
    old = [e for e in feed.entries if e.published_parsed.tm_year == 2019]
    assert len(old) == 2
    for e in old:
        assert get(e.link)[0] == 200


@pytest.mark.parametrize("name", NEWS_OUTLETS)
def test_sitemaps_lead_to_every_article(site, name):
    status, _, body = get(f"{site.url}/{name}/sitemap_index.xml")
    assert status == 200
    maps = [loc.text for loc in ElementTree.fromstring(body).iter(SM + "loc")]
    assert len(maps) == 2
    found: set[str] = set()
    for url in maps:
        status, headers, data = get(url)
        assert status == 200
        if url.endswith(".gz"):
            assert headers["Content-Type"] == "application/x-gzip"
            data = gzip.decompress(data)
        tree = ElementTree.fromstring(data)
        found |= {loc.text for loc in tree.iter(SM + "loc")}
        if "news-sitemap" in url:
            dates = [d.text for d in tree.iter(NEWS + "publication_date")]
            assert dates and all(datetime.fromisoformat(d).tzinfo for d in dates)
            assert len(list(tree.iter(NEWS + "title"))) == len(dates)
    assert found == {site.url + a.path for a in outlet_articles(name, archive=None)}
    for url in found:
        resp = raw(site, urlsplit(url).path, "HEAD")
        assert resp.status == 200, url


def test_atlas_fr_index_points_to_a_gzipped_sitemap(site):
    body = get(f"{site.url}/atlas-fr/sitemap_index.xml")[2]
    assert b"post-sitemap.xml.gz" in body


def test_search_pages_and_wp_json_return_matching_articles(site):
    status, _, body = get(f"{site.url}/atlas-fr/?s=KAZAKH")
    assert status == 200
    page = body.decode()
    expected = [a for a in outlet_articles("atlas-fr", archive=None)
                if "kazakh" in (a.title + a.text).lower()]
    assert expected
    for a in expected:
        assert site.url + a.path in page
    posts = json.loads(get(f"{site.url}/atlas-fr/wp-json/wp/v2/posts?search=kazakh")[2])
    assert {p["link"] for p in posts} == {site.url + a.path for a in expected}
    assert all({"id", "date", "date_gmt", "title", "excerpt"} <= p.keys() for p in posts)
    q = quote("كازاخستان")
    posts = json.loads(get(f"{site.url}/atlas-ar/wp-json/wp/v2/posts?search={q}")[2])
    assert posts and all(p["title"]["rendered"] for p in posts)
    assert json.loads(get(f"{site.url}/atlas-fr/wp-json/wp/v2/posts?search=zzzqqq")[2]) == []


def test_listing_pages_link_articles(site):
    a = outlet_articles("steppe-ru")[0]
    for path in (f"/steppe-ru/category/{a.section}/", f"/steppe-ru/tag/{a.tags[0]}/"):
        status, _, body = get(site.url + path)
        assert status == 200 and (site.url + a.path).encode() in body


def test_every_article_decodes_in_its_declared_encoding(site):
    for a in load_articles():
        target = a.path + ("?delay=0" if a.path == "/hostile/slow" else "")
        status, headers, body = get(site.url + target)
        assert status == 200, a.path
        ctype = headers["Content-Type"]
        head = body[:600].decode("ascii", "replace").lower()
        meta_charset = re.search(r"<meta[^>]*charset=[\"']?([\w-]+)", head)
        if "header" in a.charset:
            assert ctype == f"text/html; charset={a.encoding}"
        else:
            assert ctype == "text/html"
        if "meta" in a.charset:
            assert meta_charset and meta_charset.group(1) == a.encoding, a.slug
        else:
            assert meta_charset is None, a.slug
        assert a.title in html.unescape(body.decode(a.encoding)), a.slug
        if a.encoding != "utf-8":
            with pytest.raises(UnicodeDecodeError):
                body.decode("utf-8")


def test_hostile_endpoints_do_what_they_claim(site):
    assert get(site.url + "/hostile/404")[0] == 404
    assert get(site.url + "/hostile/500")[0] == 500
    assert get(site.url + "/no/such/page")[0] == 404
    first = raw(site, "/hostile/redirect")
    second = raw(site, first.getheader("Location"))
    assert (first.status, second.status) == (301, 302)
    status, _, body = get(site.url + "/hostile/redirect")
    moved = next(a for a in load_articles() if a.slug == "moved-story")
    assert status == 200 and moved.title.encode() in body
    with pytest.raises(urllib.error.HTTPError, match="redirect"):
        urllib.request.urlopen(site.url + "/hostile/loop", timeout=10)
    status, headers, body = get(site.url + "/hostile/report.pdf")
    assert headers["Content-Type"] == "application/pdf" and body.startswith(b"%PDF-")
    soft = get(site.url + "/hostile/soft404")
    assert soft[0] == 200 and "الصفحة غير موجودة".encode() in soft[2] and b"Page not found" in soft[2]
    consent = get(site.url + "/hostile/consent")
    assert consent[0] == 200 and b"Just a moment..." in consent[2]
    nocharset = get(site.url + "/hostile/nocharset")
    assert nocharset[1]["Content-Type"] == "text/html" and b"charset=" not in nocharset[2].lower()
    feed = feedparser.parse(get(site.url + "/hostile/feed/")[2])
    paths = {urlsplit(e.link).path for e in feed.entries}
    assert {"/hostile/404", "/hostile/500", "/hostile/slow", "/hostile/redirect", "/hostile/loop",
            "/hostile/private/secret", "/hostile/report.pdf", "/hostile/huge", "/hostile/malformed",
            "/hostile/soft404", "/hostile/consent", "/hostile/nocharset"} <= paths
    good = [a for a in outlet_articles("hostile") if a.path.startswith("/hostile/news/")
            and a.slug != "moved-story"]
    assert len(good) >= 2 and {a.path for a in good} <= paths


def test_slow_endpoint_waits(site):
    t0 = time.monotonic()
    status, _, body = get(site.url + "/hostile/slow?delay=0.6")
    assert status == 200 and time.monotonic() - t0 >= 0.6 and b"<article" in body


def test_huge_page_is_20_mb_streamed(site):
    resp = raw(site, "/hostile/huge")
    assert resp.status == 200
    assert int(resp.getheader("Content-Length")) == 20 * 1024 * 1024
    total = 0
    while chunk := resp.read(1 << 16):
        total += len(chunk)
    assert total == 20 * 1024 * 1024
    sizes = [p.stat().st_size for p in (ROOT / "newsmon" / "sample_site").rglob("*") if p.is_file()]
    assert max(sizes) < 1_000_000   # generated on the fly, not stored


def test_malformed_page_still_holds_the_article_text(site):
    a = next(a for a in load_articles() if a.path == "/hostile/malformed")
    body = get(site.url + a.path)[2].decode("utf-8")
    assert body.count("</div>") > body.count("<div")
    for block in a.body:
        assert html.escape(block, quote=False) in body
