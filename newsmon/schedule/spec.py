"""A source's ``schedule`` text: parsed once, checked at load time, turned into an APScheduler trigger.

Two forms are accepted: ``every <N><s|m|h|d>`` (``every 30m``, ``every 10s``, ``every 2h``) and a
5-field cron line (``*/15 * * * *``, ``0 6 * * 1-5``). Cron lines mean what crontab(5) says:
APScheduler 3 numbers weekdays from Monday = 0, so numeric weekdays are rewritten to names
before they reach it (``1-5`` stays Monday to Friday, ``0`` and ``7`` are Sunday).

Nothing here imports the rest of newsmon, so the config models can validate with it; APScheduler
is imported when a trigger is first made (see :meth:`Schedule.trigger`).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

_EVERY = re.compile(r"^every\s+(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)$", re.I)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$", re.I)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
MIN_INTERVAL_SECONDS = 1


class ScheduleError(ValueError):
    """A schedule or duration that cannot be used; the message says what is accepted."""


@dataclass(frozen=True)
class Schedule:
    text: str  # as written, normalised for whitespace
    interval: float | None = None  # seconds, for "every …"
    cron: tuple[str, str, str, str, str] | None = None  # minute hour day month weekday (APScheduler form)

    def trigger(self, tz: tzinfo | str = "UTC", jitter: float | None = None) -> IntervalTrigger | CronTrigger:
        # APScheduler is imported here, at the first trigger (a cron line's check at load time,
        # the scheduler): a crawl whose sources say "every …" or nothing never needs it (~17 ms of
        # CPU at every crawl's start: its cron fields, tzlocal)
        from apscheduler.triggers.cron import CronTrigger
        from apscheduler.triggers.interval import IntervalTrigger

        jitter_int = int(jitter) if jitter and jitter >= 1 else None
        if self.interval is not None:
            return IntervalTrigger(seconds=self.interval, timezone=tz, jitter=jitter_int)
        assert self.cron is not None
        minute, hour, day, month, dow = self.cron
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=dow, timezone=tz,
                           jitter=jitter_int)

    def period(self, now: datetime | None = None) -> float:
        """Seconds between two runs (for a cron line: between its next two fire times)."""
        if self.interval is not None:
            return self.interval
        trigger = self.trigger()
        now = now or datetime.now(timezone.utc)
        first = trigger.get_next_fire_time(None, now)
        second = trigger.get_next_fire_time(first, first + timedelta(seconds=1)) if first else None
        return (second - first).total_seconds() if first and second else 86400.0

    def jitter(self, cap: float) -> float:
        """Jitter for this schedule: at most ``cap`` seconds and at most a tenth of the period,
        so an ``every 10s`` feed still runs about every 10 s while hourly sources spread out."""
        return max(0.0, min(cap, self.period() / 10))

    def first_delay(self, cap: float, rng: random.Random | None = None) -> float | None:
        """Seconds until a newly added interval job's first run: soon, but staggered, so sources
        do not all start together. None for cron lines: they run when the line says."""
        if self.interval is None:
            return None
        return (rng or random).uniform(0, self.jitter(cap))


def _weekday_names(field: str) -> str:
    """crontab weekday field (0/7 = Sunday, names allowed) → explicit names for APScheduler 3."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ScheduleError(f"bad weekday step in {field!r}")

        def number(token: str) -> int:
            if token in _DAYS:
                return _DAYS.index(token)
            if token.isdigit() and 0 <= int(token) <= 7:
                return int(token)
            raise ScheduleError(f"bad weekday {token!r} in {field!r} (use 0-7 or sun..sat)")

        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = number(a), number(b)
            if last < first:
                raise ScheduleError(f"bad weekday range {base!r} in {field!r}")
        else:
            first = number(base)
            last = 6 if step_text else first
        days.update(d % 7 for d in range(first, last + 1, step))
    # Monday first, the order APScheduler prints them in
    return ",".join(_DAYS[d] for d in sorted(days, key=lambda d: (d + 6) % 7))


def parse_schedule(text: str) -> Schedule:
    """``every 30m`` or a 5-field cron line; raises ScheduleError with what is accepted."""
    if not isinstance(text, str) or not text.strip():
        raise ScheduleError("empty schedule (use 'every 30m' or a 5-field cron line)")
    clean = " ".join(text.split())
    match = _EVERY.match(clean)
    if match:
        seconds = float(match.group(1)) * _UNIT_SECONDS[match.group(2)[0].lower()]
        if seconds < MIN_INTERVAL_SECONDS:
            raise ScheduleError(f"{text!r}: interval shorter than {MIN_INTERVAL_SECONDS}s")
        return Schedule(clean, interval=seconds)
    if clean.lower().startswith("every"):
        raise ScheduleError(f"{text!r}: use 'every N' with a unit s, m, h or d, e.g. 'every 30m'")
    fields = clean.split(" ")
    if len(fields) != 5:
        raise ScheduleError(f"{text!r}: not 'every N<s|m|h|d>' nor a 5-field cron line "
                            f"(minute hour day month weekday; got {len(fields)} fields)")
    try:
        cron = (*fields[:4], _weekday_names(fields[4]))
    except ScheduleError as exc:
        raise ScheduleError(f"{text!r}: {exc}") from None
    schedule = Schedule(clean, cron=cron)  # type: ignore[arg-type]
    try:
        schedule.trigger()
    except ValueError as exc:
        raise ScheduleError(f"{text!r}: bad cron line: {exc}") from None
    return schedule


def parse_duration(value: Any) -> float:
    """Seconds from a number or ``90s`` / ``20m`` / ``2h`` / ``1d``."""
    if isinstance(value, bool):
        raise ScheduleError(f"{value!r}: not a duration")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value).strip())
        if not match:
            raise ScheduleError(f"{value!r}: not a duration (use seconds, or 90s, 20m, 2h, 1d)")
        seconds = float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "s").lower()]
    if seconds <= 0:
        raise ScheduleError(f"{value!r}: a duration must be positive")
    return seconds
