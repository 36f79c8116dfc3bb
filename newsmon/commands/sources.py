"""``newsmon sources list|check``: show the registry, and test its URLs from this machine.

A failing URL is a row, not a crash, but it is a failure: ``check`` exits 1 when any URL did not
answer as its kind should (0 when all did, 130 when interrupted). A broken sources file is the
user's to fix, so it exits 2 with the one-line ``file:line: ...`` message.
"""

from __future__ import annotations

import json
import re
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote, urlsplit, urlunsplit

import click

from rich.console import Console
from rich.text import Text

from newsmon.check import CheckOptions, CheckResult, UrlCheck, run_check
from newsmon.commands.common import parse_overrides, print_json, printable, table, user_errors
from newsmon.config import DEFAULT_SOURCES_FILE, DEFAULT_TOPICS_FILE, Source, SourcesFile, load_sources
from newsmon.yamlconf import ConfigError, load_model

_SOURCES_OPTION = click.option(
    "--sources", "sources_file", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_SOURCES_FILE,
    show_default=True, help="Source registry (YAML).",
)


def _fail(message: str) -> NoReturn:
    click.echo(f"newsmon: error: {message}", err=True)
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

            from rich import box

            table = Table(*headers, show_lines=False, box=box.SIMPLE_HEAD)  # the style of every command's tables
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
    """Validate the registry and print one row per source (disabled ones included).

    Example: newsmon sources list --sources settings/sources.yaml --json
    """
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


def display_url(url: str) -> str:
    """``url`` as a person reads it: percent-escapes of UTF-8 text decoded (Arabic, Cyrillic)
    and punycode hosts shown in their script. Escapes that decode to a reserved delimiter, a
    space, a control or a bidi character stay escaped, so the shown URL still means the same
    and cannot restyle a terminal; :func:`printable` is applied on top by the table."""
    parts = urlsplit(url)
    host = parts.netloc
    if "xn--" in host.lower():
        try:
            host = ".".join(label.encode("ascii").decode("idna") if label.lower().startswith("xn--") else label
                            for label in host.split("."))
        except UnicodeError:
            host = parts.netloc
    rest = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    return f"{parts.scheme}://{host}{_ESCAPES.sub(_decode_escapes, rest)}" if parts.scheme else _ESCAPES.sub(_decode_escapes, url)


_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_KEEP_ESCAPED = set(";/?:@&=+$,#%[]!*'()\"\\<>^`{|}")


def _decode_escapes(match: re.Match[str]) -> str:
    raw = bytes.fromhex(match.group(0).replace("%", ""))
    text = raw.decode("utf-8", "surrogateescape")
    out = []
    for ch in text:
        if "\udc80" <= ch <= "\udcff" or ch in _KEEP_ESCAPED or ch.isspace() or not ch.isprintable() \
                or printable(ch) != ch:
            out.append(quote(ch.encode("utf-8", "surrogateescape"), safe=""))
        else:
            out.append(ch)
    return "".join(out)


@sources.command("check")
@_SOURCES_OPTION
@click.option("--source", "names", multiple=True, metavar="NAME", help="Check only this source (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array instead of a table.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=None,
              help="Seconds allowed per download (default: the crawl's DOWNLOAD_TIMEOUT).")
@click.option("--deadline", type=click.FloatRange(min=0.1), default=None,
              help="Seconds for the whole check: no URL is started after it, and the URLs not reached are "
                   "reported as not checked (exit 1). Default: none, the run is bounded by URLs x --timeout.")
@click.option("--query", default=None,
              help="Words filled into search URL templates (default: the crawl's search terms, from --topics).")
@click.option("--topics", "topics_file", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_TOPICS_FILE, show_default=True, help="Topics file the crawl's search terms come from.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy/newsmon setting, as for `newsmon crawl` (repeatable).")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
@user_errors
def check(sources_file: Path, names: tuple[str, ...], as_json: bool, timeout: float | None,
          deadline: float | None, query: str | None, topics_file: Path, overrides: tuple[str, ...], verbose: int) -> None:
    """Fetch every feed, sitemap, search, section and homepage URL through the crawler and report.

    One row per URL: status, content type, items (counted by the crawler's own parsers), newest
    item date, robots.txt verdict, time. Exit status: 0 when every URL answered as expected,
    1 when some failed or --deadline left some unchecked, 2 on a configuration error, 130 when
    interrupted.

    Example: newsmon sources check --source hespress-fr
    """
    selected: list[Source] = load_sources(sources_file, names)
    if not selected:
        raise click.UsageError(f"{sources_file}: no enabled sources")
    options = CheckOptions(topics_file=topics_file, query=query, timeout=timeout, deadline=deadline,
                           log_level=["WARNING", "INFO", "DEBUG"][min(verbose, 2)],
                           extra_settings=parse_overrides(overrides))
    with CheckProgress() as options.progress:
        result = run_check(selected, options)
    rows = result.rows
    if as_json:
        print_json([r.as_dict() for r in rows])
    else:
        print_rows(rows)
    code = report(result, len(selected))
    if result.interrupted:
        # Ctrl-C left requests in flight in Twisted's threads; do not wait for them at exit
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


CHECK_COLUMNS = ["source", "kind", "status", "type", "items", "newest", "robots", "time", "url", "problem"]


def print_rows(rows: Sequence[UrlCheck]) -> None:
    """A table when it fits (tab-separated when piped); on a narrower terminal one short record
    per URL, so that no URL is folded into slivers: its facts, then the whole URL, then the
    problem."""
    cells = [[r.source, r.kind, "-" if r.status is None else str(r.status), r.content_type or "-",
              "-" if r.items is None else str(r.items), r.newest or "-", r.robots,
              "-" if r.seconds is None else f"{r.seconds:.2f}s", display_url(r.url), r.error or ""] for r in rows]
    console = Console(soft_wrap=False)
    widths = [max([len(h), *(len(printable(c[i])) for c in cells)]) for i, h in enumerate(CHECK_COLUMNS)]
    if not console.is_terminal or console.width >= sum(widths) + 3 * len(widths) + 1:
        table(CHECK_COLUMNS, cells)
        return
    for r, c in zip(rows, cells):
        facts = "  ".join([c[0], c[1], *([c[2], c[3]] if r.status is not None else []),
                           *([f"{c[4]} items"] if r.items is not None else []),
                           *([f"newest {c[5]}"] if r.newest else []), f"robots {c[6]}",
                           *([c[7]] if r.seconds is not None else [])])
        console.print(Text(printable(facts), style=None if r.ok else "bold"))
        console.print(Text("  " + printable(c[8])), soft_wrap=True)
        if not r.ok:
            console.print(Text("  " + printable(c[9]), style="red"), soft_wrap=True)


class CheckProgress:
    """A progress bar on a terminal (stderr); elsewhere a line every ``every`` seconds, so a long
    check in a log or a pipe is never silent for long."""

    def __init__(self, every: float = 30.0):
        self.every = every
        self.started = self.last_line = time.monotonic()
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> "CheckProgress":
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task("checking URLs", total=None)
            self.bar.start()
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total)
            return
        now = time.monotonic()
        if now - self.last_line >= self.every and done < total:
            self.last_line = now
            click.echo(f"newsmon: checked {done} of {total} URLs ({now - self.started:.0f}s)", err=True)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def report(result: CheckResult, sources: int) -> int:
    """The closing line on stderr and the exit status: 0 all answered, 1 some failed, 130 interrupted."""
    total, failed = len(result.rows), len(result.failed)
    took = f"{sources} source{'s' if sources != 1 else ''}, {result.seconds:.1f}s"
    if result.interrupted:
        missing = sum(r.failure == "not_checked" for r in result.rows)
        click.echo(f"newsmon: check interrupted: {missing} of {total} URLs not checked ({took})", err=True)
        return 130
    if result.deadline_reached:
        missing = sum(r.failure == "not_checked" for r in result.rows)
        click.echo(f"newsmon: check deadline reached: {missing} of {total} URLs not checked, "
                   f"{failed - missing} failed ({took})", err=True)
        return 1
    if failed:
        click.echo(f"newsmon: {failed} of {total} URLs failed ({took})", err=True)
        return 1
    click.echo(f"newsmon: all {total} URLs answered as expected ({took})", err=True)
    return 0
