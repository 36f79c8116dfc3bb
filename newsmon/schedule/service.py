"""``newsmon schedule``: APScheduler 3 in the foreground, one child ``newsmon crawl`` per scheduled run.

Why this shape:
* **A child process per crawl.** Twisted's reactor cannot be restarted (Scrapy #2941/#5350), and a
  crawl that leaks, hangs or crashes must not take the scheduler with it. The child is exactly the
  command a user would type (``newsmon crawl --source NAME … --json``), so a scheduled crawl stores,
  indexes, alerts and syncs the same way. It runs in its own session: Ctrl-C on the terminal
  reaches the scheduler only, which then decides how long the crawls may go on.
* **Persistent jobs in the same SQLite file** (APScheduler's ``SQLAlchemyJobStore``, table
  ``apscheduler_jobs``). Each source is one job with a stable id (``crawl:<source>``) and an
  importable ``"module:function"`` target; its kwargs are the source name only. At start and on
  reload a job is replaced only when its schedule changed, so next run times survive restarts.
* **Coalescing, a misfire grace time, jitter, one instance per source**, and a global cap: the
  executor is a thread pool of ``NEWSMON_SCHEDULE_MAX_CONCURRENT`` threads, each of which waits for
  its child. A fire time that finds the previous crawl of its source still running, or that comes
  later than the grace time, is recorded in ``schedule_runs`` (``skipped`` / ``missed``), not lost.
* **Timeouts.** A child running past its source's ``crawl_timeout`` gets SIGTERM (Scrapy closes
  cleanly and writes its run rows), then SIGKILL; its ``runs`` rows are marked failed with
  ``error/timeout``, or one is written when it died before writing any.
* **Alerts between crawls.** With ``--alerts``, every crawl delivers the alerts of what it
  stored. Two more jobs make digests and retries independent of crawls: ``alerts:digest`` fires
  on the digest rules' cron lines and runs ``newsmon alerts run`` in a child; ``alerts:retry``
  looks every ``NEWSMON_SCHEDULE_ALERTS_RETRY_SECONDS`` for a due failed delivery (one read-only
  query) and runs the same child only when there is one.
* **Signals.** SIGTERM/SIGINT: no new crawls; running ones get ``NEWSMON_SCHEDULE_STOP_GRACE_SECONDS``
  to finish, then are stopped as on a timeout (a second SIGINT skips the grace). SIGHUP, or a new
  modification time of the sources file, reloads the sources: jobs are added, replaced or removed
  by id; the history in ``runs`` and ``schedule_runs`` is untouched.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.interval import IntervalTrigger

from newsmon.alerts.config import load_alerts
from newsmon.config import Source, load_sources
from newsmon.schedule.journal import Journal
from newsmon.schedule.spec import parse_schedule
from newsmon.search_index import IndexError_, SearchIndex
from newsmon.store import DB_NAME, Store, iso_utc
from newsmon.yamlconf import ConfigError
from settings import scrapy_settings

logger = logging.getLogger("newsmon.schedule")
JOB_TARGET = "newsmon.schedule.service:run_scheduled_crawl"
ALERTS_TARGET = "newsmon.schedule.service:run_scheduled_alerts"
DIGEST_JOB = "alerts:digest"
RETRY_JOB = "alerts:retry"
ALERTS_JOBS = (DIGEST_JOB, RETRY_JOB)
ALERTS_RUNNING = "(alerts)"  # its key in SchedulerService.running: no source can be named so
JOB_TABLE = "apscheduler_jobs"
LOCK_NAME = "scheduler.lock"


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def job_id(source: str) -> str:
    return f"crawl:{source}"


# -- settings ----------------------------------------------------------------------------------

SETTING_NAMES = {
    "alerts_retry_seconds": "NEWSMON_SCHEDULE_ALERTS_RETRY_SECONDS",
    "default": "NEWSMON_SCHEDULE_DEFAULT",
    "jitter_seconds": "NEWSMON_SCHEDULE_JITTER_SECONDS",
    "kill_after_seconds": "NEWSMON_SCHEDULE_KILL_AFTER_SECONDS",
    "max_concurrent": "NEWSMON_SCHEDULE_MAX_CONCURRENT",
    "misfire_grace_seconds": "NEWSMON_SCHEDULE_MISFIRE_GRACE_SECONDS",
    "reload_seconds": "NEWSMON_SCHEDULE_RELOAD_SECONDS",
    "stop_grace_seconds": "NEWSMON_SCHEDULE_STOP_GRACE_SECONDS",
    "timeout_seconds": "NEWSMON_SCHEDULE_TIMEOUT_SECONDS",
    "timezone": "NEWSMON_SCHEDULE_TIMEZONE",
}
# Settings of the scheduler and of `newsmon status`: not passed on to the crawls.
NOT_FOR_CRAWLS = frozenset(SETTING_NAMES.values()) | {"NEWSMON_STATUS_SILENT_HOURS", "NEWSMON_STATUS_WINDOW_DAYS"}


@dataclass
class ScheduleSettings:
    """The ``NEWSMON_SCHEDULE_*`` settings (settings/scrapy_settings.py), after ``-s`` overrides."""

    alerts_retry_seconds: float = 60.0
    default: str = "every 1h"
    jitter_seconds: float = 30.0
    kill_after_seconds: float = 3.0
    max_concurrent: int = 2
    misfire_grace_seconds: int = 3600
    reload_seconds: float = 5.0
    stop_grace_seconds: float = 10.0
    timeout_seconds: float = 1800.0
    timezone: str = "UTC"

    @classmethod
    def load(cls, overrides: dict[str, str] | None = None) -> "ScheduleSettings":
        values: dict[str, Any] = {}
        for attr, name in SETTING_NAMES.items():
            default = getattr(scrapy_settings, name)
            value: Any = (overrides or {}).get(name, default)
            try:
                values[attr] = type(default)(float(value)) if isinstance(default, int) else type(default)(value)
            except ValueError:
                raise ConfigError(f"{name}={value!r}: expected {type(default).__name__}") from None
        out = cls(**values)
        try:
            parse_schedule(out.default)
            ZoneInfo(out.timezone)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise ConfigError(f"NEWSMON_SCHEDULE_DEFAULT/NEWSMON_SCHEDULE_TIMEZONE: {exc}") from None
        if out.max_concurrent < 1:
            raise ConfigError("NEWSMON_SCHEDULE_MAX_CONCURRENT must be at least 1")
        return out


@dataclass
class ScheduleConfig:
    sources_file: Path
    data_dir: Path
    topics_file: Path | None = None
    alerts_file: Path | None = None
    crawl_settings: dict[str, str] = field(default_factory=dict)  # -s NAME=VALUE for every crawl
    settings: ScheduleSettings = field(default_factory=ScheduleSettings)


# -- one child crawl ---------------------------------------------------------------------------

@dataclass
class ChildResult:
    pid: int
    exit_code: int | None
    ended_by: str | None  # None: the child ended by itself; "timeout" or "stopped": we ended it
    stdout: str
    stderr: str


def _signal_group(proc: subprocess.Popen[str], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # the child leads its own session: its helpers go too
    except (ProcessLookupError, PermissionError):
        pass


def run_child(argv: list[str], *, timeout: float, kill_after: float, terminate: threading.Event,
              on_start: Any = None, env: dict[str, str] | None = None) -> ChildResult:
    """Run ``argv`` to its end; SIGTERM then SIGKILL it past ``timeout`` or once ``terminate`` is set."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, errors="replace", start_new_session=True, env=env)
    with proc:
        if on_start is not None:
            on_start(proc.pid)
        deadline = time.monotonic() + timeout
        ended_by: str | None = None
        kill_at: float | None = None
        while True:
            try:
                out, err = proc.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                now = time.monotonic()
                if ended_by is None and (now >= deadline or terminate.is_set()):
                    ended_by = "timeout" if now >= deadline else "stopped"
                    _signal_group(proc, signal.SIGTERM)
                    kill_at = now + kill_after
                elif kill_at is not None and now >= kill_at:
                    _signal_group(proc, signal.SIGKILL)
                    kill_at = None
        return ChildResult(proc.pid, proc.returncode, ended_by, out or "", err or "")


def crawl_argv(config: ScheduleConfig, source: str) -> list[str]:
    argv = [sys.executable, "-m", "newsmon.cli", "crawl", "--source", source,
            "--sources", str(config.sources_file), "--data", str(config.data_dir), "--json"]
    if config.topics_file is not None:
        argv += ["--topics", str(config.topics_file)]
    if config.alerts_file is not None:
        argv += ["--alerts", str(config.alerts_file)]  # delivered by the crawl itself
    for name, value in config.crawl_settings.items():
        if name not in NOT_FOR_CRAWLS:
            argv += ["-s", f"{name}={value}"]
    return argv


def judge(result: ChildResult) -> tuple[str, dict[str, int], str | None]:
    """(outcome, counts, message) of a finished child, from its exit status and JSON summary."""
    counts = {"pages": 0, "new": 0, "errors": 0}
    statuses: list[str] = []
    try:
        summary = json.loads(result.stdout) if result.stdout.strip() else []
        for row in summary if isinstance(summary, list) else []:
            for key in counts:
                counts[key] += int(row.get(key) or 0)
            statuses.append(str(row.get("status")))
    except (ValueError, TypeError, AttributeError):
        pass
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    last = lines[-1][:300] if lines else None
    code = result.exit_code
    if result.ended_by == "timeout":
        return "timeout", counts, None
    if result.ended_by == "stopped":
        return "stopped", counts, "stopped with the scheduler"
    if code == 0:
        return ("partial" if "partial" in statuses else "ok"), counts, None
    if code == 1 and statuses and "failed" not in statuses:
        # every source crawled; the exit status is an alert delivery that failed (retried later):
        # the crawl did its job, the message says what the alerts did
        return ("partial" if "partial" in statuses else "ok"), counts, last
    if code == 1:
        return "failed", counts, last
    if code == 2:
        return "error", counts, last
    if code == 130:
        return "interrupted", counts, last
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return "crashed", counts, f"killed by {name}" + (f": {last}" if last else "")
    return "crashed", counts, f"exit status {code}" + (f": {last}" if last else "")


# -- the service -------------------------------------------------------------------------------

_SERVICE: "SchedulerService | None" = None
_SCHEDULED: dict[str, datetime] = {}  # job id → the fire time the executor is about to run


def run_scheduled_alerts(kind: str) -> None:
    """The alerts jobs' target: ``kind`` is "digest" (always run) or "retry" (run when one is due)."""
    service = _SERVICE
    if service is None:
        logger.error("no scheduler service in this process; alerts not run")
        return
    service.run_alerts(kind)


def due_deliveries(data_dir: Path, now: datetime | None = None) -> int:
    """Deliveries a ``newsmon alerts run`` would send now (new, to retry, interrupted)."""
    stamp = iso_utc(now or datetime.now(timezone.utc))
    path = Path(data_dir) / DB_NAME
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
            return db.execute("SELECT COUNT(*) FROM alert_deliveries WHERE (status IN ('pending', 'retry') AND "
                              "next_attempt_at <= ?) OR status = 'sending'", (stamp,)).fetchone()[0]
    except sqlite3.Error:
        return 0


def run_scheduled_crawl(source: str) -> None:
    """The jobs' target (``newsmon.schedule.service:run_scheduled_crawl``): crawl one source."""
    service = _SERVICE
    if service is None:
        logger.error("no scheduler service in this process; %s not crawled", source)
        return
    service.run_source(source, _SCHEDULED.pop(job_id(source), None))


class _Executor(ThreadPoolExecutor):
    """APScheduler's thread pool, noting each run's scheduled time for the journal."""

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        _SCHEDULED[job.id] = run_times[-1]
        super()._do_submit_job(job, run_times)


class AlreadyRunning(ConfigError):
    pass


class SchedulerService:
    def __init__(self, config: ScheduleConfig):
        self.config = config
        self.settings = config.settings
        self.journal = Journal(config.data_dir)
        self.sources: dict[str, Source] = {}
        self.running: dict[str, int] = {}  # source → child pid (0 while starting)
        self.lock = threading.Lock()
        self.stopping = threading.Event()  # no new crawls
        self.terminate = threading.Event()  # stop the running ones now
        self.wake = threading.Event()
        self.reload_requested = threading.Event()
        self.stop_requested = threading.Event()
        self._sources_mtime: float | None = None
        self._lock_file: Any = None
        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(
                url=f"sqlite:///{Path(config.data_dir).resolve() / DB_NAME}", tablename=JOB_TABLE,
                engine_options={"connect_args": {"timeout": 30}})},
            executors={"default": _Executor(max_workers=self.settings.max_concurrent)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": self.settings.misfire_grace_seconds},
            timezone=self.settings.timezone,
        )
        self.scheduler.add_listener(self._on_not_run, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Lock the data directory, load the sources (a bad file is an error here), sync the jobs;
        nothing runs before :meth:`serve`."""
        global _SERVICE
        Store(self.config.data_dir).close()  # creates the directory, applies migrations, sets WAL
        self._lock_file = open(Path(self.config.data_dir) / LOCK_NAME, "a+")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            self._lock_file = None
            raise AlreadyRunning(f"{self.config.data_dir}: another `newsmon schedule` is running on this data "
                                 "directory") from None
        sources = load_sources(self.config.sources_file)
        interrupted = self.journal.scheduler_started(self.config.sources_file)
        if interrupted:
            logger.warning("%d crawl(s) were left running by a scheduler that stopped; marked interrupted",
                           interrupted)
        _SERVICE = self
        self.scheduler.start(paused=True)  # jobs run once serve() has its signal handlers in place
        self._apply(sources)

    def serve(self) -> None:
        """Run until SIGTERM/SIGINT; SIGHUP or a changed sources file reloads."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
        try:
            self.scheduler.resume()
            while not self.stop_requested.is_set():
                self.wake.wait(self.settings.reload_seconds)
                self.wake.clear()
                if self.stop_requested.is_set():
                    break
                if self.reload_requested.is_set() or self._sources_changed():
                    self.reload_requested.clear()
                    self.reload()
                try:
                    self.journal.heartbeat()
                except Exception as exc:  # noqa: BLE001 - a busy database must not stop the service
                    logger.warning("heartbeat not written: %s", exc)
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, signum: int, frame: Any) -> None:
        if signum == signal.SIGHUP:
            self.reload_requested.set()
        elif self.stop_requested.is_set():
            self.terminate.set()  # a second Ctrl-C: no grace
        else:
            self.stop_requested.set()
        self.wake.set()

    def request_stop(self) -> None:
        self.stop_requested.set()
        self.wake.set()

    def shutdown(self) -> None:
        """No new crawls; running ones get the grace period, then SIGTERM, then SIGKILL."""
        global _SERVICE
        if self.stopping.is_set():
            return
        self.stopping.set()
        logger.info("stopping: no new crawls; %d running", len(self.running))
        try:
            self.scheduler.shutdown(wait=False)
        except Exception:  # noqa: BLE001 - not started
            pass
        deadline = time.monotonic() + self.settings.stop_grace_seconds
        while self.running and time.monotonic() < deadline and not self.terminate.is_set():
            time.sleep(0.05)
        if self.running:
            logger.warning("stopping running crawls: %s", ", ".join(sorted(self.running)))
        self.terminate.set()
        deadline = time.monotonic() + self.settings.kill_after_seconds + 2
        while self.running and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            self.journal.scheduler_stopped()
        except Exception as exc:  # noqa: BLE001
            logger.warning("could not record the stop: %s", exc)
        if _SERVICE is self:
            _SERVICE = None
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    # -- sources → jobs ------------------------------------------------------------------------

    def _sources_changed(self) -> bool:
        try:
            mtime = Path(self.config.sources_file).stat().st_mtime
        except OSError:
            return False
        return self._sources_mtime is not None and mtime != self._sources_mtime

    def reload(self) -> None:
        try:
            sources = load_sources(self.config.sources_file)
        except ConfigError as exc:
            logger.error("sources not reloaded, the current schedule stays: %s", exc)
            self._remember_mtime()
            return
        self._apply(sources)

    def _remember_mtime(self) -> None:
        try:
            self._sources_mtime = Path(self.config.sources_file).stat().st_mtime
        except OSError:
            self._sources_mtime = None

    def _job_name(self, source: Source) -> tuple[str, float]:
        spec = parse_schedule(source.schedule or self.settings.default)
        jitter = spec.jitter(self.settings.jitter_seconds)
        # Everything that shapes the job: a change of any of it replaces the job.
        return (f"{source.name}: {spec.text} (tz {self.settings.timezone}, jitter {int(jitter)}s, "
                f"grace {self.settings.misfire_grace_seconds}s)"), jitter

    def _apply(self, sources: list[Source]) -> None:
        """Make the job store match ``sources``: unchanged jobs keep their next run time."""
        self._remember_mtime()
        wanted = {job_id(s.name): s for s in sources}
        existing = {job.id: job for job in self.scheduler.get_jobs(jobstore="default") if job.id not in ALERTS_JOBS}
        for jid in sorted(set(existing) - set(wanted)):
            self.scheduler.remove_job(jid, jobstore="default")
            logger.info("unscheduled %s (no longer an enabled source)", jid.split(":", 1)[1])
        added = replaced = kept = 0
        now = datetime.now(timezone.utc)  # one instant: sources added together are due together
        for jid, source in wanted.items():
            name, jitter = self._job_name(source)
            job = existing.get(jid)
            if job is not None and job.name == name and job.func_ref == JOB_TARGET:
                kept += 1
                continue
            spec = parse_schedule(source.schedule or self.settings.default)
            delay = spec.first_delay(self.settings.jitter_seconds)
            extra = {"next_run_time": now + timedelta(seconds=delay)} if delay is not None else {}
            self.scheduler.add_job(JOB_TARGET, trigger=spec.trigger(self.settings.timezone, jitter), id=jid, name=name,
                                   kwargs={"source": source.name}, replace_existing=True, jobstore="default",
                                   **extra)
            added, replaced = (added, replaced + 1) if job is not None else (added + 1, replaced)
        with self.lock:
            self.sources = {s.name: s for s in sources}
        self.journal.set_sources([
            (s.name, s.schedule or self.settings.default, job_id(s.name), self.timeout_for(s)) for s in sources])
        logger.info("%d source(s) scheduled: %d new, %d changed, %d kept, %d removed", len(wanted), added,
                    replaced, kept, len(set(existing) - set(wanted)))
        self._apply_alerts()

    def _apply_alerts(self) -> None:
        """The digest and retry jobs of the alerts file (none without ``--alerts``). A rules file
        that no longer loads keeps the current jobs (each crawl then reports the error)."""
        wanted: dict[str, tuple[str, Any, str]] = {}
        if self.config.alerts_file is not None:
            try:
                rules = load_alerts(self.config.alerts_file).rules
            except ConfigError as exc:
                logger.error("alerts jobs not updated: %s", exc)
                return
            digests = [r for r in rules if r.digest]
            if digests:
                name = "alerts digests: " + "; ".join(f"{r.name} {r.digest} ({r.timezone})" for r in digests)
                trigger = OrTrigger([r.trigger() for r in digests]) if len(digests) > 1 else digests[0].trigger()
                wanted[DIGEST_JOB] = (name, trigger, "digest")
            every = self.settings.alerts_retry_seconds
            wanted[RETRY_JOB] = (f"alerts retries: every {every:g}s", IntervalTrigger(seconds=every), "retry")
        existing = {job.id: job for job in self.scheduler.get_jobs(jobstore="default") if job.id in ALERTS_JOBS}
        for jid in set(existing) - set(wanted):
            self.scheduler.remove_job(jid, jobstore="default")
        for jid, (name, trigger, kind) in wanted.items():
            job = existing.get(jid)
            if job is not None and job.name == name and job.func_ref == ALERTS_TARGET:
                continue
            self.scheduler.add_job(ALERTS_TARGET, trigger=trigger, id=jid, name=name, kwargs={"kind": kind},
                                   replace_existing=True, jobstore="default")
            logger.info("scheduled %s", name)

    def run_alerts(self, kind: str) -> None:
        """``newsmon alerts run`` in a child: on a digest's time, or when a failed delivery is due."""
        if self.stopping.is_set() or self.config.alerts_file is None:
            return
        if kind == "retry" and not due_deliveries(self.config.data_dir):
            return
        argv = [sys.executable, "-m", "newsmon.cli", "alerts", "run", "--alerts", str(self.config.alerts_file),
                "--data", str(self.config.data_dir)]
        with self.lock:  # shutdown gives it the crawls' grace period
            if self.stopping.is_set() or ALERTS_RUNNING in self.running:
                return
            self.running[ALERTS_RUNNING] = 0
        try:
            result = run_child(argv, timeout=self.settings.timeout_seconds, kill_after=self.settings.kill_after_seconds,
                               terminate=self.terminate)
        except Exception as exc:  # noqa: BLE001 - never take the scheduler down
            logger.exception("alerts run (%s) failed to start: %s", kind, exc)
            return
        finally:
            with self.lock:
                self.running.pop(ALERTS_RUNNING, None)
        self._forward_stderr(f"alerts {kind}", result.stderr)
        log = logger.info if result.exit_code == 0 else logger.warning
        log("alerts run (%s) ended: exit %s%s", kind, result.exit_code,
            f" ({result.ended_by})" if result.ended_by else "")

    def timeout_for(self, source: Source) -> float:
        return source.crawl_timeout or self.settings.timeout_seconds

    def next_runs(self) -> dict[str, datetime | None]:
        return {job.id.split(":", 1)[1]: job.next_run_time for job in self.scheduler.get_jobs(jobstore="default")
                if job.id.startswith("crawl:")}

    # -- events --------------------------------------------------------------------------------

    def _on_not_run(self, event: JobExecutionEvent | JobSubmissionEvent) -> None:
        if not event.job_id.startswith("crawl:"):
            return  # an alerts job: the next one delivers what this one would have
        source = event.job_id.split(":", 1)[1]
        if event.code == EVENT_JOB_MISSED:
            when = getattr(event, "scheduled_run_time", None)
            message = f"ran too late (past the misfire grace time of {self.settings.misfire_grace_seconds}s)"
            outcome = "missed"
        else:
            times = getattr(event, "scheduled_run_times", None) or [None]
            when = times[-1]
            message = "the previous crawl of this source was still running"
            outcome = "skipped"
        logger.info("%s: run due at %s %s: %s", source, when, outcome, message)
        try:
            self.journal.not_run(source, when, outcome, message)
        except Exception as exc:  # noqa: BLE001
            logger.warning("%s: could not record a %s run: %s", source, outcome, exc)

    # -- one run -------------------------------------------------------------------------------

    def run_source(self, name: str, scheduled_for: datetime | None) -> None:
        """Crawl one source in a child process and record how it ended. Never raises."""
        with self.lock:
            source = self.sources.get(name)
            if self.stopping.is_set() or source is None or name in self.running:
                why = "the scheduler is stopping" if self.stopping.is_set() else (
                    "no longer scheduled" if source is None else "already running")
                logger.info("%s: not started: %s", name, why)
                return
            self.running[name] = 0
        started = datetime.now(timezone.utc)
        row_id = 0
        try:
            row_id = self.journal.start(name, scheduled_for)
            timeout = self.timeout_for(source)
            logger.info("%s: crawl starting (due %s, timeout %gs)", name,
                        scheduled_for.isoformat(timespec="seconds") if scheduled_for else "now", timeout)

            def on_start(pid: int) -> None:
                with self.lock:
                    self.running[name] = pid
                self.journal.child_started(row_id, pid)

            result = run_child(crawl_argv(self.config, name), timeout=timeout,
                               kill_after=self.settings.kill_after_seconds, terminate=self.terminate,
                               on_start=on_start)
            outcome, counts, message = judge(result)
            if outcome == "timeout":
                message = f"crawl timed out after {timeout:g}s and was killed"
            self._forward_stderr(name, result.stderr)
            self.journal.settle_runs(source=name, child_pid=result.pid, since=started, outcome=outcome,
                                     exit_code=result.exit_code, message=message)
            self.journal.finish(row_id, outcome=outcome, exit_code=result.exit_code, counts=counts, message=message)
            log = logger.info if outcome in ("ok", "partial", "stopped") else logger.warning
            log("%s: crawl %s (exit %s): %d pages, %d new, %d errors%s", name, outcome, result.exit_code,
                counts["pages"], counts["new"], counts["errors"], f": {message}" if message else "")
        except Exception as exc:  # noqa: BLE001 - a crash of one run must not take the scheduler down
            logger.exception("%s: scheduled crawl failed to run: %s", name, exc)
            if row_id:
                try:
                    self.journal.finish(row_id, outcome="crashed", exit_code=None, counts={},
                                        message=f"{type(exc).__name__}: {exc}"[:300])
                except Exception:  # noqa: BLE001
                    pass
        finally:
            with self.lock:
                self.running.pop(name, None)
                idle = not self.running
        if idle and not self.stopping.is_set():
            self.catch_up_index()

    def _forward_stderr(self, name: str, text: str) -> None:
        """The child's own messages (one line per failed source, warnings), prefixed with the source;
        control characters from crawled text are dropped before they reach a terminal or journal."""
        for line in text.splitlines():
            if line.strip():
                logger.warning("%s | %s", name, _UNPRINTABLE.sub("", line))

    def catch_up_index(self) -> int:
        """Index what a crawl stored but could not index (another crawl held the index writer)."""
        try:
            with Store(self.config.data_dir) as store:
                if not store.pending_index(1):
                    return 0
                index = SearchIndex(Path(self.config.data_dir) / "index", writable=True)
                total = 0
                try:
                    while pending := store.pending_index(500):
                        ids = list(dict.fromkeys(article_id for _, article_id in pending))
                        articles = store.get_articles(ids)
                        index.add(articles[i] for i in ids if i in articles)
                        index.commit()
                        store.mark_indexed([outbox_id for outbox_id, _ in pending])
                        total += len(articles)
                finally:
                    index.close()
        except IndexError_ as exc:
            logger.info("index catch-up skipped: %s", exc)
            return 0
        except Exception as exc:  # noqa: BLE001
            logger.warning("index catch-up failed: %s", exc)
            return 0
        if total:
            logger.info("indexed %d article(s) left pending by a crawl", total)
        return total
