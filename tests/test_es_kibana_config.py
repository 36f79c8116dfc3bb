"""Kibana saved-objects import and the Elasticsearch settings (env, settings block, secrets)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import regex

from newsmon.es import mapping
from newsmon.es.config import load_settings
from newsmon.es.kibana import DASHBOARD_ID, DATA_VIEW_ID, NDJSON_FILE, SEARCH_TITLE, build_ndjson
from newsmon.yamlconf import ConfigError
from tests.conftest import run_newsmon


class FakeKibana:
    """Answers POST /api/saved_objects/_import like Kibana 8/9, and keeps what it received."""

    def __init__(self, status: int = 200, answer: dict | None = None):
        self.received: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.received.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": body})
                if "kbn-xsrf" not in {k.lower() for k in self.headers}:
                    code, data = 400, {"statusCode": 400, "message": "Request must contain a kbn-xsrf header."}
                else:
                    code, data = status, answer or {"success": True, "successCount": 6, "successResults": []}
                raw = json.dumps(data).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *a: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakeKibana":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def settings_env(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "newsmon.yaml"
    path.write_text("other_block: {x: 1}\n", encoding="utf-8")
    return {"NEWSMON_SETTINGS": str(path), "NEWSMON_ES_URL": "", "NEWSMON_ES_API_KEY": "", "NEWSMON_ES_USER": "",
            "NEWSMON_ES_PASSWORD": "", "NEWSMON_KIBANA_URL": ""}


def _file_part(body: bytes) -> tuple[str, bytes]:
    m = re.search(rb'Content-Disposition: form-data; name="file"; filename="([^"]+)"\r\n(?:[^\r\n]+\r\n)*\r\n(.*)\r\n--',
                  body, re.S)
    assert m, body[:300]
    return m.group(1).decode(), m.group(2)


def test_the_repo_ndjson_is_what_the_code_builds() -> None:
    assert NDJSON_FILE.read_text(encoding="utf-8") == build_ndjson()


def test_saved_objects_content() -> None:
    objects = {o["id"]: o for o in map(json.loads, NDJSON_FILE.read_text(encoding="utf-8").splitlines())}
    view = objects[DATA_VIEW_ID]
    assert view["type"] == "index-pattern"
    assert view["attributes"] == {"title": "newsmon-articles", "name": "newsmon articles", "timeFieldName": "published_at"}
    search = next(o for o in objects.values() if o["type"] == "search")
    assert search["attributes"]["title"] == SEARCH_TITLE == "Morocco–Kazakhstan mentions"
    dash = objects[DASHBOARD_ID]
    refs = {r["name"]: r["id"] for r in dash["references"]}
    panels = json.loads(dash["attributes"]["panelsJSON"])
    assert [p["panelRefName"] for p in panels] == list(refs)
    assert all(rid in objects for rid in refs.values())  # every panel's object is in the file
    titles = {objects[rid]["attributes"]["title"] for rid in refs.values()}
    assert titles == {"Mentions over time by language", "Top sources", "Matched terms", SEARCH_TITLE}
    fields = set(mapping.article_properties())
    for obj in objects.values():
        if obj["type"] == "visualization":
            for agg in json.loads(obj["attributes"]["visState"])["aggs"]:
                field = agg["params"].get("field")
                assert field is None or field.split(".")[0] in fields, field  # only mapped fields


def test_kibana_setup_sends_exactly_the_repo_file(settings_env: dict[str, str]) -> None:
    with FakeKibana() as kibana:
        result = run_newsmon("kibana", "setup", "--kibana-url", kibana.url, env=settings_env)
    assert result.code == 0, result.stderr
    assert "imported 6 saved objects" in result.stdout
    (req,) = kibana.received
    assert req["path"] == "/api/saved_objects/_import?overwrite=true"
    assert "kbn-xsrf" in req["headers"] and req["headers"]["content-type"].startswith("multipart/form-data")
    name, content = _file_part(req["body"])
    assert name == "newsmon.ndjson" and content == NDJSON_FILE.read_bytes()


def test_kibana_setup_reports_import_errors_and_auth(settings_env: dict[str, str]) -> None:
    answer = {"success": False, "successCount": 0,
              "errors": [{"id": DASHBOARD_ID, "type": "dashboard", "error": {"type": "missing_references"}}]}
    with FakeKibana(answer=answer) as kibana:
        result = run_newsmon("kibana", "setup", "--kibana-url", kibana.url, env=settings_env)
    assert result.code == 2 and "missing_references" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    with FakeKibana() as kibana:
        env = {**settings_env, "NEWSMON_ES_URL": "http://127.0.0.1:9", "NEWSMON_ES_API_KEY": "s3cr3t-api-key"}
        result = run_newsmon("kibana", "setup", "--kibana-url", kibana.url, env=env)
        assert result.code == 0 and kibana.received[0]["headers"]["authorization"] == "ApiKey s3cr3t-api-key"
    closed = run_newsmon("kibana", "setup", "--kibana-url", "http://127.0.0.1:9", env=env)
    assert closed.code == 2 and "cannot reach Kibana" in closed.stderr and "s3cr3t" not in closed.stderr


# -- settings --------------------------------------------------------------------------------

def test_not_configured_without_a_url(tmp_path: Path) -> None:
    assert load_settings({"NEWSMON_SETTINGS": str(_write(tmp_path, "elasticsearch:\n  alias: x\n"))}) is None
    assert load_settings({"NEWSMON_SETTINGS": str(_write(tmp_path, "# nothing\n"))}) is None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "newsmon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_settings_block_and_env_precedence(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    path = _write(tmp_path, f"elasticsearch:\n  url: https://es.example:9200\n  ca_certs: {ca}\n  alias: news-a\n")
    env = {"NEWSMON_SETTINGS": str(path)}
    s = load_settings(env)
    assert s is not None and s.url == "https://es.example:9200" and s.block.ca_certs == str(ca)
    assert s.block.verify_certs is True and s.block.alias == "news-a" and s.auth_kind == "no credentials"
    s = load_settings({**env, "NEWSMON_ES_URL": "https://other:9201", "NEWSMON_ES_API_KEY": "k"})
    assert s.url == "https://other:9201" and s.api_key == "k" and s.origin == "NEWSMON_ES_URL"


def test_secrets_in_the_settings_file_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "elasticsearch:\n  url: https://es.example:9200\n  password: hunter2\n")
    with pytest.raises(ConfigError) as err:
        load_settings({"NEWSMON_SETTINGS": str(path)})
    assert f"{path}:3" in str(err.value) and "environment" in str(err.value) and "hunter2" not in str(err.value)


@pytest.mark.parametrize(("text", "message"), [
    ("elasticsearch:\n  url: ftp://x\n", "not an http(s) URL"),
    ("elasticsearch:\n  url: https://x\n  verify: false\n", "verify"),
    ("elasticsearch:\n  url: https://x\n  ca_certs: /nonexistent/ca.crt\n", "CA certificate file not found"),
])
def test_bad_settings_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings({"NEWSMON_SETTINGS": str(_write(tmp_path, text))})


def test_bad_settings_exit_2_in_the_cli(tmp_path: Path) -> None:
    path = _write(tmp_path, "elasticsearch:\n  url: https://x\n  api_key: abc\n")
    result = run_newsmon("es", "status", env={"NEWSMON_SETTINGS": str(path), "NEWSMON_ES_URL": ""})
    assert result.code == 2 and "secrets go in the environment" in result.stderr and "abc" not in result.stderr


# -- the Kazakh analyzer's patterns (Java and Python regex agree on these constructs) ----------

@pytest.mark.parametrize(("word", "stem"), [
    ("қазақстанның", "қазақстан"), ("қазақстанда", "қазақстан"), ("қазақстанмен", "қазақстан"),
    ("қазақстан", "қазақстан"), ("мароккода", "марокко"), ("мароккомен", "марокко"),
    ("елдерге", "елдер"), ("делегациялар", "делегация"), ("ол", "ол"), ("бен", "бен"),
])
def test_kazakh_analyzer_patterns(word: str, stem: str) -> None:
    out = regex.sub(mapping.KAZAKH_CASE_PATTERN, r"\1", word)
    out = regex.sub(mapping.KAZAKH_PLURAL_PATTERN, r"\1", out)
    assert out == stem
    analyzer = mapping.index_settings()["analysis"]["analyzer"][mapping.KAZAKH_ANALYZER]
    assert analyzer["filter"] == ["lowercase", "newsmon_kazakh_stop", "newsmon_kazakh_case", "newsmon_kazakh_plural"]


# -- deployment and documents ----------------------------------------------------------------

def test_compose_file_runs_es9_and_kibana9_with_security_and_an_es8_profile() -> None:
    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parent.parent / "deploy" / "docker-compose.yml").read_text())
    services = compose["services"]
    default = {name for name, svc in services.items() if not svc.get("profiles")}
    assert default == {"setup", "es", "kibana"}
    assert ":-9." in services["es"]["image"] and ":-9." in services["kibana"]["image"]
    assert {name for name, svc in services.items() if "es8" in svc.get("profiles", [])} == {"es8", "kibana8"}
    assert ":-8.19." in services["es8"]["image"] and ":-8.19." in services["kibana8"]["image"]
    for name in ("es", "es8"):
        env = services[name]["environment"]
        assert env["xpack.security.enabled"] == "true" and env["xpack.security.http.ssl.enabled"] == "true"
        assert services[name]["ports"] == ["127.0.0.1:9200:9200"]  # not exposed beyond the machine


def test_token_fields_hold_exactly_the_shared_analysis() -> None:
    from newsmon.sample_site.catalog import load_articles
    from pipelines import analysis

    for art in load_articles():
        doc = mapping.article_document({"id": art.slug, "title": art.title, "text": art.text, "lang": art.lang})
        assert doc["terms"][f"text_{art.lang}"] == " ".join(analysis.analyze(art.text, art.lang))
        assert doc["terms"][f"title_{art.lang}"] == " ".join(analysis.analyze(art.title, art.lang))
        assert doc["terms"]["text_any"] == " ".join(analysis.analyze(art.text, None))
        assert set(doc["terms"]) == {"title_any", "text_any", f"title_{art.lang}", f"text_{art.lang}"}
