"""``newsmon extract``: one JSON record per page, the same stages a crawl runs; one-line errors."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsmon.cli import main

CORPUS = Path(__file__).parent / "fixtures" / "extract"
FIELDS = {"title", "text", "lang", "published_at", "modified_at", "date_source", "canonical_url",
          "relevant", "topics", "matched_terms"}


def golden(name: str) -> tuple[bytes, dict]:
    spec = CORPUS / f"{name}.json"
    return gzip.decompress(spec.with_suffix(".html.gz").read_bytes()), json.loads(spec.read_text(encoding="utf-8"))


@pytest.fixture
def saved(tmp_path):
    def save(name: str) -> tuple[Path, dict]:
        body, record = golden(name)
        path = tmp_path / (name.replace("/", "_") + ".html")
        path.write_bytes(body)
        return path, record
    return save


def invoke(*args: str):
    return CliRunner().invoke(main, ["extract", *map(str, args)])


def test_local_file_with_url_prints_the_stored_record(saved):
    path, record = saved("steppe-ru/astana-rabat-vizy")
    meta, want = record["meta"], record["expected"]
    result = invoke(path, "--url", meta["url"], "--tz", meta["timezone"], "--fetched-at", meta["fetched_at"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert FIELDS <= set(out)
    assert "html" not in out
    assert (out["title"], out["text"], out["lang"]) == (want["title"], want["text"], want["lang"])
    # The golden record keeps the instant in UTC; published_at keeps the page's own clock: its
    # byline shows 21:40 beside the machine-readable 16:40Z (Almaty, UTC+5).
    assert out["published_utc"] == want["published_at"]
    assert out["published_at"] == "2025-01-27T21:40:00+05:00"
    assert out["canonical_url"] == want["canonical_url"]


def test_cp1251_page_without_header_decodes(saved):
    path, record = saved("steppe-ru/marokko-udobreniya-cp1251")
    result = invoke(path, "--url", record["meta"]["url"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == record["expected"]["title"]


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"", "empty page"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj", "not an HTML page"),
])
def test_errors_are_one_line_and_exit_1(tmp_path, content, message):
    path = tmp_path / "page.html"
    if content is not None:
        path.write_bytes(content)
    result = invoke(path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert message in result.stderr and result.stderr.count("\n") == 1


def test_listing_page_is_refused(saved):
    path, record = saved("steppe-en/_home")
    result = invoke(path, "--url", record["meta"]["url"])
    assert result.exit_code == 1
    assert "not an article (listing)" in result.stderr


class _Handler(BaseHTTPRequestHandler):
    pages: dict[str, tuple[bytes, str]] = {}

    def do_GET(self):  # noqa: N802 - http.server API
        body, ctype = self.pages.get(self.path, (b"gone", "text/plain"))
        self.send_response(200 if self.path in self.pages else 404)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    body, record = golden("atlas-fr/accord-exemption-visas")
    _Handler.pages = {"/a/": (body, record["meta"]["content_type"])}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", record
    httpd.shutdown()
    httpd.server_close()


def test_url_is_fetched_and_extracted(server):
    base, record = server
    result = invoke(f"{base}/a/", "--tz", "Africa/Casablanca")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["title"] == record["expected"]["title"]
    assert out["text"] == record["expected"]["text"]


def test_unreachable_url_and_http_errors(server):
    base, _ = server
    result = invoke(f"{base}/missing/")
    assert result.exit_code == 1 and "HTTP 404" in result.stderr


def test_unknown_topic_is_an_error(saved):
    path, record = saved("steppe-ru/astana-rabat-vizy")
    result = invoke(path, "--url", record["meta"]["url"], "--topic", "no-such-topic")
    assert result.exit_code == 1 and "unknown topic 'no-such-topic'" in result.stderr


def test_topic_option_restricts_matching(saved):
    path, record = saved("steppe-en/cyber-police-interpol")
    result = invoke(path, "--url", record["meta"]["url"], "--topic", "morocco-kazakhstan")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out["topics"]) <= {"morocco-kazakhstan"}


def test_command_has_help():
    result = invoke("--help")
    assert result.exit_code == 0 and "--fetched-at" in result.output and "--topic" in result.output
