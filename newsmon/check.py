"""Run ``newsmon sources check`` in this process: the check crawl, with the crawl's settings.

The check is a crawl mode (:class:`crawler.spiders.check.CheckSpider`): the settings are the
crawl's own (:func:`newsmon.crawl.crawl_settings`: user agent, download timeout, retries,
per-source politeness, the private-address guard and resolver, the dead-host middleware, the
crawl's search terms), with only what a check must not do switched off — no item pipelines, no
``runs`` rows, no store — and two changes that make it a quick report rather than a crawl: a host answering 403/429 is reported at once instead
of being waited out (``NEWSMON_BACKOFF_MAX_RETRIES = 0``), and a timeout is not retried.

As for a crawl, Twisted's reactor runs once per process: call :func:`run_check` once.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.utils.misc import load_object
from scrapy.utils.project import get_project_settings

from crawler.failures import TIMEOUT
from crawler.spiders.check import CheckSpider, UrlCheck
from newsmon.config import DEFAULT_TOPICS_FILE, Source
from newsmon.crawl import CrawlFailed, CrawlOptions, crawl_settings, quiet_duplicate_loggers

__all__ = ["CheckOptions", "CheckResult", "UrlCheck", "check_settings", "run_check"]


@dataclass
class CheckOptions:
    topics_file: Path = DEFAULT_TOPICS_FILE
    query: str | None = None  # fills every search template instead of the crawl's terms
    timeout: float | None = None  # DOWNLOAD_TIMEOUT; None: the crawl's
    deadline: float | None = None  # the whole run: no URL is started after it (CLOSESPIDER_TIMEOUT)
    log_level: str = "WARNING"
    progress: Callable[[int, int], None] | None = None  # (URLs done, URLs in all), as answers arrive
    extra_settings: dict[str, Any] = field(default_factory=dict)  # -s NAME=VALUE, applied last


@dataclass
class CheckResult:
    rows: list[UrlCheck]
    interrupted: bool  # Ctrl-C or SIGTERM: rows not reached say "not checked"
    seconds: float
    deadline_reached: bool = False  # --deadline stopped it: rows not reached say "not checked"

    @property
    def failed(self) -> list[UrlCheck]:
        return [r for r in self.rows if not r.ok]


def check_settings(sources: list[Source], options: CheckOptions) -> dict[str, Any]:
    """The crawl's settings for ``sources``, minus storing, with no retried timeouts."""
    base = get_project_settings()
    # The check opens no store: nothing below writes to the data directory (pipelines, the HTTP cache and the runs
    # extension are off), but crawl_settings wants one.
    crawl = crawl_settings(sources, CrawlOptions(data_dir=Path(os.devnull), topics_file=options.topics_file,
                                                 max_age_days=0, log_level=options.log_level), crawl_id="check")
    extensions = {**base.getdict("EXTENSIONS"), "crawler.runs.CrawlRuns": None}
    # The crawl already gives a host up on its first DNS failure (crawl_settings). A check also
    # takes a timeout as the answer: `--timeout 3` means 3 s per URL, not 3 s three times.
    loaded = [load_object(e) if isinstance(e, str) else e for e in crawl["RETRY_EXCEPTIONS"]]
    retried = [e for e in loaded if not (isinstance(e, type) and issubclass(e, TIMEOUT))]
    out: dict[str, Any] = {
        **crawl,
        "ITEM_PIPELINES": {},
        "HTTPCACHE_ENABLED": False,  # a check asks every URL afresh
        "EXTENSIONS": extensions,
        "NEWSMON_BACKOFF_MAX_RETRIES": 0,
        "RETRY_EXCEPTIONS": retried,
    }
    if options.query:
        out["NEWSMON_SEARCH_TERMS"] = {"any": [options.query]}
    if options.timeout is not None:
        out["DOWNLOAD_TIMEOUT"] = options.timeout
    if options.deadline is not None:
        out["CLOSESPIDER_TIMEOUT"] = options.deadline
    out.update(options.extra_settings)
    return out


def run_check(sources: list[Source], options: CheckOptions) -> CheckResult:
    """Check every discovery URL of ``sources``; rows come back in registry order."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings.scrapy_settings")
    settings = get_project_settings()
    settings.setdict(check_settings(sources, options), priority="cmdline")
    process = CrawlerProcess(settings)
    if options.log_level == "WARNING":
        quiet_duplicate_loggers()
    rows: list[UrlCheck] = []
    crawler = process.create_crawler(CheckSpider)
    failures: list[str] = []
    deferred = process.crawl(crawler, rows=rows, progress=options.progress)
    deferred.addErrback(lambda failure: failures.append(f"{type(failure.value).__name__}: {failure.value}"))
    started = time.monotonic()
    # A check has nothing to finish: Ctrl-C stops it at once (Python's own KeyboardInterrupt; the
    # rows not reached say so, and the CLI exits 130) instead of waiting, as a crawl does, for the
    # answers in flight: a server dripping bytes would hold it to the timeout.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process.start(install_signal_handlers=False)
    except KeyboardInterrupt:
        return CheckResult(rows=rows, interrupted=True, seconds=time.monotonic() - started)
    finally:
        signal.signal(signal.SIGINT, previous)
    if failures:
        raise CrawlFailed(f"check could not run: {failures[0]}")
    spider = crawler.spider
    reason = getattr(spider, "close_reason", None)
    deadline = reason == "closespider_timeout"
    return CheckResult(rows=rows, interrupted=reason not in ("finished", "closespider_timeout"),
                       seconds=time.monotonic() - started, deadline_reached=deadline)
