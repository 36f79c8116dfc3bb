"""The ``newsmon`` command: one click group; each command is a thin wrapper in newsmon/commands/."""

from __future__ import annotations

import atexit
import errno
import gc
import importlib
import os
import signal
import sys
import threading
from typing import Any, NoReturn

import click

# numpy's OpenBLAS starts a pool of worker threads as it loads (one per core), which cost ~60 ms of
# CPU, half of numpy's import, in every process that classifies a language. newsmon's one BLAS
# call is the language model's product of a page's feature counts (a few hundred to a few
# thousand) by 31 columns (pipelines.langid_model): small enough for one thread, which gives the
# same bits (tests/test_langid_exact.py), where the pool woke a thread for most pages (OpenBLAS
# splits the product from ~300 features). `extract --batch --jobs N` forks its workers, too. A
# value set by the user is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

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

# What `newsmon --help` lists for each command: its one-line summary and first example, as its
# own help says them (tests/test_cli_ux.py checks that they agree, and prints the line to paste
# when a command's help changes). Written out here so that `newsmon --help` imports no command:
# loading them all cost ~1.5 s of CPU (the crawl's modules, Scrapy among them).
SUMMARIES: dict[str, tuple[str, str | None]] = {
    "demo": ("Crawl the bundled sample news site (offline) into its own data dir, then search it.",
            "newsmon demo --data /tmp/newsmon-demo"),
    "crawl": ("Crawl sources: discover, fetch, extract, date, match, store and index articles.",
             "newsmon crawl --source hespress-fr --max-age 7"),
    "search": ("Search stored articles.",
              "newsmon search 'Kazakhstan (blé OR wheat OR قمح)' --since 2025-01-01"),
    "show": ("Show one stored article: metadata, topics and matched terms, its story, and the clean text.",
            "newsmon show 3f2a9c41d0b7"),
    "stats": ("Count stored articles per source, per language and per day (dated by publication, else by fetch time), with a per-day sparkline on a terminal.",
             "newsmon stats --since 2025-01-01"),
    "serve": ("Serve a read-only search page and JSON API over the stored articles.",
             "newsmon serve --port 8080   (then open http://127.0.0.1:8080/)"),
    "export": ("Export stored articles, one per line (JSONL) or row (CSV, topics/matched_terms as JSON).",
              "newsmon export --format csv --since 2025-01-01 -o articles.csv"),
    "runs": ("List crawl runs, newest first: source, times, status, pages, articles, errors.",
            "newsmon runs --json; newsmon runs --dropped"),
    "schedule": ("Run the scheduler in the foreground: each source is crawled on its `schedule` in a child process.",
                "newsmon schedule --sources settings/sources.yaml --data /var/lib/newsmon"),
    "status": ("Show the scheduler, each source's next run and running crawl, and its health.",
              "newsmon status --json"),
    "reindex": ("Rebuild the embedded index from SQLite (after an upgrade, or if the index was lost).",
               "newsmon reindex --data ./data"),
    "sources": ("The outlet registry (settings/sources.yaml): list it, check its URLs.",
               "newsmon sources check --source hespress-fr"),
    "extract": ("Print, as JSON, the record a crawl would store for one page (or, with --batch, for many).",
               "newsmon extract saved.html --url https://example.ma/2025/03/21/accord/ --tz Africa/Casablanca"),
    "parse-date": ("Print TEXT's date as an ISO 8601 UTC instant, or a calendar date when no time is written.",
                  'newsmon parse-date "Publié le 21 févr. 2025 à 14h30" --lang fr --tz Europe/Paris'),
    "topics": ("Show topics and check how a page is matched against them.",
              "newsmon topics list"),
    "alerts": ("Alerts on new matches: run (deliver), test a rule, log, feed.",
              "newsmon alerts feed kazakh-wheat -o wheat.atom"),
    "es": ("Elasticsearch 8.x/9.x: index setup, migration, outbox sync, status.",
          "newsmon es migrate"),
    "kibana": ("Kibana: import newsmon's saved objects (data view, saved search, dashboard).",
              "newsmon kibana setup --kibana-url http://localhost:5601"),
    "frontier": ("The shared frontier of crawl workers (`newsmon crawl --frontier URL`).",
                "newsmon frontier status --frontier redis://10.0.0.5:6379/0"),
    "merge": ("Copy the articles of the workers' data directories DIR… into --data, one per article id.",
             "newsmon merge /mnt/worker1/data /mnt/worker2/data --data ./data"),
}


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


# A write the device refused for want of room (a full disk or quota, a file size limit) or by
# failing (an I/O error): the output stops there, and a traceback would say nothing more.
OUTPUT_REFUSED = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})


def _discard_stdout() -> None:
    """Point stdout at /dev/null: what is still buffered goes nowhere, silently, at exit (Python
    would otherwise try to flush it again and report that failure as well)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def output_refused(exc: OSError) -> NoReturn:
    """A command's output could not be written (``newsmon runs > /dev/full``): one line, exit
    status 1, as for ``export``. The store is not touched by writing output, so nothing is lost."""
    _discard_stdout()
    what = exc.filename if exc.filename is not None else "to standard output"  # the words of export's -o
    click.echo(f"newsmon: error: cannot write {what}: {exc.strerror or exc}", err=True)
    sys.exit(1)


def reader_gone() -> NoReturn:
    """The reader of the output went away (``newsmon export | head -1``): stop quietly, as a Unix
    filter does (``cat``, ``grep``, ``git log`` die of SIGPIPE), with no traceback and no error
    line, and exit status 141 (128 + SIGPIPE), what a shell reports for them. click's own
    handling said nothing either, but exited 1, the status of a real failure. Python ignores
    SIGPIPE so that a write to a closed socket is an error rather than a death (the crawl and
    the server need that), so the status is set here rather than by the signal."""
    _discard_stdout()
    sys.exit(128 + signal.SIGPIPE)


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or help lists it), so that
    ``newsmon search`` does not pay for loading Scrapy.

    Every usage mistake (a bad option value, an unknown option or command) is one line on stderr,
    ``newsmon: error: …``, with exit status 2, the same prefix as the commands' own errors. Ctrl-C
    stops any command at once with exit status 130 (click's default is 1, after waiting for
    worker threads). A reader of the output that goes away stops it quietly (reader_gone); output
    the device refuses (a full disk) is one line and exit status 1 (output_refused)."""

    def invoke(self, ctx: click.Context) -> Any:
        refused: OSError | None = None
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # buffered output fails here, where it is handled, not at exit
            return result
        except KeyboardInterrupt:
            click.echo("newsmon: interrupted", err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)  # not sys.exit: threads still waiting on a slow server would hold the exit
        except BrokenPipeError:
            pass  # below, once the exception and the frames it holds are gone (their finally blocks ran)
        except OSError as exc:
            if exc.errno not in OUTPUT_REFUSED:
                raise
            refused = exc
        if refused is not None:
            output_refused(refused)
        reader_gone()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name.replace("_", "-") for name, _ in COMMANDS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for module, attr in COMMANDS:
            if module.replace("_", "-") == cmd_name:
                self.resolved = cmd_name
                command = getattr(importlib.import_module(f"newsmon.commands.{module}"), attr)
                if getattr(self, "collecting", True):
                    # The command's modules are in (see main). What they allocated (~100,000
                    # objects for a crawl's) was counted while the collector was off, and the first
                    # collections after it is back walked it all, then the survivors again (~10-15
                    # ms of a crawl's CPU): it lives as long as the process, so it is frozen first.
                    # The imports' own cyclic garbage is kept with it (a crawl's: ~1,700 objects,
                    # ~0.65 MB), as run_crawl keeps the start-up's.
                    gc.freeze()
                    gc.enable()
                return command
        return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its one-line summary and an example to copy (from SUMMARIES; a
        command missing there is imported to read its help)."""
        rows = []
        for name in self.list_commands(ctx):
            if name in SUMMARIES:
                summary, shown = SUMMARIES[name]
            else:
                cmd = self.get_command(ctx, name)
                if cmd is None or cmd.hidden:
                    continue
                summary, shown = cmd.get_short_help_str(limit=200), example(cmd)
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
        # imported (get_command), and back as it was here whatever happens.
        self.collecting = gc.isenabled()
        gc.disable()
        try:
            return self._main(*args, standalone_mode=standalone_mode, **kwargs)
        finally:
            if self.collecting:
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


# Commands whose process ends without tearing the interpreter down (see run): a crawl holds
# ~1,000 modules and ~1 M objects, and freeing them one by one at exit cost ~50 ms of CPU, ~5% of
# a poll that finds nothing new. Everything it writes is committed and closed by then.
QUICK_EXIT = frozenset({"crawl"})


def run() -> None:
    """The ``newsmon`` program (and ``python -m newsmon.cli``): :func:`main`, then, after a command
    in QUICK_EXIT, the process ends with ``os._exit`` once the exit handlers have run and the
    output is flushed: the same exit status and output, without the interpreter's teardown.

    The normal exit is kept whenever the shortcut could change anything: a thread other than the
    main one still alive (it would be joined), an exit status that is not a number (printed by
    the teardown), output that cannot be flushed (a closed pipe: Python reports it), or warnings
    asked for (``-X dev``, ``-W``: a ResourceWarning is only emitted as objects are freed).
    """
    try:
        main(prog_name="newsmon")
    except SystemExit as exc:
        code = 0 if exc.code is None else exc.code
        if (getattr(main, "resolved", None) in QUICK_EXIT and isinstance(code, int) and not sys.flags.dev_mode
                and not sys.warnoptions and threading.active_count() == 1):
            atexit._run_exitfuncs()  # what the normal exit runs first (logging's flush among them)
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except (OSError, ValueError):
                raise exc from None  # let Python report it, as it would have
            os._exit(code)
        raise


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsmon", message="%(prog)s %(version)s")
def main() -> None:
    """newsmon: find, date, clean, search and alert on news mentions of your topics.

    Example: newsmon demo
    """

if __name__ == "__main__":
    run()  # `python -m newsmon.cli` is the same command: help and errors say so
