"""How newsmon writes an instant: UTC, to the second, with a ``Z``.

Its own module, not in :mod:`pipelines.dates` (which re-exports it), so that the store and the
spiders can write instants without importing the dates stage (htmldate, dateparser): a crawl
that finds no page never needs them.
"""

from __future__ import annotations

from datetime import datetime, timezone


def iso_utc(moment: datetime) -> str:
    """``moment`` as the store writes instants: UTC, to the second, with a ``Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
