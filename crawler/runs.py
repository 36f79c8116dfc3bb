"""Crawl-run bookkeeping and progress: one ``runs`` row per source per crawl.

An extension rather than spider code, so accounting does not depend on which discovery path a
source uses. Items dropped by a stage are counted per source and reason; the row is written when
the crawl closes (and a crawl that dies leaves rows marked 'interrupted' by the next one).
"""

from __future__ import annotations

import re
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from twisted.internet.task import LoopingCall

from crawler.store import CrawlStore, StoreUnavailable


def source_counts(stats: dict[str, Any], source: str) -> dict[str, Any]:
    prefix = f"newsmon/source/{source}/"
    return {k[len(prefix):]: v for k, v in stats.items() if k.startswith(prefix)}


def counts_by_source(stats: dict[str, Any], sources: list[str]) -> dict[str, dict[str, Any]]:
    """:func:`source_counts` of every source in one pass over the stats (not one pass per source:
    the progress saver runs this every few seconds, with as many sources as a crawl has)."""
    out: dict[str, dict[str, Any]] = {name: {} for name in sources}
    for key, value in stats.items():
        if key.startswith("newsmon/source/"):
            name, sep, rest = key[len("newsmon/source/"):].partition("/")
            if sep and name in out:
                out[name][rest] = value
    return out


def summarize(counts: dict[str, Any]) -> dict[str, int]:
    skipped = sum(v for k, v in counts.items() if isinstance(v, int)
                  if k.startswith(("skipped/", "dropped/")) and k != "dropped/store_failed")
    capped = sum(v for k, v in counts.items() if isinstance(v, int) and k.startswith("capped/"))
    return {
        "pages": int(counts.get("pages", 0)),
        "new": int(counts.get("new", 0)),
        "stored": int(counts.get("stored", 0)),
        "skipped": int(skipped),
        "capped": int(capped),
        "errors": int(counts.get("errors", 0)),
    }


def reasons(counts: dict[str, Any]) -> dict[str, int]:
    """Why things were not fetched or not stored, by reason: ``skipped/known`` → ``known``, and
    every ``dropped/…``, ``capped/…`` and ``error/…`` count, so nothing leaves a run unexplained."""
    out: dict[str, int] = {}
    for key, value in counts.items():
        kind, _, reason = key.partition("/")
        if kind in ("skipped", "dropped", "capped", "error") and isinstance(value, int) and value:
            out[f"{kind}/{reason}"] = value
    return dict(sorted(out.items()))


# What each cap is called where a user can change it (capped/<name> in the stats).
CAP_SETTINGS = {
    "sitemaps": ("sitemaps", "NEWSMON_MAX_SITEMAPS"),
    "sitemap_depth": ("nested sitemaps below the depth limit", "NEWSMON_MAX_SITEMAP_DEPTH"),
    "feeds": ("feeds", "NEWSMON_MAX_FEEDS"),
    "listing_pages": ("listing pages", "NEWSMON_MAX_LISTING_PAGES_PER_SOURCE"),
    "listing_links": ("listing links on one page", "NEWSMON_MAX_LISTING_PAGES"),
    "urls_per_document": ("URLs beyond the newest of one sitemap, feed or page", "NEWSMON_MAX_URLS_PER_DOCUMENT"),
    "articles": ("article URLs", "NEWSMON_MAX_ARTICLES_PER_SOURCE"),
}


def cap_notes(counts: dict[str, Any]) -> list[str]:
    """One phrase per cap that kept something out: '120 sitemaps not fetched (NEWSMON_MAX_SITEMAPS=200)'."""
    notes = []
    for name, (what, setting) in CAP_SETTINGS.items():
        count = counts.get(f"capped/{name}")
        if count:
            limit = counts.get(f"limit/{name}")
            notes.append(f"{count} {what} not fetched ({setting}{'=' + str(limit) if limit is not None else ''})")
    return notes


def run_status(counts: dict[str, Any]) -> str:
    summary = summarize(counts)
    if summary["errors"] and not summary["pages"] and not summary["stored"]:  # nothing got through
        return "failed"
    return "partial" if summary["errors"] else "ok"


# A page dropped for one of these reasons will be dropped again: remember it, so the next crawl
# does not fetch it again (until NEWSMON_SEEN_TTL_DAYS pass). Not remembered: anything that may
# be transient — bot challenges, consent walls, soft 404s, short bodies, HTTP errors, timeouts.
# "not relevant" is remembered with the topics' fingerprint: editing topics.yaml re-opens it.
FINAL_DROP_REASONS = ("not_relevant", "too_old", "duplicate_content")
# Every other drop of a page may hide a real article misjudged (a challenge, a soft 404, a login
# or consent wall, a body too short): it is quarantined — listed by `newsmon runs --dropped` and
# fetched again by the next crawls (NEWSMON_QUARANTINE_RETRIES) — except these, which say
# nothing about the page's worth.
NOT_QUARANTINED = FINAL_DROP_REASONS + ("duplicate_in_run", "store_failed", "not_html", "too_large")


class CrawlRuns:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        self.stats: StatsCollector = crawler.stats  # type: ignore[assignment]
        self.sources = [s.name for s in settings.getlist("NEWSMON_SOURCES")]
        self.crawl_id = settings.get("NEWSMON_CRAWL_ID") or time.strftime("%Y%m%dT%H%M%S")
        self.progress = settings.getbool("NEWSMON_PROGRESS", False)
        self.progress_every = settings.getfloat("NEWSMON_PROGRESS_EVERY", 30.0)
        self._lines: Any = None
        self._started = time.monotonic()
        self.save_every = settings.getfloat("NEWSMON_RUN_SAVE_SECONDS", 10.0)
        self._saver: LoopingCall | None = None
        self.topics_fingerprint = settings.get("NEWSMON_TOPICS_FINGERPRINT") or ""
        self.run_ids: dict[str, int] = {}
        self.store: CrawlStore | None = None
        self._live: Any = None
        self._last_draw = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "CrawlRuns":
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(ext.item_error, signal=signals.item_error)
        crawler.signals.connect(ext.spider_error, signal=signals.spider_error)
        if ext.progress:
            crawler.signals.connect(ext.tick, signal=signals.response_received)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.store = spider.store  # the crawl's one writer
        self.store.close_stale_runs()
        for name in self.sources:
            self.run_ids[name] = self.store.start_run(self.crawl_id, name)
        if self.save_every > 0:
            self._saver = LoopingCall(self.save_progress)
            self._saver.start(self.save_every, now=False)
        if self.progress:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(self._table(), console=Console(stderr=True), refresh_per_second=1, transient=True)
            self._live.start()
        elif self.progress_every > 0:  # a log or a pipe: a line now and then, never minutes of silence
            from twisted.internet import task

            self._started = time.monotonic()
            self._lines = task.LoopingCall(self._progress_line)
            self._lines.start(self.progress_every, now=False)

    def _progress_line(self) -> None:
        totals = {"pages": 0, "new": 0, "skipped": 0, "errors": 0}
        all_stats = self.stats.get_stats()
        for counts in counts_by_source(all_stats, self.sources).values():
            s = summarize(counts)
            for key in totals:
                totals[key] += s[key]
        queued = all_stats.get("scheduler/enqueued", 0) - all_stats.get("scheduler/dequeued", 0)
        sys.stderr.write(f"newsmon: crawling {len(self.sources)} source{'s' if len(self.sources) != 1 else ''}, "
                         f"{time.monotonic() - self._started:.0f}s: {totals['pages']} pages, {totals['new']} new, "
                         f"{totals['skipped']} skipped, {totals['errors']} errors, {max(queued, 0)} waiting\n")
        sys.stderr.flush()

    def item_dropped(self, item: Any, response: Any, exception: Exception, spider: Any) -> None:
        reason = getattr(exception, "reason", None) or re.sub(
            r"[^a-z0-9]+", "_", str(exception).split(":", 1)[0].strip().lower()).strip("_") or "dropped"
        self.stats.inc_value(f"newsmon/source/{item.get('source')}/dropped/{reason}")
        try:
            self._remember_drop(item, reason)
        except StoreUnavailable:
            pass  # the store pipeline stops the crawl; an unremembered verdict only costs a re-fetch

    def _remember_drop(self, item: Any, reason: str) -> None:
        if self.store is not None and item.get("url"):
            for url in (item.get("request_url"), item.get("url")):
                if url and self.store.known_url(url):
                    self.store.touch_fetched(url)
                    break
        if self.store is not None and reason in FINAL_DROP_REASONS:
            outcome = f"not_relevant@{self.topics_fingerprint}" if reason == "not_relevant" else reason
            self.store.mark_seen([item.get("url"), item.get("request_url"), item.get("origin_url")],
                                 item.get("source") or "?", outcome)
        elif self.store is not None and reason not in NOT_QUARANTINED:
            url = item.get("request_url") or item.get("url")
            if url:
                self.store.quarantine(url, item.get("source") or "?", reason, item.get("title") or item.get("feed_title"))
                self.stats.inc_value(f"newsmon/source/{item.get('source')}/quarantined")

    def item_error(self, item: Any, response: Any, spider: Any, failure: Any) -> None:
        self.stats.inc_value(f"newsmon/source/{item.get('source')}/errors")
        self.stats.inc_value(f"newsmon/source/{item.get('source')}/error/pipeline")

    def spider_error(self, failure: Any, response: Any, spider: Any) -> None:
        source = response.meta.get("source", "?") if response is not None else "?"
        self.stats.inc_value(f"newsmon/source/{source}/errors")
        self.stats.inc_value(f"newsmon/source/{source}/error/spider")

    def tick(self, *args: Any, **kwargs: Any) -> None:
        now = time.monotonic()
        # building and drawing the table costs ~14 ms for 30 sources (~0.5 ms a source): at 4 a
        # second (Scrapy tick + rich refresh) that was ~5% of a core; once a second is enough to watch
        if self._live is not None and now - self._last_draw >= 1.0:
            self._last_draw = now
            self._live.update(self._table())

    def _table(self):  # type: ignore[no-untyped-def]
        from rich.table import Table

        table = Table(title="crawling", title_justify="left", box=None)
        for col in ("source", "pages", "new", "skipped", "errors"):
            table.add_column(col, justify="left" if col == "source" else "right")
        for name, counts in counts_by_source(self.stats.get_stats(), self.sources).items():
            s = summarize(counts)
            table.add_row(name, str(s["pages"]), str(s["new"]), str(s["skipped"]), str(s["errors"]))
        return table

    def save_progress(self) -> None:
        """Each run's counters so far, so that a crawl killed with SIGKILL does not leave zeros."""
        if self.store is None:
            return
        by_source = counts_by_source(self.stats.get_stats(), list(self.run_ids))
        try:
            for name, run_id in self.run_ids.items():
                counts = by_source[name]
                summary = summarize(counts)
                self.store.progress_run(run_id, pages_fetched=summary["pages"], articles_stored=summary["stored"],
                                        skipped=summary["skipped"], errors=summary["errors"], stats=counts)
        except StoreUnavailable:
            pass  # the store pipeline stops the crawl

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._saver is not None and self._saver.running:
            self._saver.stop()
        if self._live is not None:
            self._live.stop()
        if self._lines is not None and self._lines.running:
            self._lines.stop()
        if self.store is None:
            return
        by_source = counts_by_source(self.stats.get_stats(), list(self.run_ids))
        for name, run_id in self.run_ids.items():
            counts = by_source[name]
            summary = summarize(counts)
            status = run_status(counts) if reason == "finished" else (
                "failed" if reason == "store_failed" else "interrupted")
            try:
                self.store.finish_run(run_id, status=status, pages_fetched=summary["pages"],
                                      articles_stored=summary["stored"], skipped=summary["skipped"],
                                      errors=summary["errors"], stats=counts)
            except StoreUnavailable:
                return  # the disk refused: the crawl entry reports it; the next crawl marks the run interrupted
