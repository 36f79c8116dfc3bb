"""`newsmon serve` end to end: a real crawl of the sample site, a hostile article, the server as a
subprocess on a free port, and Debian's Chromium driven by Playwright.

Screenshots land in $NEWSMON_TEST_ARTIFACTS (or a pytest tmp dir) and are named in the output
of a failing test: look at them.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect, sync_playwright

from newsmon.demo import demo_max_age, demo_sources
from newsmon.store import Store
from pipelines.dedupe import article_id
from newsmon.stories import assign_pending
from tests.alerts_receivers import HttpReceiver
from tests.conftest import FAST, ROOT, Served, run_newsmon, write_sources

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed "
                                "(scripts/system-deps installs it)")

HOSTILE_TITLE = "<img src=x onerror=alert('title')> Kazakhstan wheat <script>alert('t2')</script> leak"
HOSTILE_TEXT = ("Officials from Morocco and Kazakhstan <script>alert('text')</script> discussed wheat. "
                "<img src=x onerror=\"alert('text-img')\"> The cargo <b>reached</b> Casablanca on Monday.")
HOSTILE_URL = "javascript:alert('url')"
WIRE_OF = "First bulk cargo of Kazakh wheat docks in Casablanca"
WIRE_URL = "https://wire.invalid/2025/07/08/kazakh-wheat-casablanca"


@dataclass
class Server:
    url: str
    data: Path
    process: subprocess.Popen[str]

    def get(self, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path.lstrip("/"), headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, dict(exc.headers.items()), exc.read()

    def json(self, path: str) -> Any:
        status, _, body = self.get(path)
        assert status == 200, body[:300]
        return json.loads(body)


def start_server(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "newsmon.cli", "serve", "--port", "0", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()


def add_hostile_article(data: Path) -> str:
    record = {"id": article_id(HOSTILE_URL), "url": HOSTILE_URL, "canonical_url": HOSTILE_URL,
              "source": "fixture-hostile", "title": HOSTILE_TITLE, "text": HOSTILE_TEXT, "lang": "en",
              "author": "<script>alert('author')</script>", "published_at": "2025-06-03T09:30:00Z",
              "date_source": "fixture", "fetched_at": "2025-06-03T10:00:00Z", "relevant": True,
              "topics": ["morocco-kazakhstan"], "matched_terms": {"<img src=x onerror=alert(1)>": 1},
              "relevance_score": 1.0, "content_hash": "hostile-fixture"}
    with Store(data) as store:
        return store.upsert_article(record, [HOSTILE_URL]).article_id


def add_wire_copy(data: Path) -> str:
    """A news agency's copy of a crawled article (lightly edited), linked into its story the way
    a crawl links stories."""
    with Store(data) as store:
        row = store.db.execute("SELECT id FROM articles WHERE title = ?", (WIRE_OF,)).fetchone()
        original = store.get_article(row[0])
        assert original is not None
        copy = {**original, "id": article_id(WIRE_URL), "url": WIRE_URL, "canonical_url": WIRE_URL,
                "source": "fixture-wire", "title": original["title"] + " (wire)",
                "text": original["text"] + "\nReporting by the wire desk.", "content_hash": "wire-copy"}
        copy.pop("story_id")
        store.upsert_article(copy, [WIRE_URL])
        assign_pending(store)
        return copy["id"]


@pytest.fixture(scope="module")
def store_dir(sample_site: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Path]]:
    """A crawl of every sample outlet with a feed rule and a webhook rule, plus the hostile article."""
    cfg = tmp_path_factory.mktemp("serve-cfg")
    data = tmp_path_factory.mktemp("serve") / "data"
    sources = write_sources(cfg / "sources.yaml", demo_sources(sample_site.url))
    alerts = cfg / "alerts.yaml"
    with HttpReceiver() as hook:
        alerts.write_text(f"""
rules:
  - name: wheat
    query: 'wheat OR blé OR القمح'
    channels:
      - {{type: webhook, url: '{hook.url}/wheat'}}
  - name: astana-feed
    query: Astana
""", encoding="utf-8")
        crawl = run_newsmon("crawl", "--sources", str(sources), "--data", str(data), "--alerts", str(alerts),
                            "--max-age", str(demo_max_age()), "--json", *FAST)
        assert crawl.code == 0, crawl.stderr
        assert [r.path for r in hook.requests] == ["/wheat"]
    add_hostile_article(data)
    add_wire_copy(data)
    reindexed = run_newsmon("reindex", "--data", str(data))
    assert reindexed.code == 0, reindexed.stderr
    yield data, sources, alerts


@pytest.fixture(scope="module")
def server(store_dir: tuple[Path, Path, Path]) -> Iterator[Server]:
    data, sources, alerts = store_dir
    proc = start_server("--data", str(data), "--sources", str(sources), "--alerts", str(alerts))
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    try:
        assert re.match(r"^http://127\.0\.0\.1:\d+/$", url), f"serve did not start: {url!r} {proc.stderr.read() if proc.stderr else ''}"
        yield Server(url, data, proc)
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("NEWSMON_TEST_ARTIFACTS")
    path = Path(where) if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Watched:
    page: Page
    dialogs: list[str]
    errors: list[str]


@pytest.fixture
def page(browser: Browser) -> Iterator[Watched]:
    """A fresh page in a reader's zone far from UTC, recording dialogs, console errors and page errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Almaty",
                                  locale="en-GB")
    tab = context.new_page()
    watched = Watched(tab, [], [])

    def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(message.text)

    tab.on("dialog", on_dialog)
    tab.on("console", on_console)
    tab.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    try:
        yield watched
    finally:
        context.close()


def hit_ids(tab: Page) -> list[str]:
    return tab.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.id)")


def search_box(tab: Page, query: str) -> None:
    tab.fill("#q", query)
    tab.press("#q", "Enter")
    tab.wait_for_load_state("load")


# -- the browser ---------------------------------------------------------------------------------

def click_language_facet(tab: Page, lang: str) -> None:
    """Click a language facet: the list narrows to that language, with the count the facet announced."""
    facet = tab.locator(f'#facet-lang a[data-value="{lang}"]')
    announced = int(facet.locator(".n").inner_text())
    facet.click()
    tab.wait_for_load_state("load")
    assert set(tab.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.lang)")) == {lang}
    assert tab.locator("li.hit").count() == announced


def test_search_filter_sort_open_and_page(server: Server, page: Watched, shots: Path) -> None:
    tab = page.page
    tab.goto(server.url)
    search_box(tab, "Kazakhstan")
    api = server.json("api/search?q=Kazakhstan")
    assert api["total"] >= 10
    expect(tab.locator("#total")).to_contain_text(f"{api['total']} article")
    assert hit_ids(tab) == [h["id"] for h in api["hits"]]
    assert tab.locator("li.hit mark").count() > 0  # highlighted snippets
    tab.screenshot(path=str(shots / "search.png"), full_page=True)

    # filter: a language facet narrows the list to that language, with the count it announced
    click_language_facet(tab, "fr")
    assert "lang=fr" in tab.url and "q=Kazakhstan" in tab.url
    # the other languages stay on offer, with their counts
    assert tab.locator('#facet-lang a[data-value="en"]').count() == 1

    # date range: the form keeps the query and the filter
    tab.fill('input[name="since"]', "2025-06-01")
    tab.press('input[name="since"]', "Enter")
    tab.wait_for_load_state("load")
    dates = tab.locator("li.hit time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert dates and all(d >= "2025-06-01" for d in dates)
    assert server.json("api/search?q=Kazakhstan&lang=fr&since=2025-06-01")["total"] == len(dates)

    # sort by date: newest first
    tab.goto(server.url + "?q=Kazakhstan")
    tab.click("#sort-date")
    tab.wait_for_load_state("load")
    dates = tab.locator("li.hit time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert len(dates) > 5 and dates == sorted(dates, reverse=True)
    # times are shown in the reader's zone, the source's own clock on hover
    first = tab.locator("li.hit time").first
    assert "GMT+5" in first.inner_text() or "+05" in first.inner_text()
    assert (first.get_attribute("title") or "").startswith("On the source's clock: ")

    # open an article: clean text with the query marked, metadata, original link
    title = tab.locator("li.hit a.title").first.inner_text()
    tab.locator("li.hit a.title").first.click()
    tab.wait_for_load_state("load")
    expect(tab.locator("#article-title")).to_have_text(title)
    assert tab.locator("#article-title mark, .text mark").count() > 0
    assert (tab.locator("#original").get_attribute("href") or "").startswith("http://127.0.0.1:")
    tab.screenshot(path=str(shots / "article.png"), full_page=True)
    assert not page.dialogs and not page.errors, (page.dialogs, page.errors)


def test_paging_walks_through_every_result(server: Server, page: Watched) -> None:
    tab = page.page
    tab.goto(server.url + "?sort=date")
    total = server.json("api/search")["total"]
    assert total > 20, "the sample crawl should fill more than one page"
    seen: list[str] = []
    while True:
        seen += hit_ids(tab)
        if tab.locator("#next").count() == 0:
            break
        tab.click("#next")
        tab.wait_for_load_state("load")
    assert len(seen) == len(set(seen)) == total
    tab.click("#prev")
    tab.wait_for_load_state("load")
    assert "page=" in tab.url or tab.locator("#prev").count() == 0
    assert not page.errors


def test_story_size_and_other_outlets(server: Server, page: Watched) -> None:
    tab = page.page
    tab.goto(server.url + "?q=" + urllib.request.quote('"bulk cargo"'))
    hits = tab.locator("li.hit")
    assert hits.count() == 2
    for i in range(2):
        expect(hits.nth(i).locator(".story")).to_have_text("story of 2")
    tab.locator('li.hit a.title', has_text="(wire)").click()
    tab.wait_for_load_state("load")
    others = tab.locator(".story-list li")
    expect(others).to_have_count(1)
    expect(others.first).to_contain_text(WIRE_OF)
    expect(others.first).to_contain_text("sample-steppe-en")
    api = server.json("api/search?q=" + urllib.request.quote('"bulk cargo"'))
    assert [h["story_size"] for h in api["hits"]] == [2, 2]
    assert len({h["story_id"] for h in api["hits"]}) == 1


def test_parse_error_is_shown_inline(server: Server, page: Watched, shots: Path) -> None:
    tab = page.page
    tab.goto(server.url)
    search_box(tab, "wheat AND Maroc OR Astana")
    error = tab.locator("#query-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("column")
    expect(error).to_contain_text("parentheses")
    expect(tab.locator("#q")).to_have_value("wheat AND Maroc OR Astana")  # kept for fixing
    assert tab.locator("li.hit").count() == 0
    status, _, body = server.get("api/search?q=%22unclosed")
    assert status == 400 and "column" in json.loads(body)["error"]


def test_arabic_items_render_right_to_left_among_left_to_right_ones(server: Server, page: Watched,
                                                                    shots: Path) -> None:
    tab = page.page
    tab.goto(server.url + "?q=Maroc%20OR%20المغرب%20OR%20Марокко")
    langs = tab.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.lang)")
    assert "ar" in langs and {"fr", "ru"} & set(langs)
    direction = "el => getComputedStyle(el).direction"
    arabic = tab.locator('li.hit[data-lang="ar"]').first
    assert arabic.locator("a.title").evaluate(direction) == "rtl"
    assert arabic.locator(".snippet").evaluate(direction) == "rtl"
    other = tab.locator('li.hit:not([data-lang="ar"])').first
    assert other.locator("a.title").evaluate(direction) == "ltr"
    # the Arabic title's right edge sits at the list's right edge (right-aligned), the other's left at its left
    box = arabic.locator("a.title").evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el); const b = r.getBoundingClientRect();"
        " const p = el.getBoundingClientRect(); return [b.right, p.right, b.left, p.left]; }")
    assert abs(box[0] - box[1]) < 2 and box[2] > box[3] + 20
    tab.screenshot(path=str(shots / "rtl.png"), full_page=True)


def test_no_script_runs_from_crawled_content(server: Server, page: Watched, shots: Path) -> None:
    tab = page.page
    tab.goto(server.url + "?q=leak")
    hit = tab.locator('li.hit[data-lang="en"]').first
    expect(hit.locator("a.title")).to_have_text(HOSTILE_TITLE)  # shown as text, literally
    assert tab.locator("li.hit img, li.hit script").count() == 0
    tab.screenshot(path=str(shots / "hostile-results.png"), full_page=True)
    hit.locator("a.title").click()
    tab.wait_for_load_state("load")
    expect(tab.locator("#article-title")).to_have_text(HOSTILE_TITLE)
    assert HOSTILE_TEXT.split("<script>")[0] in tab.locator(".text").inner_text()
    assert tab.locator("article img, article script").count() == 0
    assert tab.locator("#original").count() == 0  # a javascript: URL is never a link
    tab.screenshot(path=str(shots / "hostile-article.png"), full_page=True)
    # the query is echoed escaped too
    tab.goto(server.url + "?q=" + urllib.request.quote("\"<img src=x onerror=alert('q')>\""))
    assert tab.locator("main img").count() == 0
    tab.wait_for_timeout(200)
    assert page.dialogs == [] and page.errors == [], (page.dialogs, page.errors)
    status, headers, body = server.get("?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert status == 200 and b"<script>alert(1)" not in body and b"&lt;script&gt;alert(1)" in body
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]


def test_chart_counts_mentions_per_day_and_language(server: Server, page: Watched) -> None:
    tab = page.page
    tab.goto(server.url + "?q=Kazakhstan")
    bars = tab.locator("svg.chart rect title").evaluate_all("els => els.map(e => e.textContent)")
    assert bars
    counted: dict[str, int] = {}
    for text in bars:
        day, rest = text.split(" · ")
        lang, n = rest.split(": ")
        assert re.match(r"^\d{4}-\d{2}-\d{2}$", day)
        counted[lang] = counted.get(lang, 0) + int(n)
    facets = server.json("api/search?q=Kazakhstan")["facets"]
    assert counted == facets["lang"]  # every sample article is dated, so the bars add up to the facets


def test_alert_rules_runs_and_sources_pages(server: Server, page: Watched, shots: Path) -> None:
    tab = page.page
    tab.goto(server.url + "alerts")
    wheat = tab.locator("#rule-wheat")
    expect(wheat).to_contain_text("webhook")
    expect(wheat.locator("td .status")).to_have_text(["sent"])
    feed = tab.locator("#rule-astana-feed a.feed").get_attribute("href")
    status, headers, body = server.get(feed or "")
    assert status == 200 and headers["content-type"].startswith("application/atom+xml")
    assert body.count(b"<entry>") >= 1 and b"Astana" in body
    tab.screenshot(path=str(shots / "alerts.png"), full_page=True)
    tab.goto(server.url + "runs")
    names = tab.locator("table.sources tbody tr td:first-child").all_inner_texts()
    assert len(names) == len(server.json("api/sources")["sources"])
    assert {s["name"] for s in demo_sources("http://x")} | {"fixture-hostile", "fixture-wire"} == set(names)
    assert tab.locator("table.runs tbody tr").count() == len(server.json("api/runs"))
    expect(tab.locator("table.sources")).to_contain_text("partial")  # the hostile outlet's crawl
    tab.screenshot(path=str(shots / "runs.png"), full_page=True)
    assert not page.errors


# -- the API and the server ----------------------------------------------------------------------

def test_api_shapes(server: Server) -> None:
    result = server.json("api/search?q=Kazakhstan&sort=date&page=1")
    assert set(result) >= {"total", "hits", "facets"}
    assert set(result["facets"]) == {"lang", "source", "topic", "days"}
    hit = result["hits"][0]
    assert set(hit) >= {"id", "url", "title", "source", "lang", "published_at", "snippet"}
    article = server.json(f"api/articles/{hit['id']}")
    assert article["title"] == hit["title"] and article["text"]
    assert server.get("api/articles/nope")[0] == 404
    runs = server.json("api/runs")
    assert runs and {"id", "source", "status", "pages_fetched", "articles_stored"} <= set(runs[0])
    schema = server.json("openapi.json")
    assert {"/api/search", "/api/articles/{article_id}", "/api/runs", "/api/sources"} <= set(schema["paths"])
    assert server.get("docs")[0] == 404  # the Swagger page would load from a CDN


def test_read_only(server: Server) -> None:
    db = server.data / "newsmon.db"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for path in ("", "?q=Kazakhstan", "runs", "alerts", "api/search", "api/runs", "api/sources"):
        assert server.get(path)[0] == 200, path
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert server.get("api/search", method=method)[0] == 405
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_other_address_needs_a_token(store_dir: tuple[Path, Path, Path]) -> None:
    data = store_dir[0]
    env = {k: v for k, v in os.environ.items() if k != "NEWSMON_SERVE_TOKEN"}
    refused = subprocess.run([sys.executable, "-m", "newsmon.cli", "serve", "--data", str(data), "--host", "0.0.0.0",
                              "--port", "0"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=30)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "NEWSMON_SERVE_TOKEN" in refused.stderr

    proc = start_server("--data", str(data), "--host", "0.0.0.0", env={"NEWSMON_SERVE_TOKEN": "s3cret-token"})
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://0.0.0.0:")
        local = Server(url.replace("0.0.0.0", "127.0.0.1"), data, proc)
        assert local.get("api/runs")[0] == 401
        assert local.get("api/runs", {"Authorization": "Bearer wrong"})[0] == 401
        assert local.get("api/runs", {"Authorization": "Bearer s3cret-token"})[0] == 200
        # a browser opens the page once with ?token=: a cookie, and the token leaves the address bar
        host, port = url.removeprefix("http://").rstrip("/").split(":")
        conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=20)
        try:
            conn.request("GET", "/?q=Maroc&token=s3cret-token")
            response = conn.getresponse()
            response.read()
            assert response.status == 303 and response.getheader("location") == "/?q=Maroc"
            cookie = response.getheader("set-cookie") or ""
            assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
            conn.request("GET", "/?q=Maroc", headers={"Cookie": cookie.split(";")[0]})
            page = conn.getresponse()
            assert page.status == 200 and b'id="total"' in page.read()
            conn.request("GET", "/?token=wrong")
            wrong = conn.getresponse()
            wrong.read()
            assert wrong.status == 401
        finally:
            conn.close()
    finally:
        stop(proc)
    assert "s3cret-token" not in (proc.stdout.read() if proc.stdout and not proc.stdout.closed else "")


def test_missing_store_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run_newsmon("serve", "--data", str(tmp_path / "none"), "--port", "0")
    assert result.code == 2 and result.stderr.count("\n") == 1 and "no database yet" in result.stderr
