"""High 3 (the part outside the page classifier): every drop is counted by reason in the crawl's
summary, a page dropped for a reason that may hide an article is quarantined, `newsmon runs
--dropped` lists it, and a later crawl fetches it again — even once the feed no longer lists it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_newsmon
from tests.hostile.measure import crawl
from tests.hostile.pages import NOW, article, rss
from tests.hostile.server import Reply, serving

CHALLENGE = b"""<!doctype html><html><head><title>Just a moment...</title></head><body>
<form id="challenge-form" action="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1">
<noscript>Enable JavaScript and cookies to continue</noscript></form></body></html>"""


def test_a_challenged_page_is_quarantined_listed_and_fetched_again(tmp_path: Path) -> None:
    state = {"challenge": True, "listed": [1, 2]}

    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/feed.xml":
            return Reply(rss((f"/news/{i}.html", f"Story {i}", NOW) for i in state["listed"]),
                         content_type="application/rss+xml")
        if path == "/news/2.html" and state["challenge"]:
            return Reply(CHALLENGE)
        if path.startswith("/news/"):
            return Reply(article(int(path.rsplit("/", 1)[1].split(".")[0])))
        return Reply(b"not found", status=404)

    data = str(tmp_path / "data")
    with serving(route) as site:
        source = [{"name": "news", "language": "en", "feeds": [site.url + "/feed.xml"]}]
        first = crawl(source, tmp_path, "--keep-all")
        assert first.code == 0, first.stderr
        row = first.summary()["news"]
        assert row["new"] == 1 and row["quarantined"] == 1
        (reason,) = [k for k in row["reasons"] if k.startswith("dropped/")]  # counted, by reason
        assert "challenge" in reason
        assert "1 page(s) dropped as not articles were quarantined" in first.stderr

        listed = json.loads(run_newsmon("runs", "--dropped", "--json", "--data", data).stdout)
        assert [(p["url"], p["source"], p["attempts"]) for p in listed] == [(f"{site.url}/news/2.html", "news", 1)]
        assert "challenge" in listed[0]["reason"]

        # the challenge is gone and the feed has moved on: the quarantine alone brings the page back
        state.update(challenge=False, listed=[3])
        second = crawl(source, tmp_path, "--keep-all")
    assert second.code == 0, second.stderr
    stored = {json.loads(l)["url"] for l in run_newsmon("export", "--data", data).stdout.splitlines()}
    assert stored == {f"{site.url}/news/{i}.html" for i in (1, 2, 3)}
    assert json.loads(run_newsmon("runs", "--dropped", "--json", "--data", data).stdout) == []


LOGIN_PAGE = b"""<!doctype html><html lang="en"><head><title>Sign in</title></head><body><main><article>
<h1>Sign in to keep reading</h1><p>This story is for subscribers. Sign in with your account to read
the whole article, or start a subscription today to get unlimited access to every story, the
newsletter and the archive. Subscribers also get the morning briefing and the weekend edition.</p>
<form action="/login" method="post"><input name="user"><input name="password" type="password"></form>
<p>Forgot your password? Write to the help desk and we will answer within one working day.</p>
</article></main></body></html>"""


def test_a_login_wall_is_quarantined_not_stored(tmp_path: Path) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/feed.xml":
            return Reply(rss([("/news/1.html", "Story 1", NOW), ("/news/2.html", "Story 2", NOW)]),
                         content_type="application/rss+xml")
        if path == "/news/2.html":
            return Reply(status=302, headers={"Location": "/account/login?next=/news/2.html"})
        if path == "/account/login":
            return Reply(LOGIN_PAGE)
        if path.startswith("/news/"):
            return Reply(article(1))
        return Reply(b"not found", status=404)

    data = str(tmp_path / "data")
    with serving(route) as site:
        out = crawl([{"name": "news", "language": "en", "feeds": [site.url + "/feed.xml"]}], tmp_path, "--keep-all")
    assert out.code == 0, out.stderr
    row = out.summary()["news"]
    assert row["new"] == 1 and row["reasons"]["dropped/login_wall"] == 1 and row["quarantined"] == 1
    titles = [json.loads(l)["title"] for l in run_newsmon("export", "--data", data).stdout.splitlines()]
    assert "Sign in to keep reading" not in titles
    (listed,) = json.loads(run_newsmon("runs", "--dropped", "--json", "--data", data).stdout)
    assert listed["reason"] == "login_wall" and listed["url"] == f"{site.url}/news/2.html"
