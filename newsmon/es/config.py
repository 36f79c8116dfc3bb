"""Where the cluster is and how to log in.

Precedence (highest first): environment variables, then the ``elasticsearch:`` block of the
settings file (``$NEWSMON_SETTINGS``, else ``settings/newsmon.yaml`` when it exists). Secrets are
read from the environment only; a settings file that holds one is refused, since settings files
get committed.

    NEWSMON_ES_URL          https://localhost:9200 (Elasticsearch is "configured" when this is set)
    NEWSMON_ES_API_KEY      an encoded API key (preferred), or
    NEWSMON_ES_USER / NEWSMON_ES_PASSWORD
    NEWSMON_ES_CA_CERTS     CA certificate (PEM) that signed the cluster's certificate
    NEWSMON_KIBANA_URL      http://localhost:5601 (for `newsmon kibana setup`)

    elasticsearch:          # settings/newsmon.yaml
      url: https://localhost:9200
      ca_certs: deploy/certs/ca.crt
      verify_certs: true    # default; false only for a throwaway local cluster
      request_timeout: 30
      max_retries: 3        # per request, on connection errors and 502/503/504
      alias: newsmon-articles
      rules_index: newsmon-rules
      kibana_url: http://localhost:5601
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from newsmon.yamlconf import ConfigError, load_yaml, validate

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_SETTINGS_FILE = PACKAGE_ROOT / "settings" / "newsmon.yaml"
SECRET_KEYS = ("password", "api_key", "apikey", "secret", "token")


class EsBlock(BaseModel):
    """The ``elasticsearch:`` block (no secrets here: they come from the environment)."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    request_timeout: float = Field(30.0, gt=0)
    max_retries: int = Field(3, ge=0, le=20)
    alias: str = Field("newsmon-articles", pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    rules_index: str = Field("newsmon-rules", pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    kibana_url: str | None = None

    @field_validator("url", "kibana_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("not an http(s) URL")
        return value.rstrip("/")


class EsSettings:
    """Validated settings plus the secrets; ``repr`` and ``describe`` never show a secret."""

    def __init__(self, block: EsBlock, *, api_key: str | None = None, username: str | None = None,
                 password: str | None = None, origin: str = "environment"):
        self.block = block
        self.origin = origin
        url = block.url or ""
        parts = urlsplit(url)
        if parts.username or parts.password:  # https://user:pass@host: take them out of the URL
            username = username or unquote(parts.username or "")
            password = password or unquote(parts.password or "")
            host = parts.hostname + (f":{parts.port}" if parts.port else "")
            url = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
        self.url = url
        self._api_key = api_key or None
        self._username = username or None
        self._password = password or None

    # read-only views used by the client factory only
    @property
    def api_key(self) -> str | None:
        return self._api_key

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        if self._username is None:
            return None
        return (self._username, self._password or "")

    def secrets(self) -> list[str]:
        """Every secret string, for redaction (the user name is not a secret)."""
        return [s for s in (self._api_key, self._password) if s]

    @property
    def auth_kind(self) -> str:
        if self._api_key:
            return "API key"
        if self._username:
            return f"user {self._username!r}"
        return "no credentials"

    def __repr__(self) -> str:
        return f"EsSettings(url={self.url!r}, auth={self.auth_kind}, origin={self.origin!r})"


def settings_file(env: Mapping[str, str] | None = None) -> Path | None:
    env = os.environ if env is None else env
    if env.get("NEWSMON_SETTINGS"):
        path = Path(env["NEWSMON_SETTINGS"])
        if not path.exists():
            raise ConfigError(f"{path}: NEWSMON_SETTINGS names a file that does not exist")
        return path
    return DEFAULT_SETTINGS_FILE if DEFAULT_SETTINGS_FILE.exists() else None


def load_block(path: Path | None) -> EsBlock:
    if path is None:
        return EsBlock()
    data, lines = load_yaml(path)
    if data is None:
        return EsBlock()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    block = data.get("elasticsearch")
    if block is None:
        return EsBlock()
    if isinstance(block, dict):
        for key in block:
            if any(s in str(key).lower() for s in SECRET_KEYS):
                line = lines.get(("elasticsearch", key))
                where = f"{path}:{line}" if line else str(path)
                raise ConfigError(f"{where}: elasticsearch.{key}: secrets go in the environment "
                                  "(NEWSMON_ES_API_KEY or NEWSMON_ES_USER/NEWSMON_ES_PASSWORD), not in a settings file")
    # validate() reports file:line for a bad key; wrap the block so paths match the file
    return validate({"elasticsearch": block}, lines, _Wrapper, str(path)).elasticsearch


class _Wrapper(BaseModel):
    model_config = ConfigDict(extra="ignore")
    elasticsearch: EsBlock = EsBlock()


def load_settings(env: Mapping[str, str] | None = None, path: Path | None = None) -> EsSettings | None:
    """The cluster settings, or None when Elasticsearch is not configured (no URL anywhere)."""
    env = os.environ if env is None else env
    path = path if path is not None else settings_file(env)
    block = load_block(path)
    origin = str(path) if path is not None and block.url else "environment"
    overrides = {}
    if env.get("NEWSMON_ES_URL"):
        overrides["url"] = env["NEWSMON_ES_URL"]
        origin = "NEWSMON_ES_URL"
    if env.get("NEWSMON_ES_CA_CERTS"):
        overrides["ca_certs"] = env["NEWSMON_ES_CA_CERTS"]
    if env.get("NEWSMON_KIBANA_URL"):
        overrides["kibana_url"] = env["NEWSMON_KIBANA_URL"]
    if overrides:
        try:
            block = EsBlock.model_validate({**block.model_dump(), **overrides})
        except ValueError as exc:
            bad = ", ".join(f"{k}" for k in overrides)
            raise ConfigError(f"environment ({bad}): {_first_error(exc)}") from None
    if not block.url:
        return None
    if block.ca_certs and not Path(block.ca_certs).is_file():
        raise ConfigError(f"{block.ca_certs}: CA certificate file not found (elasticsearch.ca_certs / NEWSMON_ES_CA_CERTS)")
    if env.get("NEWSMON_ES_USER") and not env.get("NEWSMON_ES_PASSWORD"):
        raise ConfigError("NEWSMON_ES_USER is set but NEWSMON_ES_PASSWORD is not")
    return EsSettings(block, api_key=env.get("NEWSMON_ES_API_KEY"), username=env.get("NEWSMON_ES_USER"),
                      password=env.get("NEWSMON_ES_PASSWORD"), origin=origin)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
    return str(exc).splitlines()[0]
