"""The ``newsmon`` command: one click group; each command is a thin wrapper in newsmon/commands/."""

from __future__ import annotations

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
    ("export", "export"),
    ("runs", "runs"),
    ("reindex", "reindex"),
    ("sources", "sources"),
    ("extract", "extract_command"),
    ("parse_date", "parse_date_command"),
    ("topics", "topics"),
]


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or help lists it), so that
    ``newsmon search`` does not pay for loading Scrapy. Ctrl-C stops any command at once with
    exit status 130 (click's default is 1, after waiting for worker threads)."""

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
                return getattr(importlib.import_module(f"newsmon.commands.{module}"), attr)
        return None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsmon", message="%(prog)s %(version)s")
def main() -> None:
    """newsmon: find, date, clean, search and alert on news mentions of your topics."""

if __name__ == "__main__":
    main()
