"""TLS to Elasticsearch: verification is on by default, and a CA file makes it pass.

The fake cluster (tests/es_fake.py, answering like ES 9) serves HTTPS with a certificate made
here by the openssl command line for 127.0.0.1; nothing is mocked on the client side.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsmon.es.client import connect
from newsmon.es.config import load_settings
from newsmon.es.errors import EsError
from tests.conftest import run_newsmon
from tests.es_fake import FakeES
from tests.test_es_contract import _empty_settings

API_KEY = "c2VjcmV0LWtleS1uZXZlci1wcmludGVk"


@pytest.fixture
def https_fake(tmp_path: Path) -> Iterator[tuple[FakeES, str, Path]]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    fake = FakeES(9, api_key=API_KEY)
    fake.server.socket = context.wrap_socket(fake.server.socket, server_side=True)
    with fake:
        yield fake, f"https://127.0.0.1:{fake.server.server_address[1]}", cert


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, https_fake: tuple[FakeES, str, Path]) -> dict[str, str]:
    _, url, _ = https_fake
    for name in ("NEWSMON_ES_USER", "NEWSMON_ES_PASSWORD", "NEWSMON_ES_CA_CERTS"):
        monkeypatch.delenv(name, raising=False)
    values = {"NEWSMON_ES_URL": url, "NEWSMON_ES_API_KEY": API_KEY,
              "NEWSMON_SETTINGS": str(_empty_settings(tmp_path))}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_an_unknown_certificate_is_refused_by_default(https_fake: tuple[FakeES, str, Path], env: dict[str, str],
                                                      tmp_path: Path) -> None:
    fake, url, _ = https_fake
    with pytest.raises(EsError) as caught:
        connect(load_settings(), max_retries=0)
    message = str(caught.value)
    assert message.startswith(f"{url}:") and "TLS error" in message and "NEWSMON_ES_CA_CERTS" in message
    assert not fake.requests, "a request reached the server over an unverified connection"
    out = run_newsmon("es", "status", "--data", str(tmp_path / "data"), env=env)
    assert out.code == 2
    (line,) = out.stderr.strip().splitlines()
    assert "TLS error" in line and API_KEY not in out.stderr + out.stdout


def test_the_ca_file_makes_it_pass(https_fake: tuple[FakeES, str, Path], env: dict[str, str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake, url, cert = https_fake
    monkeypatch.setenv("NEWSMON_ES_CA_CERTS", str(cert))
    with connect(load_settings()) as conn:
        assert conn.version == fake.version and conn.settings.url == url
    assert fake.requests and fake.requests[0].headers["authorization"] == f"ApiKey {API_KEY}"
