"""`newsmon search`: ranked hits from the search backend (Elasticsearch when configured, else the embedded index)."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import click
from rich.text import Text

from newsmon.commands.common import (data_option, date_option_value, default_data_dir, json_option, print_json,
                                     printable, table, user_errors)
from newsmon.store import StoreError, iso_utc, utcnow
from newsmon.search import BACKENDS
from newsmon.search import index_gap
from newsmon.search import search as run_search
from newsmon.store import Store

WIDE_LIMIT = 10_000
WIDE_TERMINAL = 120  # columns from which hits are a table; below, one block per hit
SNIPPET_LINES = 3  # of a hit's snippet in a block
ID_SHOWN = 10  # of an article id, on a terminal: enough for `newsmon show` to find it
SEEN_FILE = "searches.json"

@click.command("search")
@click.argument("query", required=False, default="")
@data_option
@click.option("--lang", default=None, help="Only articles in this language (e.g. fr).")
@click.option("--source", default=None, help="Only articles from this source.")
@click.option("--since", default=None, callback=date_option_value, help="Published on or after (YYYY-MM-DD).")
@click.option("--until", default=None, callback=date_option_value, help="Published on or before (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--backend", type=click.Choice(BACKENDS), default="auto", show_default=True,
              help="auto: Elasticsearch when NEWSMON_ES_URL (or settings) configures it, else the embedded index.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True,
              help="date: newest first (undated last), among the 10,000 best matches.")
@click.option("--new", "only_new", is_flag=True,
              help="Only articles stored since the last `search --new` with the same query and filters "
                   "(remembered in the data dir).")
@json_option
@user_errors
def search(query: str, data_dir: Path | None, lang: str | None, source: str | None, since: str | None,
           until: str | None, limit: int, backend: str, sort: str, only_new: bool, as_json: bool) -> None:
    """Search stored articles. QUERY (Lucene syntax): words (all must match), "phrases", OR,
    NOT/-word, field:value (title, text, source, lang, url), parentheses. A malformed query is
    refused with the column of the mistake (exit 2): lower-case or/and/not are refused (write OR,
    or "or" to search the word), as is an unknown field such as date: (use --since/--until).

    Kazakh* matches every word that begins with "kazakh" once normalized (case and accents
    folded, not stemmed), in title and text only: Kazakhstan, kazakhe, Kazakhs. It needs 3
    letters before the *, and only a trailing * is allowed.

    Example: newsmon search 'Kazakhstan (blé OR wheat OR قمح)' --since 2025-01-01

    A query that starts with "-" goes last, after "--": newsmon search --limit 5 -- '-football Kazakhstan'
    """
    data_dir = data_dir or default_data_dir()
    wide = sort == "date" or only_new  # rank, then filter or re-sort, then cut to --limit
    hits = run_search(data_dir, query, lang=lang, source=source, since=since,
                      until=until, limit=WIDE_LIMIT if wide else limit, backend=backend)
    if only_new:
        hits = keep_new(data_dir, hits, query=query, lang=lang, source=source, since=since, until=until)
    if sort == "date":
        hits.sort(key=lambda h: h.article["published_at"] or "", reverse=True)  # ISO UTC: text order is time order
        hits.sort(key=lambda h: h.article["published_at"] is None)  # stable: undated last
    hits = hits[:limit]
    gap = index_gap(data_dir)
    if gap:
        click.echo(f"newsmon: warning: the search index holds {gap[0]} of the {gap[1]} stored articles "
                   "(deleted or stale): results are incomplete; run `newsmon reindex`", err=True)
    if as_json:
        print_json([h.to_json() for h in hits])
        return
    if not hits:
        click.echo(("nothing new" if only_new else "no matches") + _unknown_filters(data_dir, source, lang), err=True)
        return
    if not _tty():  # pipes and scripts: one tab-separated row per hit, a header first
        table(["score", "published", "published_utc", "lang", "source", "title", "snippet", "url", "id"],
              [[f"{h.score:.2f}", h.article["published_at"] or "", h.article.get("published_utc") or "",
                h.article["lang"] or "", h.article["source"],
                h.article["title"] or "", h.snippet.plain(), h.article["url"], h.article["id"]] for h in hits])
        return
    _print_hits(hits)


def _print_hits(hits: list) -> None:  # type: ignore[type-arg]
    """On a terminal: a table when it is wide, else one short block per hit. Either way the
    snippet wraps (cut at SNIPPET_LINES lines in a block), and the URL is printed whole, never
    folded or cut inside its host."""
    from rich.console import Console

    console = Console(highlight=False)
    if console.width >= WIDE_TERMINAL:
        _hits_table(console, hits)
        return
    for number, hit in enumerate(hits, 1):
        a = hit.article
        head = Text(f"{number}. ", style="bold")
        head.append(printable(a["title"] or "(no title)"), style="bold")
        console.print(head)
        facts = "  ".join([_published(a["published_at"]), a["lang"] or "?", printable(a["source"]),
                           f"score {hit.score:.2f}"])
        console.print(Text("   " + facts, style="dim"), no_wrap=True, overflow="ellipsis")
        snippet = Text("   ")
        for part, is_match in hit.snippet.parts:
            snippet.append(printable(part), style="bold reverse" if is_match else None)
        lines = snippet.wrap(console, console.width - 3)
        for k, line in enumerate(lines[:SNIPPET_LINES]):
            if k == SNIPPET_LINES - 1 and len(lines) > SNIPPET_LINES:
                line.append(" …")
            console.print(Text("   ") + line if k else line, no_wrap=True, overflow="ellipsis")
        # the terminal wraps a long URL after its host (it comes first); rich would fold it anywhere
        console.print(Text("   " + printable(a["url"]), style="cyan"), soft_wrap=True)
        console.print(Text(f"   newsmon show {a['id'][:ID_SHOWN]}", style="dim"))
        console.print()


def _published(value: str | None) -> str:
    if value and len(value) == 20:  # 2025-02-21T17:42:00Z → 2025-02-21 17:42Z (UTC, like everywhere)
        return f"{value[:10]} {value[11:16]}Z"
    return value or "undated"


def _hits_table(console, hits: list) -> None:  # type: ignore[no-untyped-def, type-arg]
    """A table whose last column holds title, snippet and URL on their own lines: spread over
    seven columns they fold into slivers at ordinary widths."""
    from rich import box
    from rich.table import Table

    tbl = Table(box=box.SIMPLE_HEAD, show_lines=True, expand=True)  # the style of every command's tables
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
        cell.append(f"\nnewsmon show {a['id'][:ID_SHOWN]}", style="dim")
        published = shown_time(a["published_at"], a.get("published_utc"))
        tbl.add_row(str(number), published, a["lang"] or "?", printable(a["source"]), f"{hit.score:.2f}", cell)
    console.print(tbl)


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
    notes: list[str] = []
    if not (data_dir / "newsmon.db").exists():  # searching a cluster from a machine without a store
        return ""
    with Store(data_dir, readonly=True) as store:
        if source and not store.db.execute("SELECT 1 FROM articles WHERE source = ? LIMIT 1", (source,)).fetchone():
            known = [r[0] for r in store.db.execute("SELECT DISTINCT source FROM articles")]
            close = difflib.get_close_matches(source, known, n=1, cutoff=0.6)
            notes.append(f"no stored article comes from a source named {source!r}"
                         + (f"; did you mean {close[0]!r}?" if close else ""))
        if lang and not store.db.execute("SELECT 1 FROM articles WHERE lang = ? LIMIT 1", (lang.lower(),)).fetchone():
            notes.append(f"no stored article is in language {lang!r}")
    return f" ({'; '.join(notes)})" if notes else ""


def _tty() -> bool:
    import sys

    return sys.stdout.isatty()


def search_key(**parts: str | None) -> str:
    """The query and filters, normalized (spacing), as the key that --new remembers."""
    return json.dumps({k: " ".join(v.split()) if isinstance(v, str) else v for k, v in sorted(parts.items())},
                      ensure_ascii=False, sort_keys=True)


def keep_new(data_dir: Path, hits: list, **parts: str | None) -> list:  # type: ignore[type-arg]
    """The hits first stored after the previous ``--new`` search with the same key, and
    remember now as this key's time. The first such search finds everything new."""
    path = data_dir / SEEN_FILE
    try:
        seen = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(seen, dict):
            raise ValueError
    except FileNotFoundError:
        seen = {}
    except (OSError, ValueError):
        raise StoreError(f"{path}: unreadable record of earlier searches; delete it to start afresh") from None
    key = search_key(**parts)
    previous = seen.get(key)
    seen[key] = iso_utc(utcnow())
    if previous:
        hits = [h for h in hits if (h.article.get("first_seen_at") or h.article.get("fetched_at") or "") > previous]
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(seen, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise StoreError(f"{path}: cannot remember this search: {exc.strerror or exc}") from None
    return hits
