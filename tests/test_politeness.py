"""Politeness: blocked hosts are retried slowly and counted; a source's delay is kept.

Crawl tests read the sample site's own log of request times (server side), so "the crawler
waited" is measured where it matters. Backoff constants are shrunk for the crawls through a
settings module written to a temporary directory (SCRAPY_SETTINGS_MODULE), the way a user
would tune them.
"""

from __future__ import annotations

import json
import urllib.request
import time
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from crawler.backoff import BackoffMiddleware, HostBlocked, backoff_delay, retry_after_seconds
from tests.conftest import Served, run_newsmon, write_sources


def hits(site: Served, **query: str) -> list[float]:
    key, value = next(iter(query.items()))
    with urllib.request.urlopen(f"{site.url}/blocked/any/hits?{key}={value}") as resp:
        return json.loads(resp.read())


def gaps(times: list[float]) -> list[float]:
    times = sorted(times)
    return [b - a for a, b in zip(times, times[1:])]


def settings_env(tmp_path: Path, **values: object) -> dict[str, str]:
    lines = ["from settings.scrapy_settings import *  # noqa"] + [f"{k} = {v!r}" for k, v in values.items()]
    (tmp_path / "polite_settings.py").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"SCRAPY_SETTINGS_MODULE": "polite_settings", "PYTHONPATH": f"{tmp_path}"}


def runs(data: Path) -> dict[str, dict]:
    out = run_newsmon("runs", "--json", "--data", str(data))
    assert out.code == 0, out.stderr
    return {r["source"]: r["stats"] for r in json.loads(out.stdout)}


def export(data: Path) -> list[dict]:
    out = run_newsmon("export", "--data", str(data))
    return [json.loads(line) for line in out.stdout.splitlines()]


# -- pure parts -----------------------------------------------------------------------------------

def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(b"7", now) == 7
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert retry_after_seconds(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


def test_backoff_doubles_up_to_the_cap():
    assert [backoff_delay(n, 10, 60) for n in range(5)] == [10, 20, 40, 60, 60]


class FakeCrawler:
    """Just what the middleware touches: stats."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.stats = SimpleNamespace(inc_value=lambda k, n=1: self.values.__setitem__(k, self.values.get(k, 0) + n))


def answer(request: Request, status: int, headers: dict | None = None) -> HtmlResponse:
    return HtmlResponse(request.url, status=status, headers=headers or {}, body=b"<html></html>", request=request)


def test_middleware_paces_retries_then_gives_up_and_stops_hitting_the_host():
    crawler = FakeCrawler()
    mw = BackoffMiddleware(crawler, base_delay=4, max_delay=60, max_retries=2, host_give_up=1)  # type: ignore[arg-type]
    request = Request("https://news.example/a", meta={"source": "desk"})
    retry = mw.process_response(request, answer(request, 429, {"Retry-After": "30"}))
    assert isinstance(retry, Request) and retry.dont_filter and retry.meta["newsmon_backoff_tries"] == 1
    assert mw._paused_until["news.example"] - time.monotonic() > 29  # the whole host waits, as asked
    again = mw.process_response(retry, answer(retry, 403))
    assert isinstance(again, Request)
    assert mw._paused_until["news.example"] > 0
    final = mw.process_response(again, answer(again, 403))
    assert final.status == 403 and again.meta["dont_retry"]  # handed back: counted once as an error
    assert crawler.values == {"newsmon/source/desk/blocked/429": 1, "newsmon/source/desk/blocked/403": 2}
    import asyncio

    with pytest.raises(HostBlocked):
        asyncio.run(mw.process_request(Request("https://news.example/b", meta={"source": "desk"})))


def test_middleware_leaves_other_answers_alone_and_refuses_long_waits():
    crawler = FakeCrawler()
    mw = BackoffMiddleware(crawler, base_delay=4, max_delay=60, max_retries=3)  # type: ignore[arg-type]
    request = Request("https://news.example/a", meta={"source": "desk"})
    for status in (200, 404, 500, 503):
        response = answer(request, status)
        assert mw.process_response(request, response) is response  # 503 without Retry-After: Scrapy's retry
    ban = answer(request, 429, {"Retry-After": "86400"})
    assert mw.process_response(request, ban) is ban  # asked to come back tomorrow: not in this crawl


# -- real crawls ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def blocked_crawl(sample_site: Served, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    tmp = tmp_path_factory.mktemp("polite")
    run = uuid.uuid4().hex[:8]
    sources = write_sources(tmp / "sources.yaml", [{
        "name": "blocky", "language": "en", "feeds": [f"{sample_site.url}/blocked/{run}/feed/"],
        "delay": 0, "concurrency": 4,
    }])
    env = settings_env(tmp, NEWSMON_BACKOFF_BASE_DELAY=0.5, NEWSMON_BACKOFF_MAX_RETRIES=2)
    result = run_newsmon("crawl", "--sources", str(sources), "--data", str(tmp / "data"), "--max-age", "0",
                         "--json", env=env)
    base = f"/blocked/{run}"
    return SimpleNamespace(result=result, data=tmp / "data", base=base, stats=runs(tmp / "data")["blocky"],
                           stored={a["url"].split(base, 1)[-1]: a for a in export(tmp / "data")})


def test_rate_limited_article_arrives_after_waiting_as_asked(blocked_crawl, sample_site):
    assert blocked_crawl.result.code == 0, blocked_crawl.result.stderr
    assert "/ratelimited/2/1/story.html" in blocked_crawl.stored
    times = hits(sample_site, path=f"{blocked_crawl.base}/ratelimited/2/1/story.html")
    assert len(times) == 3  # two 429s, then the page
    assert all(gap >= 0.95 for gap in gaps(times)), gaps(times)  # Retry-After: 1
    assert blocked_crawl.stats["blocked/429"] == 2


def test_retry_after_as_http_date_is_honoured(blocked_crawl, sample_site):
    assert "/unavailable/1/2/story.html" in blocked_crawl.stored
    times = hits(sample_site, path=f"{blocked_crawl.base}/unavailable/1/2/story.html")
    assert len(times) == 2 and gaps(times)[0] >= 0.95, times  # "now + 2 s" in whole seconds: at least 1 s
    assert blocked_crawl.stats["blocked/503"] == 1


def test_forbidden_is_retried_with_growing_pauses_then_counted_once(blocked_crawl, sample_site):
    times = hits(sample_site, path=f"{blocked_crawl.base}/forbidden/story.html")
    assert len(times) == 3  # first try + NEWSMON_BACKOFF_MAX_RETRIES
    first, second = gaps(times)
    assert first >= 0.45 and second >= 0.95, (first, second)  # 0.5 s, then 1 s
    stats = blocked_crawl.stats
    assert stats["blocked/403"] == 3 and stats["error/http_403"] == 1 and stats["errors"] == 1
    assert "/forbidden/story.html" not in blocked_crawl.stored


def test_source_delay_is_kept_between_requests(sample_site: Served, tmp_path: Path):
    """AutoThrottle must not shrink a source's configured delay (it floors at the global one)."""
    feeds = [f"{sample_site.url}/quirks/{kind}/feed/" for kind in ("title", "date", "body")]
    sources = write_sources(tmp_path / "s.yaml", [{
        "name": "slow-desk", "language": "en", "timezone": "Africa/Casablanca", "feeds": feeds,
        "delay": 1.2, "concurrency": 2,
    }])
    before = set(hits(sample_site, prefix="/quirks/"))
    out = run_newsmon("crawl", "--sources", str(sources), "--data", str(tmp_path / "d"), "--max-age", "0",
                      "--keep-all", "--json")
    assert out.code == 0, out.stderr
    times = [t for t in hits(sample_site, prefix="/quirks/") if t not in before]
    assert len(times) == 6  # three feeds, three articles
    assert min(gaps(times)) >= 0.55, gaps(times)  # 1.2 s ± 50 % jitter
