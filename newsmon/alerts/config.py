"""alerts.yaml as validated models: rules, their channels, and the SMTP server.

Parsed once at the edge (``newsmon crawl --alerts``, ``newsmon alerts …``). A bad rule fails at
load with one line naming the file, the line, the rule and the reason: a query that does not
parse, an unknown channel type, a cron line that is not one, a ``${VAR}`` that is not set.

Secrets come from the environment: ``${VAR}`` anywhere in a channel URL or header value, and
the SMTP password from ``NEWSMON_SMTP_PASSWORD``. The models keep the URL as written (with
``${VAR}``) for display and for the channel's identity; the resolved value is used only to send,
and every resolved secret is registered with :func:`mask` so it never reaches a log line.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic import ValidationError

from crawler.sources import check_name, check_timezone
from newsmon import query as querylang
from newsmon.schedule.spec import parse_schedule
from newsmon.config import DEFAULT_ALERTS_FILE

__all__ = ["DEFAULT_ALERTS_FILE", "AlertsFile", "Rule", "load_alerts", "mask"]
from newsmon.yamlconf import load_yaml, validate

SMTP_PASSWORD_ENV = "NEWSMON_SMTP_PASSWORD"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRETS: set[str] = set()


def mask(text: str) -> str:
    """``text`` with every secret resolved from the environment replaced by ``***``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "***")
    return text


def expand(value: str) -> str:
    """Substitute ``${VAR}`` from the environment; a variable that is not set is an error."""
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        resolved = os.environ[name]
        if len(resolved) >= 4:
            _SECRETS.add(resolved)
        return resolved

    return _VAR.sub(sub, value)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]


class WebhookChannel(BaseModel):
    """JSON POST; the body carries a Slack/Mattermost-compatible ``text``."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["webhook"]
    url: str
    # `= {}` / `= []` below, not default_factory=dict/list: pydantic copies a mutable default for
    # each instance, and a builtin factory costs every crawl's start ~30 ms (crawler/sources.py)
    headers: dict[str, str] = {}
    timeout: float = Field(default=10.0, gt=0, le=120)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        resolved = expand(value)
        parts = urlsplit(resolved)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {_VAR.sub(lambda m: m.group(0), value)!r}")
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        for name, header in value.items():
            if not re.fullmatch(r"[A-Za-z0-9-]+", name):
                raise ValueError(f"bad header name {name!r}")
            if "\n" in expand(header) or "\r" in expand(header):
                raise ValueError(f"header {name}: no line breaks allowed")
        return value

    @property
    def key(self) -> str:
        return f"webhook:{_digest(self.url)}"

    @property
    def label(self) -> str:
        # the path of a Slack or Teams hook IS its secret: only the host is ever shown
        parts = urlsplit(self.url)
        return f"webhook {parts.scheme}://{parts.netloc.rpartition('@')[2]}{'/…' if parts.path.strip('/') else '/'}"

    def resolved_url(self) -> str:
        return expand(self.url)

    def resolved_headers(self) -> dict[str, str]:
        return {k: expand(v) for k, v in self.headers.items()}


class EmailChannel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["email"]
    to: list[str] = Field(min_length=1)

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+", address):
                raise ValueError(f"not an e-mail address: {address!r}")
        return value

    @property
    def key(self) -> str:
        return f"email:{_digest(*sorted(self.to))}"

    @property
    def label(self) -> str:
        return "email " + ", ".join(self.to)


class AppriseChannel(BaseModel):
    """Any Apprise URL: tgram://, msteams://, discord://, matrix://, ntfy://, json:// …"""

    model_config = ConfigDict(extra="forbid")

    type: Literal["apprise"]
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        import apprise

        plugin = apprise.Apprise.instantiate(expand(value))
        if plugin is None:
            scheme = value.split("://", 1)[0] if "://" in value else value[:20]
            raise ValueError(f"not a usable Apprise URL (scheme {scheme!r}; see https://appriseit.com)")
        return value

    @property
    def key(self) -> str:
        return f"apprise:{_digest(self.url)}"

    @property
    def label(self) -> str:
        import apprise

        plugin = apprise.Apprise.instantiate(expand(self.url))
        shown = plugin.url(privacy=True) if plugin is not None else self.url.split("://", 1)[0] + "://"
        return "apprise " + mask(shown)

    def resolved_url(self) -> str:
        return expand(self.url)


CHANNEL_TYPES = ("webhook", "email", "apprise")


def _channel_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        kind = value.get("type")
        return kind if kind in CHANNEL_TYPES else None
    return getattr(value, "type", None)


Channel = Annotated[
    Annotated[WebhookChannel, Tag("webhook")] | Annotated[EmailChannel, Tag("email")]
    | Annotated[AppriseChannel, Tag("apprise")],
    Discriminator(_channel_tag, custom_error_type="channel_type",
                  custom_error_message=f"unknown channel type (expected one of: {', '.join(CHANNEL_TYPES)})"),
]


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    query: str
    topics: list[str] = []  # empty: any stored article
    languages: list[str] = []
    sources: list[str] = []
    per: Literal["article", "story"] = "article"
    channels: list[Channel] = []  # empty: recorded for the feed only
    digest: str | None = None  # 5-field cron line
    timezone: str = "UTC"  # of the digest cron line

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("empty query (write the words to alert on)")
        try:
            node = querylang.parse(value)
        except querylang.QueryError as exc:  # one line naming the column
            raise ValueError(f"bad query: {str(exc).removeprefix('query: ')}") from None
        if not querylang.positive_terms(node):
            raise ValueError("the query names no word to look for (only negations or field filters)")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return [v.lower() for v in value]

    @field_validator("digest")
    @classmethod
    def _digest_cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            spec = parse_schedule(value)  # crontab's meaning: 1-5 is Monday to Friday, 0 and 7 Sunday
        except ValueError as exc:
            raise ValueError(f"bad cron line {value!r}: {exc}") from None
        if spec.cron is None:
            raise ValueError(f"bad cron line {value!r}: a digest needs a 5-field cron line")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)

    @model_validator(mode="after")
    def _distinct_channels(self) -> "Rule":
        keys = [c.key for c in self.channels]
        if len(keys) != len(set(keys)):
            raise ValueError("the same channel is listed twice")
        return self

    @property
    def node(self) -> querylang.Node:
        return querylang.parse(self.query)

    def trigger(self) -> CronTrigger | None:
        return parse_schedule(self.digest).trigger(self.timezone) if self.digest else None

    def channel(self, key: str) -> Any:
        return next((c for c in self.channels if c.key == key), None)


class Smtp(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    ssl: bool = False  # implicit TLS (port 465)
    from_: str = Field(alias="from")
    username: str | None = None  # the password comes from NEWSMON_SMTP_PASSWORD
    timeout: float = Field(default=20.0, gt=0, le=300)

    def password(self) -> str | None:
        value = os.environ.get(SMTP_PASSWORD_ENV)
        if value:
            _SECRETS.add(value)
        return value or None


class AlertsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = []
    smtp: Smtp | None = None
    max_attempts: int = Field(default=8, ge=1, le=100)  # then a delivery is given up ("dead")
    retry_base_seconds: float = Field(default=60.0, gt=0)  # 1st retry after this, then doubling
    retry_max_seconds: float = Field(default=6 * 3600.0, gt=0)

    @model_validator(mode="after")
    def _checks(self) -> "AlertsFile":
        errors = []
        seen: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.name in seen:
                errors.append(InitErrorDetails(
                    type=PydanticCustomError("duplicate", "duplicate rule name '{name}'", {"name": rule.name}),
                    loc=("rules", i, "name"), input=rule.name))
            seen.add(rule.name)
            if self.smtp is None:
                for j, channel in enumerate(rule.channels):
                    if isinstance(channel, EmailChannel):
                        errors.append(InitErrorDetails(
                            type=PydanticCustomError("smtp", "an email channel needs an smtp: section"),
                            loc=("rules", i, "channels", j), input=channel.type))
        if errors:
            raise ValidationError.from_exception_data("AlertsFile", errors)
        return self

    def rule(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.name == name), None)


def load_alerts(path: str | Path = DEFAULT_ALERTS_FILE) -> AlertsFile:
    """Read and validate an alerts file; every problem is one ConfigError line (exit 2)."""
    data, lines = load_yaml(path)
    if data is None:
        return AlertsFile()
    parsed = validate(data, lines, AlertsFile, str(path))
    return parsed
