"""The ``newsmon`` command: one click group; each command is a thin wrapper in newsmon/commands/."""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Any

import click

# (module under newsmon.commands, attribute): each module defines one click command or group.
COMMANDS: list[tuple[str, str]] = [
    ("demo", "demo"),
    ("crawl", "crawl"),
    ("search", "search"),
    ("show", "show"),
    ("stats", "stats"),
    ("serve", "serve"),
    ("export", "export"),
    ("runs", "runs"),
    ("schedule", "schedule"),
    ("status", "status"),
    ("reindex", "reindex"),
    ("sources", "sources"),
    ("extract", "extract_command"),
    ("parse_date", "parse_date_command"),
    ("topics", "topics"),
    ("alerts", "alerts"),
    ("es", "es"),
    ("kibana", "kibana"),
    ("frontier", "frontier"),
    ("merge", "merge_command"),
]


def example(cmd: click.Command) -> str | None:
    """The first ``Example:`` of a command's help (of a group's first subcommand that has one)."""
    lines = (cmd.help or "").splitlines()
    for i, line in enumerate(lines):
        text = line.strip()
        if text.startswith(("Example:", "Examples:")):
            rest = text.split(":", 1)[1].strip() or next((n.strip() for n in lines[i + 1:] if n.strip()), "")
            return rest or None
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            found = example(sub) if sub is not None else None
            if found:
                return found
    return None


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or help lists it), so that
    ``newsmon search`` does not pay for loading Scrapy.

    Every usage mistake (a bad option value, an unknown option or command) is one line on stderr,
    ``newsmon: error: …``, with exit status 2, the same prefix as the commands' own errors. Ctrl-C
    stops any command at once with exit status 130 (click's default is 1, after waiting for
    worker threads)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("newsmon: interrupted", err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)  # not sys.exit: threads still waiting on a slow server would hold the exit

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name.replace("_", "-") for name, _ in COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for module, attr in COMMANDS:
            if module.replace("_", "-") == cmd_name:
                command = getattr(importlib.import_module(f"newsmon.commands.{module}"), attr)
                gc.enable()  # the command's modules are in (see main)
                return command
        return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its one-line summary and an example to copy."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is None or cmd.hidden:
                continue
            summary = cmd.get_short_help_str(limit=200)
            shown = example(cmd)
            rows.append((name, summary))
            if shown:
                rows.append(("", f"e.g. {shown}"))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows, col_max=12)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        # Importing a command's modules (a crawl's: ~1,000 of them, ~100,000 objects that live as
        # long as the process, and almost no garbage) made the cyclic collector walk those objects
        # again and again: ~50 ms of a crawl's start. It is off until the command's module is
        # imported (get_command), and on again here whatever happens.
        gc.disable()
        try:
            return self._main(*args, standalone_mode=standalone_mode, **kwargs)
        finally:
            gc.enable()

    def _main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as exc:
            message = " ".join(exc.format_message().split()).rstrip(".")
            where = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                where = f" (see `{exc.ctx.command_path} --help`)"
            click.echo(f"newsmon: error: {message}{where}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("newsmon: aborted", err=True)
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsmon", message="%(prog)s %(version)s")
def main() -> None:
    """newsmon: find, date, clean, search and alert on news mentions of your topics.

    Example: newsmon demo
    """

if __name__ == "__main__":
    main(prog_name="newsmon")  # `python -m newsmon.cli` is the same command: help and errors say so
