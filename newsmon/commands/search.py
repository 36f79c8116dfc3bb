"""`newsmon search`: ranked hits from the embedded index."""

from __future__ import annotations

from pathlib import Path

import click
from rich.text import Text

from newsmon.commands.common import (data_option, date_option_value, default_data_dir, json_option, print_json,
                                     printable, table, user_errors)
from newsmon.search import search as run_search

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
    """Search stored articles. QUERY (Lucene syntax): words (all must match), "phrases", OR,
    NOT/-word, field:value (title, text, source, lang, url), parentheses, Kazakh* (a prefix). A malformed
    query is refused with the column of the mistake (exit 2).

    Example: newsmon search 'Kazakhstan (blé OR wheat OR قمح)' --since 2025-01-01

    A query that starts with "-" goes last, after "--": newsmon search --limit 5 -- '-football Kazakhstan'
    """
    hits = run_search(data_dir or default_data_dir(), query, lang=lang, source=source, since=since,
                      until=until, limit=limit)
    if as_json:
        print_json([h.to_json() for h in hits])
        return
    if not hits:
        click.echo("no matches" + _unknown_filters(data_dir or default_data_dir(), source, lang), err=True)
        return
    if not _tty():  # pipes and scripts: one tab-separated row per hit, a header first
        table(["score", "published", "published_utc", "lang", "source", "title", "snippet", "url"],
              [[f"{h.score:.2f}", h.article["published_at"] or "", h.article.get("published_utc") or "",
                h.article["lang"] or "", h.article["source"],
                h.article["title"] or "", h.snippet.plain(), h.article["url"]] for h in hits])
        return
    _print_hits(hits)


def _print_hits(hits: list) -> None:  # type: ignore[type-arg]
    """On a terminal, a table whose last column holds title, snippet and URL on their own
    lines: spread over seven columns they fold into slivers at ordinary widths."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    tbl = Table(box=box.SIMPLE_HEAD, show_lines=True, expand=True)
    tbl.add_column("#", justify="right", no_wrap=True)
    tbl.add_column("published", no_wrap=True)
    tbl.add_column("lang", no_wrap=True)
    tbl.add_column("source", no_wrap=True, max_width=24, overflow="ellipsis")
    tbl.add_column("score", justify="right", no_wrap=True)
    tbl.add_column("title · snippet · url", ratio=1, overflow="fold")
    for number, hit in enumerate(hits, 1):
        a = hit.article
        cell = Text(printable(a["title"] or "(no title)"), style="bold")
        cell.append("\n")
        for part, is_match in hit.snippet.parts:
            cell.append(printable(part), style="bold reverse" if is_match else None)
        cell.append("\n")
        cell.append(printable(a["url"]), style="cyan")
        published = shown_time(a["published_at"], a.get("published_utc"))
        tbl.add_row(str(number), published, a["lang"] or "?", printable(a["source"]), f"{hit.score:.2f}", cell)
    Console(highlight=False).print(tbl)


def shown_time(local: str | None, utc: str | None) -> str:
    """"2025-02-21 18:42+01:00 (17:42Z)": the page's own time and, when it differs, UTC."""
    if not local:
        return "undated"
    if len(local) < 16:  # a calendar date
        return local
    shown = f"{local[:10]} {local[11:16]}{local[19:]}"
    if utc and len(utc) == 20 and utc != local:
        shown += f" ({utc[11:16]}Z)" if utc[:10] == local[:10] else f" ({utc[:10]} {utc[11:16]}Z)"
    return shown


def _unknown_filters(data_dir: Path, source: str | None, lang: str | None) -> str:
    """Say so when a filter names something the store has never seen (a typo, usually)."""
    from newsmon.store import Store

    notes = []
    with Store(data_dir, readonly=True) as store:
        if source and not store.db.execute("SELECT 1 FROM articles WHERE source = ? LIMIT 1", (source,)).fetchone():
            notes.append(f"no stored article comes from a source named {source!r}")
        if lang and not store.db.execute("SELECT 1 FROM articles WHERE lang = ? LIMIT 1", (lang.lower(),)).fetchone():
            notes.append(f"no stored article is in language {lang!r}")
    return f" ({'; '.join(notes)})" if notes else ""


def _tty() -> bool:
    import sys

    return sys.stdout.isatty()
