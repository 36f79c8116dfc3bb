"""Crawled text reaches no terminal or spreadsheet as something to run: CSV formula injection
(Medium 2), raw escapes in `crawl -v` logs (Low), bidi controls in JSON output (Low)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.conftest import run_newsmon
from tests.hostile.measure import crawl
from tests.hostile.pages import NOW, article, rss
from tests.hostile.server import Reply, serving

FORMULA = '=HYPERLINK("http://evil.example/","Casablanca grain ship docks")'
RLO = "\u202e"


def route(path: str, query: dict[str, str]) -> Reply:
    if path == "/feed.xml":
        return Reply(rss([("/news/1.html", "one", NOW), ("/news/2.html", "two", NOW), ("/file.bin", "bin", NOW)]),
                     content_type="application/rss+xml")
    if path == "/news/1.html":
        return Reply(article(1, title=FORMULA))
    if path == "/news/2.html":
        page = article(2).decode().replace("Report 2.", f"Report 2 {RLO}txt.exe{RLO} from the quay.")
        return Reply(page.encode())
    if path == "/file.bin":  # an escape sequence in a header, quoted by the -v log line
        return Reply(b"\x00\x01binary", content_type="application/x-\x1b]0;pwned\x07\x1b[31mred")
    return Reply(b"not found", status=404)


def test_crawled_text_is_shown_not_run(tmp_path: Path) -> None:
    with serving(route) as site:
        out = crawl([{"name": "news", "language": "en", "feeds": [site.url + "/feed.xml"]}], tmp_path,
                    "--keep-all", "-v")
    assert out.code == 0, out.stderr
    assert "not HTML" in out.stderr  # the line that quotes the header is there …
    assert "\x1b" not in out.stderr and "\x07" not in out.stderr  # … without its escapes
    data = str(tmp_path / "data")

    rows = list(csv.DictReader(io.StringIO(run_newsmon("export", "--format", "csv", "--data", data).stdout)))
    titles = sorted(r["title"] for r in rows)
    assert len(rows) == 2 and "'" + FORMULA in titles  # shown as text by a spreadsheet

    jsonl = run_newsmon("export", "--data", data).stdout
    assert RLO not in jsonl and "txt.exe" in jsonl  # dropped by the text cleaner, or escaped by the writer
    searched = run_newsmon("search", "quay", "--json", "--data", data).stdout
    assert RLO not in searched


def test_json_writers_escape_bidi_and_c1_controls() -> None:
    import json

    from newsmon.commands.common import csv_cell, json_text

    value = {"title": f"a{RLO}b\x85c\u2066d\nz"}
    text = json_text(value)
    assert RLO not in text and "\x85" not in text and "\u2066" not in text
    assert json.loads(text) == value  # the same JSON value, only escaped
    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "ok", 5)] == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "ok", 5]
