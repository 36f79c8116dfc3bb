"""``newsmon extract``: show the record a crawl would store for one page (file or URL)."""

from __future__ import annotations

import ctypes
import gc
import json
import multiprocessing
import os
import signal
import sys
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from newsmon.config import DEFAULT_TOPICS_FILE, load_topics
from pipelines.extract import MAX_PAGE_BYTES, prepare_fallback
from pipelines.instants import iso_utc  # as the store writes instants
from pipelines.items import Dropped
from pipelines.language import load_identifier
from newsmon import fetch as page_fetch
from pipelines.page import Hints, PageProcessor

FETCH_TIMEOUT = 20
USER_AGENT = "newsmon-extract/1"


class PageError(Exception):
    """A page could not be read; the message names it."""


def fetch(url: str, max_bytes: int = MAX_PAGE_BYTES) -> tuple[bytes, str | None, str]:
    """GET ``url`` → (body, content type, final URL after redirects), through the same fetch as
    ``sources check``: a 20 s deadline for the whole request (a server dripping bytes cannot hold
    it), a size cap, and redirects to private addresses refused."""
    try:
        fetched = page_fetch.fetch(url, timeout=FETCH_TIMEOUT, user_agent=USER_AGENT, max_bytes=max_bytes)
    except page_fetch.FetchError as err:
        raise PageError(f"cannot fetch ({err}): {url}") from None
    return fetched.body, fetched.content_type or None, fetched.url


def timezone_value(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An IANA zone, checked up front: a typo must not quietly turn into UTC."""
    if value is None:
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown timezone {value!r} (use an IANA name like Africa/Casablanca)") from None
    return value


def read_source(source: str) -> tuple[bytes, str | None, str]:
    """FILE or http(s) URL → (body, content type or None, URL of the page)."""
    if source.startswith(("http://", "https://")):
        return fetch(source)
    path = Path(source)
    if not path.exists() or path.is_dir():
        raise PageError(f"no such file: {source}")
    with path.open("rb") as handle:  # also reads pipes such as <(zcat page.html.gz)
        body = handle.read(MAX_PAGE_BYTES + 1)
    if len(body) > MAX_PAGE_BYTES:
        raise PageError(f"page larger than {MAX_PAGE_BYTES} bytes: {source}")
    return body, None, path.absolute().as_uri()


def parse_fetched_at(value: str | None) -> datetime | None:
    """ISO date-time; one without an offset is taken as UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO date-time: {value!r}", param_hint="--fetched-at") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)  # as the store writes it
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _select_topics(name: str | None) -> list:
    """All topics of settings/topics.yaml, or just the one named by ``--topic``."""
    topics = load_topics(DEFAULT_TOPICS_FILE)
    if name is None:
        return topics
    chosen = [t for t in topics if getattr(t, "name", None) == name]
    if not chosen:
        known = ", ".join(str(getattr(t, "name", t)) for t in topics)
        raise PageError(f"unknown topic {name!r} (known: {known})")
    return chosen


# What a dropped page was, by the reason its stage gave (pipelines.extract.ExtractStage._drop).
BATCH_KINDS = {
    "not_an_article_listing": "listing", "not_an_article_search": "listing", "not_an_article_tag": "listing",
    "not_an_article_challenge": "challenge", "not_an_article_not_found": "not_found", "login_wall": "login_wall",
    "not_an_article_empty": "empty", "empty": "empty", "too_short": "empty",
}
BATCH_FIELDS = ("url", "kind", "title", "text", "published_at", "published_utc", "date_source", "lang", "error")


def batch_record(url: str | None, kind: str, article: dict | None = None, error: str | None = None) -> dict[str, Any]:
    """One output line of ``--batch``: every field present, null when unknown."""
    article = article or {}
    record = {name: article.get(name) for name in BATCH_FIELDS}
    record.update(url=url, kind=kind, error=error)
    return record


def _batch_line(line: str, process: PageProcessor, moment: datetime | None) -> dict[str, Any]:
    """One input line → its output record; never raises for a bad line or a bad page."""
    try:
        request = json.loads(line)
    except ValueError as err:
        return batch_record(None, "error", error=f"not a JSON object: {err}")
    if not isinstance(request, dict):
        return batch_record(None, "error", error="not a JSON object")
    url = request.get("url") if isinstance(request.get("url"), str) else None
    path, tz = request.get("path"), request.get("tz") or "UTC"
    if not isinstance(path, str) or not path:
        return batch_record(url, "error", error='missing "path"')
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return batch_record(url, "error", error=f"unknown timezone {tz!r}")
    try:
        body, content_type, file_url = read_source(path) if not path.startswith(("http://", "https://")) else (None, None, None)
    except PageError as err:
        return batch_record(url, "error", error=str(err))
    if body is None:
        return batch_record(url, "error", error=f"not a file: {path}")
    url = url or file_url
    hints = Hints(content_type=content_type, timezone=tz, fetched_at=moment, discovered_via="cli")
    try:
        result = process(body, url, hints)
    except Exception as err:  # noqa: BLE001 - one page must not end the batch
        return batch_record(url, "error", error=f"{type(err).__name__}: {err}")
    if result.article is not None:
        return batch_record(url, "article", result.record())
    reason = result.dropped.reason if result.dropped else "error"
    kind = BATCH_KINDS.get(reason, "error")
    # A listing (or a body too short) still shows what extraction found beside its kind.
    return batch_record(url, kind, result.found(), error=str(result.dropped) if kind == "error" else None)


def run_batch(stream, process: PageProcessor, moment: datetime | None, jobs: int = 1) -> Counter:
    """JSON Lines in (``{"url", "path", "tz"?}``), one JSON line out per input line, in order.

    With ``jobs`` > 1 the pages are processed by that many worker processes (the page path is
    CPU-bound Python: threads would share one core). Workers are forked from this process, so
    they start with its processor, topics and imports; lines are handed to them four at a time
    (the last group as soon as the input ends), at most 32 pages per worker are in flight, and
    each record is printed as soon as every earlier one has been."""
    kinds: Counter = Counter()
    lines = (line for line in stream if line.strip())
    with _CtrlC() as ctrl_c:
        records = (_records_in_pool(lines, process, moment, jobs, ctrl_c) if jobs > 1 else
                   (_record_line(line, process, moment) for line in ctrl_c.until(lines)))
        try:
            for kind, text in records:
                kinds[kind] += 1
                click.echo(text)
        finally:
            records.close()  # the workers are gone before an error (the reader of a pipe gone) goes on
    return kinds


class _CtrlC:
    """Ctrl-C (or SIGTERM) during a batch, as a flag: the handler only sets it, and the loops
    check it between pages. The default handler raises KeyboardInterrupt wherever the interpreter
    happens to be: inside the process pool's locks and joins (a second Ctrl-C there left the
    command hung and its workers behind), in a finalizer (where it is printed and swallowed), or
    in a worker forked before its initializer ignored SIGINT; SIGTERM's default killed the command
    alone and left its workers waiting for pages forever. Leaving the ``with`` after either raises
    KeyboardInterrupt, which the CLI turns into ``newsmon: interrupted`` and exit status 130. A
    signal the command was started with ignored (``nohup``, a background job) stays ignored."""

    DEFAULTS = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}

    def __init__(self) -> None:
        self.pressed = False
        self.previous: dict[int, Any] = {}

    def _handler(self, signum: int, frame: Any) -> None:
        self.pressed = True

    def __enter__(self) -> "_CtrlC":
        for signum, default in self.DEFAULTS.items():
            if signal.getsignal(signum) is default:
                self.previous[signum] = signal.signal(signum, self._handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        for signum, previous in self.previous.items():
            signal.signal(signum, previous)
        if self.pressed and exc[0] is None:
            raise KeyboardInterrupt

    def until(self, items: Iterator[str]) -> Iterator[str]:
        """``items`` until Ctrl-C."""
        for item in items:
            if self.pressed:
                return
            yield item


def _record_line(line: str, process: PageProcessor, moment: datetime | None) -> tuple[str, str]:
    """(kind, output JSON line) of one input line."""
    record = _batch_line(line, process, moment)
    return record["kind"], json.dumps(record, ensure_ascii=False, default=_jsonable)


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
_worker: tuple[PageProcessor, datetime | None] | None = None  # a batch worker's processor (set before forking)


# Lines handed to a worker at a time: each hand-over through the pool (a future, a pickled call
# and result, the wake-ups of the pool's two threads) cost the command ~0.4 ms of CPU, on the
# cores the workers need; four lines at a time is a quarter of that, and leaves the workers at
# most three pages apart at the end of a batch.
CHUNK = 4


def _pooled_lines(lines: tuple[str, ...]) -> list[tuple[str, str]]:
    assert _worker is not None
    return [_record_line(line, *_worker) for line in lines]


def _leave_interrupts_to_the_command(parent: int) -> None:
    """A worker ignores Ctrl-C (the terminal sends it to the whole process group) and SIGTERM (a
    service manager sends it to every process): the command stops handing out pages, waits for
    the few already in a worker, and then its workers exit; a worker interrupted mid-page would
    print a traceback of its own. A command killed outright (SIGKILL) takes its workers with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # not Linux: a worker outlives a killed command
    if os.getppid() != parent:  # the command died before prctl: nothing would send that signal
        os._exit(1)


def _records_in_pool(lines: Iterator[str], process: PageProcessor, moment: datetime | None,
                     jobs: int, ctrl_c: _CtrlC) -> Iterator[tuple[str, str]]:
    global _worker
    _worker = (process, moment)
    # Pages in flight, bounded for a huge input. Output keeps the input order, so one slow page
    # (a huge one, or a library's first-use warm-up: dateparser builds its locale tables in
    # ~2.5 s) holds the output back; the other workers go on with the next pages meanwhile.
    window = 32 * jobs // CHUNK
    pending: deque[Future[list[tuple[str, str]]]] = deque()
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=_leave_interrupts_to_the_command, initargs=(os.getpid(),))
    try:
        chunk: list[str] = []
        for line in ctrl_c.until(lines):
            chunk.append(line)
            if len(chunk) < CHUNK:
                continue
            pending.append(pool.submit(_pooled_lines, tuple(chunk)))
            chunk.clear()
            if len(pending) >= window:
                yield from _result(pending.popleft(), ctrl_c)
        if chunk and not ctrl_c.pressed:
            pending.append(pool.submit(_pooled_lines, tuple(chunk)))
        while pending and not ctrl_c.pressed:
            yield from _result(pending.popleft(), ctrl_c)
    finally:
        # after Ctrl-C: the pages not yet given to a worker are dropped, the few a worker holds
        # finish (their records are not printed), and every worker has exited before this returns
        pool.shutdown(wait=True, cancel_futures=True)
        _worker = None


def _result(future: Future[list[tuple[str, str]]], ctrl_c: _CtrlC) -> list[tuple[str, str]]:
    """The records of ``future``, waited for in short steps that look at the Ctrl-C flag (a wait
    interrupted by a signal whose handler returns resumes by itself: it would not notice)."""
    while True:
        try:
            return future.result(timeout=0.05)
        except TimeoutError:
            if ctrl_c.pressed:
                raise _Stopped from None


class _Stopped(KeyboardInterrupt):
    """Ctrl-C seen while waiting for a record."""


@click.command("extract")
@click.argument("source", metavar="FILE|URL", required=False)
@click.option("--batch", "batch", type=click.File("r", encoding="utf-8"), metavar="FILE|-",
              help='Many pages: JSON Lines {"url", "path", "tz"?} from FILE (- for stdin); one JSON line '
                   "out per input line, in order (kind: article, listing, challenge, not_found, empty, error).")
@click.option("--url", help="Address of the page when FILE is a local copy (dates and canonical URL use it).")
@click.option("--tz", default=None, callback=timezone_value,
              help="Source timezone for dates written without one (default UTC, and a note says so).")
@click.option("--lang", help="Language hint (the source's declared language).")
@click.option("--fetched-at", help="Fetch time (ISO) that relative dates such as '3 hours ago' count from; default now.")
@click.option("--topic", help="Match only this topic from settings/topics.yaml.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, metavar="N",
              help="With --batch: worker processes (default: one per CPU); output order is kept.")
def extract_command(source: str | None, batch, url: str | None, tz: str | None, lang: str | None,  # type: ignore[no-untyped-def]
                    fetched_at: str | None, topic: str | None, jobs: int | None) -> None:
    """Print, as JSON, the record a crawl would store for one page (or, with --batch, for many).

    \b
    Examples:
        newsmon extract saved.html --url https://example.ma/2025/03/21/accord/ --tz Africa/Casablanca
        newsmon extract --batch pages.jsonl > records.jsonl
    """
    moment = parse_fetched_at(fetched_at)
    if (source is None) == (batch is None):
        raise click.UsageError("give one page (FILE|URL) or --batch FILE|-, not both or neither")
    if batch is not None:
        try:
            process = PageProcessor(_select_topics(topic), keep_all=True, keep_found=True)
        except PageError as err:
            click.echo(f"newsmon: error: {err}", err=True)
            sys.exit(2)
        load_identifier()  # the language model, loaded once here rather than in every worker
        jobs = jobs or len(os.sched_getaffinity(0))
        if jobs > 1:
            prepare_fallback()  # jusText's stopwords, built here once rather than in every worker
        # Everything built so far (imports, topic indexes, the language model) lives as long as
        # the process: out of the collector's sight, full collections are 3x cheaper and forked
        # workers do not copy those pages by touching them.
        gc.freeze()
        kinds = run_batch(batch, process, moment, jobs)
        summary = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())) or "no input lines"
        click.echo(f"extract --batch: {summary}", err=True)
        return
    try:
        body, content_type, page_url = read_source(source)
        process = PageProcessor(_select_topics(topic), keep_all=True)
        hints = Hints(content_type=content_type, timezone=tz or "UTC", language=lang, locale=lang, fetched_at=moment,
                      discovered_via="cli")
        record = process(body, url or page_url, hints).record()
    except (PageError, Dropped) as err:
        click.echo(f"newsmon: error: {err}", err=True)
        sys.exit(1)
    if tz is None and (record.get("published_at") or record.get("modified_at")):
        click.echo("newsmon: note: no --tz given: any date written without a UTC offset was read as UTC "
                   "(give the source's zone, e.g. --tz Africa/Casablanca)", err=True)
    click.echo(json.dumps(record, ensure_ascii=False, indent=2, default=_jsonable))
