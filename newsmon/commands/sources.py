"""``newsmon sources list|check``: show the registry, and test its URLs from this machine.

A failing URL is a finding, not a crash: ``check`` exits 0 whatever the network says. A broken
sources file is the user's to fix, so it exits 2 with the one-line ``file:line: ...`` message.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import click

from newsmon.commands.common import printable

from newsmon.config import DEFAULT_SOURCES_FILE, Source, SourcesFile, load_sources
from newsmon.yamlconf import ConfigError, load_model

_SOURCES_OPTION = click.option(
    "--sources", "sources_file", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_SOURCES_FILE,
    show_default=True, help="Source registry (YAML).",
)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Aligned plain text (pipes, logs, narrow terminals); a rich table on a terminal wide enough.

    A squeezed rich table folds URLs into unreadable slivers, so width decides, not taste.
    """
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        console = Console()
        if console.width >= sum(widths) + 3 * len(widths) + 1:
            from rich.text import Text

            table = Table(*headers, show_lines=False)
            for row in rows:
                style = "red" if any("ERROR:" in cell for cell in row) else None
                # cells hold what servers sent (content types, error text): never rich markup
                table.add_row(*(Text(printable(cell)) for cell in row), style=style)
            console.print(table)
            return
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()]
    lines += ["  ".join(printable(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    click.echo("\n".join(lines))


@click.group("sources")
def sources() -> None:
    """The outlet registry (settings/sources.yaml): list it, check its URLs."""


@sources.command("list")
@_SOURCES_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
def list_sources(sources_file: Path, as_json: bool) -> None:
    """Validate the registry and print one row per source (disabled ones included)."""
    try:
        registry = load_model(sources_file, SourcesFile).sources
    except ConfigError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps([s.model_dump(mode="json") for s in registry], ensure_ascii=False, indent=2))
        return
    rows = [
        [s.name, s.language, s.effective_locale, s.timezone, str(len(s.feeds)), str(len(s.sitemaps)),
         str(len(s.search)), str(len(s.sections)), s.schedule or "-", "yes" if s.enabled else "no",
         s.verified.isoformat() if s.verified else "unverified"]
        for s in registry
    ]
    _table(["name", "lang", "locale", "timezone", "feeds", "sitemaps", "search", "sections", "schedule",
            "enabled", "verified"], rows)
    click.echo(f"{len(registry)} sources ({sum(s.enabled for s in registry)} enabled) in {sources_file}")


@sources.command("check")
@_SOURCES_OPTION
@click.option("--source", "names", multiple=True, metavar="NAME", help="Check only this source (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Seconds allowed per URL.")
@click.option("--query", default=None,
              help="Words filled into search URL templates (default: the first topic's terms in each desk's language).")
@click.option("--topics", "topics_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Topics file the default search words come from.")
def check(sources_file: Path, names: tuple[str, ...], as_json: bool, timeout: float, query: str | None,
          topics_file: Path | None) -> None:
    """Fetch every feed, sitemap, search, section and homepage URL and report what answered.

    Unreachable URLs are reported as rows with an error; the exit status stays 0.
    """
    from newsmon import sourcecheck

    try:
        selected: list[Source] = load_sources(sources_file, names)
    except ConfigError as exc:
        _fail(str(exc))
    started = time.monotonic()
    queries = {} if query else sourcecheck.topic_queries(topics_file)
    rows = sourcecheck.check_sources(selected, timeout=timeout, query=query, queries=queries)
    elapsed = time.monotonic() - started
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2))
        return
    _table(
        ["source", "kind", "status", "type", "items", "newest", "robots", "time", "url / error"],
        [[r.source, r.kind, str(r.status) if r.status is not None else "-", r.content_type or "-",
          str(r.items) if r.items is not None else "-", r.newest or "-", r.robots, f"{r.seconds:.2f}s",
          r.url if r.ok else f"{r.url}  ERROR: {r.error}"] for r in rows],
    )
    failed = sum(not r.ok for r in rows)
    click.echo(f"{len(rows)} URLs from {len(selected)} sources: {len(rows) - failed} ok, {failed} failed "
               f"({elapsed:.1f}s)")
