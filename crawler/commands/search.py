"""`newsmon search`: ranked hits from the embedded index."""

from __future__ import annotations

import re
from pathlib import Path

import click
from rich.text import Text

from crawler.commands.common import (data_option, default_data_dir, json_option, print_json, printable, table,
                                     user_errors)
from crawler.search import search as run_search

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not DATE.match(value):
        raise click.BadParameter(f"{value!r}: use YYYY-MM-DD or an ISO 8601 time")
    return value


@click.command("search")
@click.argument("query", required=False, default="")
@data_option
@click.option("--lang", default=None, help="Only articles in this language (e.g. fr).")
@click.option("--source", default=None, help="Only articles from this source.")
@click.option("--since", default=None, callback=_date, help="Published on or after (YYYY-MM-DD).")
@click.option("--until", default=None, callback=_date, help="Published on or before (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@json_option
@user_errors
def search(query: str, data_dir: Path | None, lang: str | None, source: str | None, since: str | None,
           until: str | None, limit: int, as_json: bool) -> None:
    """Search stored articles. QUERY: words (all must match), "phrases", OR, NOT/-word,
    field:value (title, text, source, lang, url), parentheses.

    Example: newsmon search 'Kazakhstan (blé OR wheat OR قمح)' --since 2025-01-01
    """
    hits = run_search(data_dir or default_data_dir(), query, lang=lang, source=source, since=since,
                      until=until, limit=limit)
    if as_json:
        print_json([h.to_json() for h in hits])
        return
    if not hits:
        click.echo("no matches", err=True)
        return
    rows = []
    for hit in hits:
        a = hit.article
        snippet = Text()
        for part, is_match in hit.snippet.parts:
            snippet.append(printable(part), style="bold reverse" if is_match else None)
        rows.append([f"{hit.score:.2f}", a["published_at"] or "", a["lang"] or "", a["source"],
                     a["title"] or "", snippet if _tty() else hit.snippet.plain(), a["url"]])
    table(["score", "published", "lang", "source", "title", "snippet", "url"], rows)


def _tty() -> bool:
    import sys

    return sys.stdout.isatty()
