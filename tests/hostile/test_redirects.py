"""Medium 9: a source whose link redirects to another source's article does not take it over."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_newsmon
from tests.hostile.measure import crawl
from tests.hostile.pages import NOW, article, rss
from tests.hostile.server import Reply, serving


def test_a_redirect_into_another_source_stores_the_article_under_that_source(tmp_path: Path) -> None:
    # one server, two names: "127.0.0.1" is the outlet, "localhost" the site that redirects into it
    def route(path: str, query: dict[str, str]) -> Reply:
        if path == "/outlet.xml":
            return Reply(rss([("/news/2.html", "Story 2", NOW)]), content_type="application/rss+xml")
        if path == "/mirror.xml":
            return Reply(rss([("/go/1", "Story 1", NOW), ("/go/elsewhere", "Story 9", NOW)]),
                         content_type="application/rss+xml")
        if path == "/go/1":
            return Reply(status=302, headers={"Location": f"{outlet}/news/1.html"})
        if path == "/go/elsewhere":
            return Reply(status=302, headers={"Location": f"{outlet.replace('127.0.0.1', '127.0.0.3')}/news/9.html"})
        if path.startswith("/news/"):
            return Reply(article(int(path.rsplit("/", 1)[1].split(".")[0])))
        return Reply(b"not found", status=404)

    with serving(route) as site:
        outlet = site.url
        mirror = site.url.replace("127.0.0.1", "localhost")
        out = crawl([{"name": "outlet", "language": "en", "feeds": [outlet + "/outlet.xml"]},
                     {"name": "mirror", "language": "en", "feeds": [mirror + "/mirror.xml"]}], tmp_path, "--keep-all",
                    # on loopback every host is private, and each source is exempt only on its own origin:
                    # the guard (tested in test_guard.py) would refuse the redirect before ownership is judged
                    "-s", "NEWSMON_BLOCK_PRIVATE_ADDRESSES=false")
    assert out.code == 0, out.stderr
    stored = {json.loads(line)["url"]: json.loads(line)["source"]
              for line in run_newsmon("export", "--data", str(tmp_path / "data")).stdout.splitlines()}
    assert stored == {f"{outlet}/news/1.html": "outlet", f"{outlet}/news/2.html": "outlet"}, out.stdout
    summary = out.summary()
    assert summary["mirror"]["reasons"]["skipped/redirected_to_other_source"] == 1
    assert summary["mirror"]["new"] == 0 and summary["outlet"]["new"] == 2
    # the redirect to a host no source has is not stored under anyone, and is counted
    elsewhere = {k: v for k, v in summary["mirror"]["reasons"].items() if k != "skipped/redirected_to_other_source"}
    assert sum(elsewhere.values()) == 1, summary["mirror"]["reasons"]
