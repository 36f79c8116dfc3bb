"""Connecting: one client line for both server majors, the server's version read at connect.

The 8.x Python client sends ``compatible-with=8``, which ES 8 and ES 9 both accept; the 9.x
client sends ``compatible-with=9``, which ES 8 refuses with 400 "Invalid media-type value"
(elasticsearch-py #2928). requirements.txt therefore pins elasticsearch 8.19.x.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import elastic_transport
from elasticsearch import ApiError, Elasticsearch, TransportError, UnsupportedProductError

from newsmon.es.config import EsSettings
from newsmon.es.errors import EsError, redact

SUPPORTED_MAJORS = (8, 9)
# what the transport retries by itself on a single request (connection errors always)
RETRY_ON_STATUS = (502, 503, 504)

log = logging.getLogger("newsmon.es")


@dataclass
class Connection:
    client: Elasticsearch
    settings: EsSettings
    version: str
    cluster_name: str
    distribution: str = "elasticsearch"

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def describe(self) -> str:
        return f"Elasticsearch {self.version} (cluster {self.cluster_name!r}) at {self.settings.url}"

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def redact(self, text: str) -> str:
        return redact(text, self.settings.secrets())


def make_client(settings: EsSettings, **overrides: Any) -> Elasticsearch:
    kwargs: dict[str, Any] = {
        "request_timeout": settings.block.request_timeout,
        "max_retries": settings.block.max_retries,
        "retry_on_status": RETRY_ON_STATUS,
        "retry_on_timeout": True,
        "verify_certs": settings.block.verify_certs,
    }
    if settings.block.ca_certs:
        kwargs["ca_certs"] = settings.block.ca_certs
    if not settings.block.verify_certs:
        kwargs["ssl_show_warn"] = False
        log.warning("TLS certificate verification is OFF for %s (elasticsearch.verify_certs: false)", settings.url)
    if settings.api_key:
        kwargs["api_key"] = settings.api_key
    elif settings.basic_auth:
        kwargs["basic_auth"] = settings.basic_auth
    kwargs.update(overrides)
    try:
        return Elasticsearch(settings.url, **kwargs)
    except (ValueError, TypeError) as exc:
        raise EsError(redact(f"{settings.url}: cannot configure the client: {exc}", settings.secrets())) from None


def connect(settings: EsSettings, **overrides: Any) -> Connection:
    """Open a client and read the server's version; refuse a server we were not built for."""
    client = make_client(settings, **overrides)
    try:
        info = client.info()
    except Exception as exc:
        client.close()
        raise EsError(explain(exc, settings, "cannot connect")) from None
    version = str(info.get("version", {}).get("number", "?"))
    distribution = str(info.get("version", {}).get("distribution") or "elasticsearch")
    conn = Connection(client, settings, version, str(info.get("cluster_name", "?")), distribution)
    try:
        major = conn.major
    except ValueError:
        major = -1
    if distribution != "elasticsearch" or major not in SUPPORTED_MAJORS:
        client.close()
        raise EsError(f"{settings.url} is {distribution} {version}; newsmon supports Elasticsearch "
                      f"{' and '.join(map(str, SUPPORTED_MAJORS))}.x")
    log.info("connected to %s", conn.describe())
    return conn


def explain(exc: BaseException, settings: EsSettings, what: str) -> str:
    """One line saying what failed, with the server's reason, and no secret in it."""
    where = settings.url
    if isinstance(exc, UnsupportedProductError):
        msg = f"{where}: {what}: the server is not Elasticsearch (no X-Elastic-Product header)"
    elif isinstance(exc, ApiError):
        status = exc.meta.status if exc.meta is not None else "?"
        reason = _reason(exc.body) or exc.message
        if status == 401:
            msg = f"{where}: {what}: authentication failed (401) with {settings.auth_kind}; check NEWSMON_ES_API_KEY or NEWSMON_ES_USER/NEWSMON_ES_PASSWORD"
        elif status == 403:
            msg = f"{where}: {what}: forbidden (403) for {settings.auth_kind}: {reason}"
        else:
            msg = f"{where}: {what}: HTTP {status}: {reason}"
    elif isinstance(exc, elastic_transport.TlsError):
        msg = f"{where}: {what}: TLS error ({_short(exc)}); set elasticsearch.ca_certs / NEWSMON_ES_CA_CERTS to the cluster's CA"
    elif isinstance(exc, elastic_transport.ConnectionTimeout):
        msg = f"{where}: {what}: timed out after {settings.block.request_timeout:g} s"
    elif isinstance(exc, (elastic_transport.ConnectionError, TransportError)):
        msg = f"{where}: {what}: connection failed ({_short(exc)})"
    elif isinstance(exc, EsError):
        msg = str(exc)
    else:
        msg = f"{where}: {what}: {type(exc).__name__}: {_short(exc)}"
    return redact(msg, settings.secrets())


def _reason(body: Any) -> str:
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            root = (err.get("root_cause") or [{}])[0]
            return str(err.get("reason") or root.get("reason") or err.get("type") or "")
        if err:
            return str(err)
    return ""


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
