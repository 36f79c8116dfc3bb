"""The ``newsmon`` command: one click group; each command is a thin wrapper in newsmon/commands/."""

from __future__ import annotations

import importlib

import click

# (module under newsmon.commands, attribute): each module defines one click command or group.
COMMANDS: list[tuple[str, str]] = [
    ("demo", "demo"),
    ("crawl", "crawl"),
    ("search", "search"),
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


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or help lists it), so that
    ``newsmon search`` does not pay for loading Scrapy."""

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
