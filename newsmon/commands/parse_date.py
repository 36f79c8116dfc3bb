"""``newsmon parse-date``: the dates stage's normalizer on the command line.

Thin by design: it only reads texts and prints ``ParsedDate.iso()``; all logic lives in
pipelines/dates/normalize.py so the crawl and this command cannot disagree.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import click

from newsmon.config import LANGUAGE_CODES

from newsmon.commands.common import printable
from pipelines.dates.normalize import TIME, parse_date


def _base(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        base = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 date/time: {value!r}", param_hint="--base") from exc
    return base if base.tzinfo else base.replace(tzinfo=timezone.utc)


@click.command("parse-date")
@click.argument("text", required=False, default="-")
@click.option("--lang", "lang", default=None, type=click.Choice(sorted(LANGUAGE_CODES)), metavar="LANG",
              help="Language of the text (ar, fr, it, en, ru, kk, es, ...).")
@click.option("--locale", default=None,
              help="Region, e.g. ar-MA or en-US (numeric D/M order, month names). Default: --lang, as in a crawl.")
@click.option("--tz", "tz", default="UTC", show_default=True, help="IANA zone for times written without an offset.")
@click.option("--base", default=None, help="Fetch time that relative dates count from (ISO 8601; default now, UTC if naive).")
def parse_date_command(text: str, lang: str | None, locale: str | None, tz: str, base: str | None) -> None:
    """Print TEXT's date as an ISO 8601 UTC instant, or a calendar date when no time is written.

    When TEXT holds no date (a time alone, such as 14:30, is none), it says so on stderr and exits
    1. With TEXT "-" it reads one text per line from stdin and prints exactly one line per input
    line (empty for a line without a date), then counts the misses on stderr.

    \b
    Example:
      newsmon parse-date "Publié le 21 févr. 2025 à 14h30" --lang fr --tz Europe/Paris
      2025-02-21T13:30:00Z
    """
    base_dt = _base(base)
    locale = locale or lang  # the same default a crawl uses (Source.effective_locale)
    try:
        parse_date("", lang, tz)  # validate the zone once, before reading anything
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--tz") from exc
    if text != "-":
        parsed = parse_date(text, lang, tz, base_dt, locale)
        if parsed is None:
            click.echo(f"newsmon: error: {no_date(text)}", err=True)
            sys.exit(1)
        click.echo(parsed.iso())
        return
    lines = misses = 0
    for line in sys.stdin:
        parsed = parse_date(line.rstrip("\r\n"), lang, tz, base_dt, locale)
        click.echo(parsed.iso() if parsed else "")
        lines += 1
        misses += parsed is None and bool(line.strip())
    if misses:
        click.echo(f"newsmon: {misses} of {lines} lines hold no date (their output lines are empty)", err=True)


def no_date(text: str) -> str:
    """Why ``text`` gave no date, in one line."""
    shown = printable(" ".join(text.split()))[:80]
    if TIME.search(text) and not TIME.sub(" ", text).strip(" ,.-:"):
        return f"{shown!r} is a time of day with no date: give the day too"
    return f"no date found in {shown!r}"
