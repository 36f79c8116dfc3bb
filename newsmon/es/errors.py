"""The one error type the ES layer raises to the CLI (kept import-light: no client import)."""


class EsError(Exception):
    """Elasticsearch is misconfigured, unreachable or refused a request. The message is one line,
    meant to be shown as is, and never contains a password or API key."""
