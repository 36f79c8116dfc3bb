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
    ("reindex", "reindex"),
    ("sources", "sources"),
    ("extract", "extract_command"),
    ("parse_date", "parse_date_command"),
    ("topics", "topics"),
    ("es", "es"),
    ("kibana", "kibana"),
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsmon", message="%(prog)s %(version)s")
def main() -> None:
    """newsmon: find, date, clean, search and alert on news mentions of your topics."""


for _module, _attr in COMMANDS:
    main.add_command(getattr(importlib.import_module(f"newsmon.commands.{_module}"), _attr))

if __name__ == "__main__":
    main()
