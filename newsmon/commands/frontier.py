"""`newsmon frontier status|reset`: the shared Redis frontier of several crawl workers."""

from __future__ import annotations

import os

import click

from newsmon.commands.common import json_option, print_json, printable, table, user_errors
from newsmon.frontier import ENV, reset, status
from newsmon.frontier.client import shown
from newsmon.yamlconf import ConfigError


def frontier_url_option(fn):  # type: ignore[no-untyped-def]
    return click.option("--frontier", "url", metavar="redis://HOST:PORT/DB", default=None,
                        help=f"The shared frontier. Default: ${ENV}.")(fn)


def required_url(url: str | None) -> str:
    url = url or os.environ.get(ENV)
    if not url:
        raise ConfigError(f"no frontier: pass --frontier redis://HOST:PORT/DB or set {ENV}")
    return url


@click.group("frontier")
def frontier() -> None:
    """The shared frontier of crawl workers (`newsmon crawl --frontier URL`).

    Example: newsmon frontier status --frontier redis://10.0.0.5:6379/0
    """


@frontier.command("status")
@frontier_url_option
@json_option
@user_errors
def status_command(url: str | None, as_json: bool) -> None:
    """Queue length, leases (held and expired), seen-set size, stored URLs and the workers alive.

    Example: NEWSMON_FRONTIER=redis://127.0.0.1:6379/0 newsmon frontier status
    """
    info = status(required_url(url))
    if as_json:
        print_json(info)
        return
    rows = [["frontier", info["frontier"]], ["state", info["state"]], ["epoch", info["epoch"] or "-"],
            ["seeded", "yes" if info["seeded"] else "no"], ["queued", info["queued"]],
            ["leased", f"{info['leased']} ({info['leases_expired']} expired)"], ["seen", info["seen"]],
            ["stored URLs (all batches)", info["stored_urls"]],
            ["workers alive", len(info["workers"])]]
    rows += [[f"  {w}", ""] for w in info["workers"]]
    rows += [[f"count {k}", v] for k, v in sorted(info["counts"].items())]
    table(["", ""], [[printable(a), printable(b)] for a, b in rows], title="frontier")


@frontier.command("reset")
@frontier_url_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@user_errors
def reset_command(url: str | None, yes: bool) -> None:
    """Clear the frontier: queue, leases, seen-set, shared delays and robots.txt. Running workers stop
    with "frontier lost".

    Example: newsmon frontier reset --frontier redis://127.0.0.1:6379/0 --yes
    """
    url = required_url(url)
    if not yes:
        click.confirm(f"clear the frontier at {shown(url)}?", abort=True)
    deleted = reset(url)
    click.echo(f"frontier {shown(url)}: {deleted} keys deleted")
