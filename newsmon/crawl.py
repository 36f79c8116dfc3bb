"""Run one crawl in this process: validated sources in, rows in the store and index out.

Twisted's reactor cannot be restarted, so a process runs at most one crawl; the scheduler and
the tests start crawls as child processes (``newsmon crawl``).
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import inspect
import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import CannotResolveHostError
from scrapy.utils import deprecate
from scrapy.utils.misc import load_object
from scrapy.utils.project import get_project_settings

from crawler.itempipelines import PAGE_PATH_ERROR
from crawler.logformatter import ScrubbedRecord
from crawler.sources import Source
from crawler.spiders.news import NewsSpider
from newsmon.config import DEFAULT_TOPICS_FILE, load_topics
from newsmon.errors import CrawlFailed, StoreFailed
from newsmon.frontier import FrontierFailed, SharedStored
from newsmon.malloc import return_large_blocks
from newsmon.sink import CrawlSink
from pipelines.topics import Topic


@dataclass
class CrawlOptions:
    data_dir: Path
    topics_file: Path = DEFAULT_TOPICS_FILE
    topics: list[Topic] | None = None  # already loaded from topics_file (else loaded here)
    keep_all: bool = False
    max_age_days: int | None = None
    progress: bool = False
    log_level: str = "WARNING"
    extra_settings: dict[str, Any] = field(default_factory=dict)
    frontier: str | None = None  # redis://HOST:PORT/DB: share the frontier with other workers (crawler/frontier.py)


def search_terms(topics: list[Any]) -> dict[str, list[str]]:
    """Site-search terms per language: the first term of every concept of every topic.

    Searching each concept separately finds articles a site's search engine would miss when
    given the whole topic, and the relevance stage decides afterwards.
    """
    out: dict[str, list[str]] = {}
    for topic in topics:
        for concept in topic.concepts:
            for lang, terms in concept.terms.items():
                if terms:
                    out.setdefault(lang, [])
                    if terms[0] not in out[lang]:
                        out[lang].append(terms[0])
    return out


def topics_fingerprint(path: Path) -> str:
    """Changes whenever the topics file does: verdicts of "not relevant" are tied to it."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def crawl_settings(sources: list[Source], options: CrawlOptions, crawl_id: str) -> dict[str, Any]:
    topics = options.topics if options.topics is not None else load_topics(options.topics_file)
    slots = {}
    for source in sources:
        for host in source.allowed_hosts:
            slot: dict[str, Any] = {}
            if source.delay is not None:
                slot["delay"] = source.delay
            if source.concurrency is not None:
                slot["concurrency"] = source.concurrency
            if slot:
                slots[host] = slot
    return {
        "NEWSMON_SOURCES": list(sources),
        "NEWSMON_TOPICS": topics,
        "NEWSMON_KEEP_ALL": options.keep_all,
        "NEWSMON_MAX_AGE_OVERRIDE": options.max_age_days,
        "NEWSMON_PROGRESS": options.progress,
        "NEWSMON_CRAWL_ID": crawl_id,
        "NEWSMON_SEARCH_TERMS": search_terms(topics),
        "NEWSMON_TOPICS_FINGERPRINT": topics_fingerprint(options.topics_file),
        "DOWNLOAD_SLOTS": slots,
        # conditional GET keeps the feeds' and sitemaps' last answers beside the store
        "HTTPCACHE_DIR": str(Path(options.data_dir).resolve() / "httpcache"),
        "LOG_LEVEL": options.log_level,
        # Scrapy gathers its libraries' versions for an INFO line at every start, logged or not
        # (~6 ms of CPU: platform and library look-ups); above INFO the line is never written
        **({"LOG_VERSIONS": []} if _above_info(options.extra_settings.get("LOG_LEVEL", options.log_level)) else {}),
        "RETRY_EXCEPTIONS": no_dns_retry(get_project_settings().getlist("RETRY_EXCEPTIONS")),
        **options.extra_settings,
    }


def _above_info(level: str) -> bool:
    number = logging.getLevelName(str(level).upper())
    return isinstance(number, int) and number > logging.INFO


def no_dns_retry(exceptions: list[Any]) -> list[Any]:
    """Scrapy's retried exceptions without the DNS failure: a name that does not resolve now
    will not resolve two seconds later, and retrying it cost every URL of an offline crawl three
    tries (44 s for two sources). With one DNS failure the host is given up on (UnreachableHosts)."""
    return [e for e in exceptions if (load_object(e) if isinstance(e, str) else e) is not CannotResolveHostError]


# Each of these repeats, at WARNING/ERROR, a failure the spider already reports in one line with
# its source ("source: url: HTTP 500"); at the default level we keep only the spider's line.
DUPLICATE_LOGGERS = (
    "scrapy.downloadermiddlewares.retry",
    "scrapy.core.downloader.handlers.http11",
    "scrapy.spidermiddlewares.httperror",
    "scrapy.downloadermiddlewares.robotstxt",  # a failed robots.txt fetch: the page's own fetch reports it
)


# Scrapy 2.19 imports every key of a component dict and of its _BASE (to find two keys naming one
# class) before it drops the ones set to None; the remote-control extension, off, imported
# aiohttp's web server that way (~0.1 s of CPU at every crawl's start).
COMPONENT_DICTS = ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES")


def leave_off_components_unimported(settings: Any) -> None:
    """Remove from the component dicts, and from their _BASE, each component the settings turn
    off (None): the same components run, and those never run are never imported."""
    for name in COMPONENT_DICTS:
        own = settings.getdict(name)
        off = {key for key, order in own.items() if order is None}
        if not off:
            continue
        base = settings.getdict(f"{name}_BASE")
        settings.set(name, {key: order for key, order in own.items() if order is not None}, priority="cmdline")
        settings.set(f"{name}_BASE", {key: order for key, order in base.items() if key not in off}, priority="cmdline")


# Scrapy's modules that call create_deprecated_class at import (three calls, for the HTTP/1.1
# handler's TLS context factories; every crawl imports them).
DEPRECATED_CLASS_MODULES = ("scrapy.core.downloader.contextfactory",)


class _FramesOnly:
    """Scrapy's deprecation helper's view of :mod:`inspect` while its callers import (see
    :func:`frames_without_source`): the call stack and a frame's module read from the frames
    themselves; every other name is :mod:`inspect`'s own."""

    def __getattr__(self, name: str) -> Any:
        return getattr(inspect, name)

    @staticmethod
    def stack(context: int = 1) -> list[inspect.FrameInfo]:
        """The frames of ``inspect.stack()``, caller first, without their lines of source."""
        frames = []
        frame = sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            frames.append(inspect.FrameInfo(frame, code.co_filename, frame.f_lineno, code.co_name, None, None))
            frame = frame.f_back
        return frames

    @staticmethod
    def getmodule(obj: Any, _filename: str | None = None) -> Any:
        """A frame's module is the one its globals name; anything else as :mod:`inspect` finds it."""
        if inspect.isframe(obj) and obj.f_globals.get("__name__") in sys.modules:
            return sys.modules[obj.f_globals["__name__"]]
        return inspect.getmodule(obj, _filename)


@contextmanager
def frames_without_source() -> Iterator[None]:
    """Scrapy's ``create_deprecated_class`` without its cost: while the block runs, the module
    that defines it sees :class:`_FramesOnly` as ``inspect``.

    To name the module that called it, ``create_deprecated_class`` takes ``inspect.stack()[1]``
    and ``inspect.getmodule`` of that frame. ``inspect.stack()`` reads the source of every frame
    of the import chain and, for each of importlib's frozen frames (~15 a call), walks all of
    ``sys.modules``; ``getmodule`` resolves the real path of every loaded module (~900, a few
    ``lstat`` each) the first time. Three calls, each time a crawl starts (the HTTP/1.1
    handler's TLS context factories): ~0.1 s of CPU, for three module names. The deprecated
    classes get the same ``__module__`` either way (checked by a test). :mod:`inspect` itself, and
    everyone else's use of it, is left alone; meant for an import on the main thread, before the
    reactor runs.
    """
    real = deprecate.inspect
    deprecate.inspect = _FramesOnly()  # type: ignore[assignment]
    try:
        yield
    finally:
        deprecate.inspect = real


def import_deprecated_class_modules() -> None:
    """Import Scrapy's modules that create deprecated classes, cheaply (see frames_without_source)."""
    if all(name in sys.modules for name in DEPRECATED_CLASS_MODULES):
        return
    with frames_without_source():
        for name in DEPRECATED_CLASS_MODULES:
            importlib.import_module(name)


def quiet_duplicate_loggers() -> None:
    for name in DUPLICATE_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


def use_frontier(settings: Any, url: str) -> None:
    """Switch a crawl's settings to the shared frontier: its scheduler, seeding, shared delay and
    robots.txt, in place of the one-process components (merged into the project's dicts)."""
    downloader = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    robots_order = downloader.pop("crawler.robots.RobotsVerdict", None) or 100
    downloader["crawler.robots.RobotsVerdict"] = None
    downloader["crawler.frontier.SharedRobots"] = robots_order
    downloader["crawler.throttle.SourceDelay"] = None
    downloader["crawler.frontier.FrontierFailureAck"] = 1  # outermost: the last to see a failure
    spider = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    spider["crawler.frontier.FrontierSeeding"] = 10
    spider["crawler.frontier.FrontierAck"] = 1  # outermost: sees every output of a response
    # Each host's delay is kept in Redis for the cluster (SharedPoliteness), taken as the request
    # leaves: a download handler around the project's own (a cached answer reaches no handler, so
    # it takes no turn). A local slot delay, or AutoThrottle's, would hold a request after its
    # turn was taken and bunch it with the next worker's.
    handlers = {**settings.getdict("DOWNLOAD_HANDLERS_BASE"), **settings.getdict("DOWNLOAD_HANDLERS")}
    wrapped = {scheme: handlers[scheme] for scheme in ("http", "https") if handlers.get(scheme)}
    slots = settings.getdict("DOWNLOAD_SLOTS")
    delays = {host: float(conf["delay"]) for host, conf in slots.items() if conf.get("delay")}
    delays["*"] = settings.getfloat("DOWNLOAD_DELAY")
    concurrency = {host: int(conf["concurrency"]) for host, conf in slots.items() if conf.get("concurrency")}
    concurrency["*"] = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
    local_slots = {host: {k: v for k, v in conf.items() if k != "delay"} for host, conf in slots.items()}
    settings.setdict({"NEWSMON_FRONTIER": url, "SCHEDULER": "crawler.frontier.SharedScheduler",
                      "DOWNLOADER_MIDDLEWARES": downloader, "SPIDER_MIDDLEWARES": spider,
                      "NEWSMON_FRONTIER_DELAYS": delays, "NEWSMON_FRONTIER_CONCURRENCY": concurrency, "DOWNLOAD_SLOTS": local_slots, "DOWNLOAD_DELAY": 0,
                      "NEWSMON_FRONTIER_HANDLERS": wrapped,
                      "DOWNLOAD_HANDLERS": {**settings.getdict("DOWNLOAD_HANDLERS"),
                                            **{scheme: "crawler.frontier.SharedPoliteness" for scheme in wrapped}},
                      "AUTOTHROTTLE_ENABLED": False}, priority="cmdline")


def run_crawl(sources: list[Source], options: CrawlOptions) -> str:
    """Crawl ``sources`` to the end; returns the crawl id that tags this crawl's run rows."""
    # What is built from here to the reactor's start (settings, Scrapy's components, the page
    # processor, the language model, compiled topics) lives as long as the crawl, and is almost
    # all that is allocated: the collector is off while it is built, and then it is frozen.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run_crawl(sources, options, collecting)
    finally:
        if collecting:
            gc.enable()


def _run_crawl(sources: list[Source], options: CrawlOptions, collecting: bool) -> str:
    crawl_id = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
    return_large_blocks()  # tantivy's commits would otherwise leave ~4 MiB more resident each time
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings.scrapy_settings")  # tests may name another
    import_deprecated_class_modules()  # before the settings load the HTTP handler by name
    settings = get_project_settings()
    settings.setdict(crawl_settings(sources, options, crawl_id), priority="cmdline")
    if options.frontier:
        use_frontier(settings, options.frontier)
    leave_off_components_unimported(settings)
    process = CrawlerProcess(settings)
    logging.setLogRecordFactory(ScrubbedRecord)  # crawled URLs, headers and errors reach the log
    if options.log_level == "WARNING":
        quiet_duplicate_loggers()
    failures: list[BaseException] = []
    store = CrawlSink(options.data_dir)  # the crawl's one writer, for every component
    frontier = None
    if options.frontier:
        # redis-py is imported only by a crawl that joins a frontier (~6 MiB, ~80 ms of start-up)
        from newsmon.frontier.client import RedisFrontierClient

        frontier = RedisFrontierClient(options.frontier, settings.get("NEWSMON_FRONTIER_KEY"))
    try:
        crawler = process.create_crawler(NewsSpider)
        # with a frontier, the entry filter also knows what the other workers stored
        seen_by = SharedStored(store, frontier) if frontier is not None else store
        deferred = process.crawl(crawler, store=seen_by, frontier=frontier)
        deferred.addErrback(lambda failure: failures.append(failure.value))
        # Scrapy's root handler filters by LOG_LEVEL, but it leaves the root logger at NOTSET, so
        # every DEBUG line ("Crawled (200)", "stored: url", two a page) was built as a record and
        # then thrown away: the logger's own level drops it before anything is built.
        logging.getLogger().setLevel(settings.get("LOG_LEVEL"))
        # Everything built so far (modules, the language model, compiled topics, Scrapy's
        # components) lives as long as the crawl: keep it out of every later collection. No
        # gc.collect() first: it took ~50 ms of CPU to find ~300 objects of start-up garbage
        # (measured on a 30-source crawl), which are now kept.
        gc.freeze()
        if collecting:
            gc.enable()
        process.start()
    finally:
        failure, saved = store.failure, store.saved
        if failure is None:
            # A second Ctrl-C or SIGTERM makes Scrapy stop at once, without closing the spider:
            # the runs it left 'running' are this crawl's, and interrupted (exit status 130).
            store.interrupt_runs(crawl_id)
        store.close()
        if frontier is not None:
            frontier.close()
    if failure is not None:
        raise StoreFailed(f"{failure}; the crawl stopped there. The {saved} article{'s' if saved != 1 else ''} "
                          "it stored are kept; free space (or fix the permissions) and crawl again for the rest")
    if any(isinstance(f, KeyboardInterrupt) for f in failures):
        raise KeyboardInterrupt  # Ctrl-C before Scrapy's own handler was installed: nothing was fetched
    if failures:
        f = failures[0]
        raise CrawlFailed(f"crawl could not run: {type(f).__name__}: {f}")
    page_path_error = crawler.stats.get_value(PAGE_PATH_ERROR) if crawler.stats else None
    if page_path_error:  # the stages are built at the first page (crawler.itempipelines.PagePipeline)
        raise CrawlFailed(f"crawl could not run: {page_path_error}")
    frontier_error = crawler.stats.get_value("newsmon/frontier/error") if crawler.stats else None
    if frontier_error:
        raise FrontierFailed(frontier_error)  # what was stored is kept; the crawl is not whole
    return crawl_id
