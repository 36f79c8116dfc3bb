"""`newsmon search`: ranked hits from the embedded index."""

from __future__ import annotations

from pathlib import Path

import click
from rich.text import Text

from crawler.commands.common import (data_option, date_option_value, default_data_dir, json_option, print_json,
                                     printable, table, user_errors)
from crawler.search import search as run_search

@click.command("search")
@click.argument("query", required=False, default="")
@data_option
@click.option("--lang", default=None, help="Only articles in this language (e.g. fr).")
@click.option("--source", default=None, help="Only articles from this source.")
@click.option("--since", default=None, callback=date_option_value, help="Published on or after (YYYY-MM-DD).")
@click.option("--until", default=None, callback=date_option_value, help="Published on or before (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@json_option
@user_errors
def search(query: str, data_dir: Path | None, lang: str | None, source: str | None, since: str | None,
           until: str | None, limit: int, as_json: bool) -> None:
    """Search stored articles. QUERY: words (all must match), "phrases", OR, NOT/-word,
    field:value (title, text, source, lang, url), parentheses.

    Example: newsmon search 'Kazakhstan (blé OR wheat OR قمح)' --since 2025-01-01

    A query that starts with "-" goes last, after "--": newsmon search --limit 5 -- '-football Kazakhstan'
    """
    hits = run_search(data_dir or default_data_dir(), query, lang=lang, source=source, since=since,
                      until=until, limit=limit)
    if as_json:
        print_json([h.to_json() for h in hits])
        return
    if not hits:
        click.echo("no matches", err=True)
        return
    if not _tty():  # pipes and scripts: one tab-separated row per hit, a header first
        table(["score", "published", "lang", "source", "title", "snippet", "url"],
              [[f"{h.score:.2f}", h.article["published_at"] or "", h.article["lang"] or "", h.article["source"],
                h.article["title"] or "", h.snippet.plain(), h.article["url"]] for h in hits])
        return
    _print_hits(hits)


def _print_hits(hits: list) -> None:  # type: ignore[type-arg]
    """On a terminal, one block per hit: a table would fold URLs and dates into slivers."""
    from rich.console import Console

    console = Console(highlight=False)
    for number, hit in enumerate(hits, 1):
        a = hit.article
        head = Text()
        head.append(f"{number:>3}. ", style="dim")
        head.append(printable(a["title"] or "(no title)"), style="bold")
        console.print(head)
        meta = " · ".join(x for x in (a["published_at"] or "undated", a["lang"] or "?", a["source"],
                                      f"score {hit.score:.2f}") if x)
        console.print(Text("     " + printable(meta), style="dim"))
        snippet = Text("     ")
        for part, is_match in hit.snippet.parts:
            snippet.append(printable(part), style="bold reverse" if is_match else None)
        console.print(snippet)
        console.print(Text("     " + printable(a["url"]), style="cyan"), soft_wrap=True)
        console.print()


def _tty() -> bool:
    import sys

    return sys.stdout.isatty()
