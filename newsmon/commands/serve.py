"""`newsmon serve`: the search page and JSON API on this machine (read-only)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from typing import Any

import click
import uvicorn

from newsmon.alerts.config import DEFAULT_ALERTS_FILE, load_alerts
from newsmon.commands.common import data_option, default_data_dir, user_errors
from newsmon.config import DEFAULT_SOURCES_FILE, load_sources
from newsmon.search import BACKENDS, open_backend
from newsmon.store import Store
from newsmon.yamlconf import ConfigError
from newsmon.web.app import ServeConfig, create_app

TOKEN_ENV = "NEWSMON_SERVE_TOKEN"
# On SIGTERM the requests under way get this long to be answered: a service manager's stop must
# not wait for a search stuck on an unreachable cluster (30 s a try, 4 tries), nor run into its
# own kill (Docker's 10 s).
STOP_GRACE_S = 5


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@data_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help=f"Address to bind. Anything but loopback requires ${TOKEN_ENV}.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port (0: any free port; the first line printed is the URL).")
@click.option("--sources", "sources_file", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_SOURCES_FILE, show_default=True, help="Sources file (each source's time zone).")
@click.option("--alerts", "alerts_file", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_ALERTS_FILE, show_default=True, help="Alert rules file (shown on the alerts page).")
@click.option("--backend", type=click.Choice(BACKENDS), default="auto", show_default=True,
              help="Where searches go. auto: Elasticsearch when NEWSMON_ES_URL (or settings) configures it, "
                   "else the embedded index.")
@user_errors
def serve(data_dir: Path | None, host: str, port: int, sources_file: Path, alerts_file: Path, backend: str) -> None:
    """Serve a read-only search page and JSON API over the stored articles.

    Pages: search with facets, mentions over time, articles, alert rules with their feeds, crawl
    runs and source health. API: /api/search, /api/articles/{id}, /api/runs, /api/sources and
    the OpenAPI schema at /openapi.json. Searches go to Elasticsearch when it is configured
    (--backend chooses); articles are read from the store, else from the cluster. Binds
    127.0.0.1 by default; on any other address every request must carry the token from
    $NEWSMON_SERVE_TOKEN (Authorization: Bearer, or open the page once with ?token=).

    Example: newsmon serve --port 8080   (then open http://127.0.0.1:8080/)
    """
    token = os.environ.get(TOKEN_ENV) or None
    if not loopback(host) and not token:
        click.echo(f"newsmon: error: --host {host} is reachable from other machines: set {TOKEN_ENV} "
                   "to a secret token first (or bind 127.0.0.1)", err=True)
        sys.exit(2)
    # a broken or misspelt file is one line and exit 2 here, not times in UTC or rules missing later
    for path, default, load in ((sources_file, DEFAULT_SOURCES_FILE, load_sources),
                                (alerts_file, DEFAULT_ALERTS_FILE, load_alerts)):
        if path.exists():
            load(path)
        elif Path(path) != Path(default):
            raise ConfigError(f"{path}: no such file")
    data_dir = data_dir or default_data_dir()
    searcher = open_backend(data_dir, backend)  # an unreachable cluster: one line and exit 2
    try:
        if searcher.name == "embedded":
            Store(data_dir, readonly=True).close()  # no store yet: one line and exit 2, before listening
        else:
            click.echo(f"newsmon: searching {searcher.describe()}", err=True)
        app = create_app(ServeConfig(data_dir, token=token, sources_file=sources_file, alerts_file=alerts_file),
                         searcher)
        _listen(app, host, port)
    finally:
        searcher.close()
    requests, others = _still_running()
    if not requests and not others:
        click.echo("newsmon serve: stopped", err=True)
        return
    # a request still waiting on its backend holds a worker thread that nothing can interrupt:
    # the process would wait for it at exit. The store is only read, so nothing is lost by ending.
    cut = [f"{requests} request(s)"] * bool(requests) + [f"{others} other thread(s)"] * bool(others)
    click.echo(f"newsmon serve: stopped; {' and '.join(cut)} still running after {STOP_GRACE_S} s were cut off",
               err=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _still_running() -> tuple[int, int]:
    """(requests, other threads) still running once the server has stopped, after half a second
    in all: the non-daemon threads that would hold the exit (idle workers end at once). Requests
    are run in anyio's worker threads, known by their name."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    deadline = time.monotonic() + 0.5
    for thread in others:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    alive = [thread for thread in others if thread.is_alive()]
    requests = sum(thread.name == "AnyIO worker thread" for thread in alive)
    return requests, len(alive) - requests


def _said_by_us(record: logging.LogRecord) -> bool:
    """uvicorn's lines on requests cut off at the stop (its notice, and each request's
    cancellation as a traceback): the stop line says it instead. Asked only once the stop has
    begun: a cancellation while serving is still logged."""
    cancelled = bool(record.exc_info) and isinstance(record.exc_info[1], asyncio.CancelledError)
    return not (cancelled or str(record.msg).startswith("Cancel %s running task"))


def _listen(app: Any, host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            click.echo(f"newsmon: error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
            sys.exit(2)
        sock.listen(2048)  # connections made after the URL is printed wait in the backlog
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        click.echo(f"http://{shown}:{bound}/", nl=True)
        sys.stdout.flush()
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                               timeout_graceful_shutdown=STOP_GRACE_S))
        logging.getLogger("uvicorn.error").addFilter(lambda record: not server.should_exit or _said_by_us(record))
        # SIGTERM (`kill`, a service manager's stop) is a request to stop, as for `newsmon schedule`:
        # the requests under way are answered, the search backend is closed, one line says so and
        # the exit status is 0. uvicorn handles it while it serves, then raises it again once
        # stopped, for the handler that was there before: without one of ours, the default handler
        # killed the process there (exit 143, without a word, the backend left open). A SIGTERM
        # come before uvicorn's handler is in place stops the server as soon as it starts.
        def stop(signum: int, frame: Any) -> None:
            server.should_exit = True

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            server.run(sockets=[sock])
        finally:
            signal.signal(signal.SIGTERM, previous)
    finally:
        sock.close()
