"""Flags and helpers shared by commands, so every command spells them the same way."""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib.util
import io
import json
import operator
import os
import re
import sqlite3
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from newsmon.errors import CrawlFailed
from newsmon.es.errors import EsError
from newsmon.query import QueryError
from newsmon.search_index import IndexError_
from newsmon.store import StoreError, damaged_hint, damaged_message
from newsmon.yamlconf import ConfigError

USER_ERRORS = (ConfigError, StoreError, IndexError_, CrawlFailed, QueryError, EsError)


def default_data_dir() -> Path:
    return Path(os.environ.get("NEWSMON_DATA") or "data")


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")


def date_option_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """--since/--until: a real date or ISO instant (``2025-13-01`` is refused, not silently
    compared as text); anything else is a usage error naming the value."""
    if value is None:
        return value
    if not _DATE.match(value):
        raise click.BadParameter(f"{value!r}: use YYYY-MM-DD or an ISO 8601 time")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not a real date ({exc}); use YYYY-MM-DD") from None
    return value


def data_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--data", "data_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="Data directory (SQLite store and index). Default: $NEWSMON_DATA or ./data.",
    )(fn)


def json_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(fn)


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Configuration, store, index and query problems become one line on stderr and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except USER_ERRORS as exc:
            click.echo(f"newsmon: error: {exc}", err=True)
            sys.exit(2)
        except sqlite3.DatabaseError as exc:  # damage found past the check at open (a bad page mid-file)
            if not damaged_hint(exc):
                raise
            # the file, when the command names its data directory (every one with --data does)
            path = (kwargs["data_dir"] or default_data_dir()) / "newsmon.db" if "data_dir" in kwargs else "the database"
            click.echo(f"newsmon: error: {damaged_message(path, exc)}", err=True)
            sys.exit(2)

    return wrapper


class OutputError(click.ClickException):
    """An output file that cannot be written: one line, ``newsmon: error: cannot write PATH: …``.
    Exit status 2 when it cannot even be opened (a missing or read-only directory, a directory
    given as the file: a mistake in the command line), 1 when writing failed part-way (a full disk)."""

    def __init__(self, path: Any, exc: OSError, exit_code: int, note: str = "") -> None:
        super().__init__(f"cannot write {path}: {exc.strerror or exc}{note}")
        self.exit_code = exit_code


class _Written:
    """The file being written: its write errors (a full disk) become an OutputError naming it."""

    def __init__(self, handle: Any, fail: Callable[[OSError], OutputError]) -> None:
        self._handle, self._fail = handle, fail

    def write(self, data: Any) -> int:
        return self._guarded(self._handle.write, data)

    def flush(self) -> None:
        self._guarded(self._handle.flush)

    def _guarded(self, call: Callable[..., Any], *args: Any) -> Any:
        try:
            return call(*args)
        except BrokenPipeError:
            raise  # the reader of a pipe went away: the CLI stops quietly (newsmon.cli)
        except OSError as exc:
            raise self._fail(exc) from None


@contextlib.contextmanager
def output_file(path: Path | str | None, *, binary: bool = False, newline: str | None = None) -> Iterator[Any]:
    """Where a command's ``-o FILE`` goes (stdout when None or ``-``), written whole or not at all.

    A regular file (new or existing) is written to a temporary file beside it, which replaces it
    only once everything was written and synced: an export that fails half-way (a full disk, an
    error reading the store, Ctrl-C) leaves the previous file as it was and no half file. A
    device or a pipe (``/dev/stdout``, a FIFO) is written in place. A path that cannot be
    written (its directory missing or read-only, a directory) is one line and exit status 2,
    before anything is read; a write that fails part-way is one line and exit status 1."""
    if path is None or str(path) == "-":
        stream: Any = sys.stdout.buffer if binary else sys.stdout
        wrapped = not binary and (getattr(stream, "encoding", None) or "").lower().replace("-", "") != "utf8"
        if wrapped:  # UTF-8 whatever the locale says, as the file would be
            stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8")
        written = _Written(stream, lambda exc: OutputError("to standard output", exc, 1))
        try:
            yield written
            written.flush()
        finally:
            if wrapped:
                with contextlib.suppress(OSError, ValueError):  # the write error is already on its way
                    stream.detach()  # sys.stdout's own buffer stays open
        return
    shown = str(path)
    mode = "wb" if binary else "w"
    kwargs: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": newline}
    try:
        existing: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise OutputError(shown, exc, 2) from None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise OutputError(shown, IsADirectoryError(21, "is a directory"), 2)
    if existing is not None and not stat.S_ISREG(existing.st_mode):  # a device or a pipe: in place
        try:
            handle = open(path, mode, **kwargs)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise OutputError(shown, exc, 2) from None
        try:
            yield _Written(handle, lambda exc: OutputError(shown, exc, 1))
            try:
                handle.close()
            except OSError as exc:
                raise OutputError(shown, exc, 1) from None
        finally:
            with contextlib.suppress(OSError):
                handle.close()
        return
    target = os.path.realpath(path)  # a symbolic link: the file it points to is replaced, not the link
    folder, name = os.path.split(target)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise OutputError(shown, exc, 2) from None
    kept = f" ({shown} left as it was)" if existing is not None else ""
    try:
        if existing is not None:
            os.fchmod(fd, stat.S_IMODE(existing.st_mode))
        else:  # mkstemp's 0600, widened to what a plain open() would have given
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)
        handle = open(fd, mode, **kwargs)  # noqa: SIM115 - closed below
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    try:
        yield _Written(handle, lambda exc: OutputError(shown, exc, 1, kept))
        try:
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(temporary, target)
        except OSError as exc:
            raise OutputError(shown, exc, 1, kept) from None
    except BaseException:
        with contextlib.suppress(OSError):
            handle.close()
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# C0/C1 control characters (ANSI escapes, OSC title/hyperlink sequences, BEL) and the bidi
# override/isolate characters ("Trojan source") from crawled text must not reach a terminal.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(value: Any) -> str:
    """Crawled text made safe for a terminal: controls dropped, newlines and tabs kept."""
    return _UNPRINTABLE.sub("", "" if value is None else str(value))


def json_text(data: Any, **kwargs: Any) -> str:
    """JSON with crawled text readable, but C1 controls and bidi overrides written as \\uXXXX
    escapes (the same JSON value), so that neither a terminal nor a reader is misled by them."""
    text = json.dumps(data, ensure_ascii=False, default=str, **kwargs)
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json(data: Any) -> None:
    click.echo(json_text(data, indent=2))


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A text cell a spreadsheet will show, not run: a leading formula character gets a "'"."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _box() -> Any:
    """One table style for every command: a rule under the header, no outer frame."""
    from rich import box

    return box.SIMPLE_HEAD


def table(columns: list[str], rows: list[list[Any]], title: str | None = None) -> None:
    """A readable table on a terminal, tab-separated lines otherwise. Cell text is never
    interpreted as markup: crawled titles may contain anything."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(soft_wrap=False)  # rich honours NO_COLOR, and colours only a terminal
    if not console.is_terminal:
        click.echo("\t".join(columns))
        for row in rows:
            click.echo("\t".join(printable(c).replace("\t", " ").replace("\n", " ") for c in row))
        return
    tbl = Table(title=title, title_justify="left", box=_box())
    for col in columns:
        tbl.add_column(col, overflow="fold")
    for row in rows:
        # a Text cell was built by the caller from printable() parts; anything else is made safe here
        tbl.add_row(*[c if isinstance(c, Text) else Text(printable(c)) for c in row])
    console.print(tbl)


COMPUTED = object()  # the default of a setting that Scrapy computes (USER_AGENT): any value will do


def known_settings() -> dict[str, Any]:
    """Every setting Scrapy or newsmon defines, with its default (COMPUTED where Scrapy's is not
    a literal): what ``-s NAME=VALUE`` may set, and what its value must parse as.

    Scrapy's catalogue is read from the source of ``scrapy.settings.default_settings`` (its
    top-level assignments) rather than imported: importing it imports Scrapy (~0.3 s of CPU and
    ~25 MiB), which `newsmon schedule -s …`, a long-running process that only passes the
    settings on to its crawls, kept for its whole life. ``tests/test_overrides.py`` compares the
    two readings name by name."""
    from settings import scrapy_settings  # plain assignments, no imports

    loaded = sys.modules.get("scrapy.settings.default_settings")
    if loaded is not None:  # a crawl has imported Scrapy already: reading the module is free (~4 ms less)
        return {n: getattr(m, n) for m in (loaded, scrapy_settings) for n in dir(m) if n.isupper()}
    spec = importlib.util.find_spec("scrapy")  # finds the package without importing it
    if spec is None or spec.origin is None:
        raise ConfigError("Scrapy is not installed")
    found: dict[str, Any] = {}
    source = Path(spec.origin).parent / "settings" / "default_settings.py"
    for node in ast.parse(source.read_bytes(), str(source)).body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id.isupper():
                found[target.id] = _default(value)
    found.update((name, getattr(scrapy_settings, name)) for name in dir(scrapy_settings) if name.isupper())
    return found


_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Pow: operator.pow,
               ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv}


def _default(node: ast.expr) -> Any:
    """The value of a setting's literal default, arithmetic on numbers included (``32 * 1024``);
    COMPUTED for anything else (a call, an f-string, a list naming a class)."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        pass
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = _default(node.left), _default(node.right)
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
            return _ARITHMETIC[type(node.op)](left, right)
    return COMPUTED


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    """``NAME=VALUE`` pairs, as Scrapy's ``-s``: the name must be a setting Scrapy or newsmon
    knows, and a number or flag must parse, so a typo fails here and not mid-crawl."""
    if not pairs:
        return {}
    known = known_settings()
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or name.upper() != name:
            raise click.BadParameter(f"{pair!r}: use NAME=VALUE with an upper-case setting name", param_hint="--set")
        if name not in known:
            raise click.BadParameter(f"{name}: no such setting (see settings/scrapy_settings.py)", param_hint="--set")
        default = known[name]
        try:
            if isinstance(default, bool):
                if value.strip().lower() not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError
            elif isinstance(default, (int, float)):
                float(value)
        except ValueError:
            expected = "true or false" if isinstance(default, bool) else "a number"
            raise click.BadParameter(f"{name}={value!r}: expected {expected}", param_hint="--set") from None
        out[name] = value
    return out
