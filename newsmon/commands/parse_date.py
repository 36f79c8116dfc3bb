"""``newsmon parse-date``: the dates stage's normalizer on the command line.

Thin by design: it only reads texts and prints ``ParsedDate.iso()``; all logic lives in
pipelines/dates/normalize.py so the crawl and this command cannot disagree.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import click

from newsmon.config import LANGUAGE_CODES

from pipelines.dates.normalize import parse_date


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

    Prints an empty line when TEXT holds no date (exit status 1). With TEXT "-" it reads one
    text per line from stdin and prints exactly one line per input line.

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
        click.echo(parsed.iso() if parsed else "")
        sys.exit(0 if parsed else 1)
    for line in sys.stdin:
        parsed = parse_date(line.rstrip("\r\n"), lang, tz, base_dt, locale)
        click.echo(parsed.iso() if parsed else "")
