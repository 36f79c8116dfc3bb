"""The README documents every command, and its two set-up commands are what CI runs."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from newsmon.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_paths(cmd: click.Command = main, prefix: tuple[str, ...] = ("newsmon",)) -> list[tuple[str, ...]]:
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)  # list_commands/get_command: what a lazily loading group answers to
        return [p for name in sorted(cmd.list_commands(ctx))
                for p in command_paths(cmd.get_command(ctx, name), prefix + (name,))]
    return [prefix]


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p))
def test_every_command_has_help_and_is_in_the_readme(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path[1:], "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert len(result.output.splitlines()) > 4
    assert f"`{' '.join(path)}" in README, f"{' '.join(path)} is not documented in README.md"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = next(line for line in ci.splitlines() if "python3.11 -m venv" in line)
    assert command in README
    assert "newsmon demo" in README.split("## Commands")[0]
