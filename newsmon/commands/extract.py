"""``newsmon extract``: show the record a crawl would store for one page (file or URL)."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import click

from newsmon.commands.common import timezone_value
from newsmon.config import DEFAULT_TOPICS_FILE, load_topics
from newsmon.store import iso_utc
from pipelines.extract import MAX_PAGE_BYTES
from pipelines.items import Dropped
from newsmon import fetch as page_fetch
from pipelines.page import Hints, PageProcessor

FETCH_TIMEOUT = 20
USER_AGENT = "newsmon-extract/1"


class PageError(Exception):
    """A page could not be read; the message names it."""


def fetch(url: str, max_bytes: int = MAX_PAGE_BYTES) -> tuple[bytes, str | None, str]:
    """GET ``url`` → (body, content type, final URL after redirects), through the same fetch as
    ``sources check``: a 20 s deadline for the whole request (a server dripping bytes cannot hold
    it), a size cap, and redirects to private addresses refused."""
    try:
        fetched = page_fetch.fetch(url, timeout=FETCH_TIMEOUT, user_agent=USER_AGENT, max_bytes=max_bytes)
    except page_fetch.FetchError as err:
        raise PageError(f"cannot fetch ({err}): {url}") from None
    return fetched.body, fetched.content_type or None, fetched.url


def read_source(source: str) -> tuple[bytes, str | None, str]:
    """FILE or http(s) URL → (body, content type or None, URL of the page)."""
    if source.startswith(("http://", "https://")):
        return fetch(source)
    path = Path(source)
    if not path.exists() or path.is_dir():
        raise PageError(f"no such file: {source}")
    with path.open("rb") as handle:  # also reads pipes such as <(zcat page.html.gz)
        body = handle.read(MAX_PAGE_BYTES + 1)
    if len(body) > MAX_PAGE_BYTES:
        raise PageError(f"page larger than {MAX_PAGE_BYTES} bytes: {source}")
    return body, None, path.absolute().as_uri()


def parse_fetched_at(value: str | None) -> datetime | None:
    """ISO date-time; one without an offset is taken as UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO date-time: {value!r}", param_hint="--fetched-at") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)  # as the store writes it
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _select_topics(name: str | None) -> list:
    """All topics of settings/topics.yaml, or just the one named by ``--topic``."""
    topics = load_topics(DEFAULT_TOPICS_FILE)
    if name is None:
        return topics
    chosen = [t for t in topics if getattr(t, "name", None) == name]
    if not chosen:
        known = ", ".join(str(getattr(t, "name", t)) for t in topics)
        raise PageError(f"unknown topic {name!r} (known: {known})")
    return chosen


@click.command("extract")
@click.argument("source", metavar="FILE|URL")
@click.option("--url", help="Address of the page when FILE is a local copy (dates and canonical URL use it).")
@click.option("--tz", default=None, callback=timezone_value,
              help="Source timezone for dates written without one (default UTC, and a note says so).")
@click.option("--lang", help="Language hint (the source's declared language).")
@click.option("--fetched-at", help="Fetch time (ISO) that relative dates such as '3 hours ago' count from; default now.")
@click.option("--topic", help="Match only this topic from settings/topics.yaml.")
def extract_command(source: str, url: str | None, tz: str | None, lang: str | None, fetched_at: str | None,
                    topic: str | None) -> None:
    """Print, as JSON, the record a crawl would store for one page.

    \b
    Example:
        newsmon extract saved.html --url https://example.ma/2025/03/21/accord/ --tz Africa/Casablanca
    """
    moment = parse_fetched_at(fetched_at)
    try:
        body, content_type, page_url = read_source(source)
        process = PageProcessor(_select_topics(topic), keep_all=True)
        hints = Hints(content_type=content_type, timezone=tz or "UTC", language=lang, locale=lang, fetched_at=moment,
                      discovered_via="cli")
        record = process(body, url or page_url, hints).record()
    except (PageError, Dropped) as err:
        click.echo(f"newsmon: error: {err}", err=True)
        sys.exit(1)
    if tz is None and (record.get("published_at") or record.get("modified_at")):
        click.echo("newsmon: note: no --tz given: any date written without a UTC offset was read as UTC "
                   "(give the source's zone, e.g. --tz Africa/Casablanca)", err=True)
    click.echo(json.dumps(record, ensure_ascii=False, indent=2, default=_jsonable))
