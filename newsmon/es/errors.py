"""The one error type the ES layer raises to the CLI, and secret redaction. Kept import-light
(no client import): the CLI loads it at start-up for every command."""

import re


class EsError(Exception):
    """Elasticsearch is misconfigured, unreachable or refused a request. The message is one line,
    meant to be shown as is, and never contains a password or API key."""


def redact(text: str, secrets: list[str]) -> str:
    """Secrets (and any user:password@ in a URL) replaced by ***, whatever the error said."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return re.sub(r"(?<=://)[^/@\s:]+:[^/@\s]+@", "***@", text)
