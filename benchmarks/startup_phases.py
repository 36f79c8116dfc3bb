"""Where a crawl's fixed cost goes: CPU time (user + sys) of each start-up and end phase, in process.

Runs ``newsmon crawl ARGS...`` in this process and notes ``time.process_time()`` around each phase
(imports, loading the sources and topics, settings, opening the store and index, building Scrapy's
components, the reactor's run split at Scrapy's signals, the end of the crawl: summary, story
linking, teardown). Nothing in newsmon is changed: the phases are found by wrapping functions
from outside. CPU time, not wall, so a busy machine does not move the figures much; run it a few
times and read the minimum. Point it at a sources file and data dir of your own (for the benchmark's
site, see benchmarks/README.md, "Start-up").

    .venv/bin/python benchmarks/startup_phases.py crawl --sources S.yaml --data D --keep-all --json ...
"""

from __future__ import annotations

import atexit
import functools
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

# this checkout's code, not the tree the venv was installed from (an A/B runs one venv over two trees)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

START = time.process_time()  # Python's own start-up (interpreter, site) is before this: see "python start-up"
marks: list[tuple[str, float]] = []
spans: list[tuple[int, str, float]] = []  # (depth, name, CPU seconds) in the order they ended
depth = 0
handlers: list[tuple[Callable[..., Any], Any]] = []


def mark(name: str) -> None:
    marks.append((name, time.process_time()))


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        global depth
        start = time.process_time()
        depth += 1
        try:
            return fn(*args, **kwargs)
        finally:
            depth -= 1
            spans.append((depth, name, time.process_time() - start))
    return wrapper


def report() -> None:
    end = time.process_time()
    times = os.times()
    out = sys.stderr
    print("\n== start-up phases (CPU ms, this process)", file=out)
    print(f"{START * 1000:8.1f}  python start-up (interpreter and site, before this script)", file=out)
    prev = START
    for name, at in marks:
        print(f"{(at - prev) * 1000:8.1f}  {name}", file=out)
        prev = at
    print(f"{(end - prev) * 1000:8.1f}  from there to exit (atexit)", file=out)
    print("== calls (inclusive CPU ms, nested by indent)", file=out)
    # spans end inner-first: print each parent before its children
    stack: list[list[Any]] = []
    for d, name, cpu in spans:
        node = [d, name, cpu, []]
        while stack and stack[-1][0] > d:
            node[3].insert(0, stack.pop())
        stack.append(node)

    def show(node: list[Any]) -> None:
        print(f"{node[2] * 1000:8.1f}  {'  ' * node[0]}{node[1]}", file=out)
        for child in node[3]:
            show(child)
    for node in stack:
        show(node)
    print(f"total CPU at exit: {(times.user + times.system) * 1000:.0f} ms (os.times)", file=out)


def main() -> None:
    atexit.register(report)
    import gc

    import click  # noqa: F401

    mark("import click")
    import newsmon.cli

    mark("import newsmon.cli")
    gc.disable()  # as the CLI imports a command (newsmon.cli.LazyGroup)
    import newsmon.commands.crawl as cmd

    gc.enable()
    mark("import newsmon.commands.crawl (the crawl's modules)")

    import newsmon.crawl as crawl_mod
    import newsmon.stories as stories
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    for name in ("load_sources", "load_topics", "check_data_dir", "crawl_summary", "sync_after_crawl", "print_summary"):
        setattr(cmd, name, timed(name, getattr(cmd, name)))
    cmd.run_crawl = timed("run_crawl", cmd.run_crawl)  # the name the command calls
    stories.assign_pending = timed("story linking (assign_pending)", stories.assign_pending)
    crawl_mod.crawl_settings = timed("crawl_settings", crawl_mod.crawl_settings)
    crawl_mod.get_project_settings = timed("get_project_settings", crawl_mod.get_project_settings)
    crawl_mod.CrawlSink = timed("CrawlSink() (store open, migrations check, index open)", crawl_mod.CrawlSink)
    CrawlerProcess.__init__ = timed("CrawlerProcess()", CrawlerProcess.__init__)
    CrawlerProcess.create_crawler = timed("create_crawler", CrawlerProcess.create_crawler)
    original_crawl = CrawlerProcess.crawl

    def crawl(self: Any, crawler: Any, *args: Any, **kwargs: Any) -> Any:
        seen = {"response": False}

        def first_response(**_: Any) -> None:
            if not seen["response"]:
                seen["response"] = True
                mark("engine start to the first response")

        handlers.extend([
            (lambda **_: mark("reactor start to engine_started"), signals.engine_started),
            (lambda **_: mark("spider opening (pipelines' open_spider)"), signals.spider_opened),
            (first_response, signals.response_received),
            (lambda **_: mark("fetching and processing (to spider_idle)"), signals.spider_idle),
            (lambda **_: mark("closing the spider (pipelines' close_spider)"), signals.spider_closed),
            (lambda **_: mark("engine stop"), signals.engine_stopped)])
        for handler, signal in handlers:  # kept in `handlers`: Scrapy holds signal handlers weakly
            crawler.signals.connect(handler, signal=signal)
        mark("run_crawl: settings, CrawlerProcess, store, crawler")
        result = timed("process.crawl (Scrapy's components, page processor)", original_crawl)(self, crawler, *args, **kwargs)
        mark("process.crawl (Scrapy's components, page processor)")
        return result

    original_start = CrawlerProcess.start

    def start(self: Any, *args: Any, **kwargs: Any) -> Any:
        mark("gc.freeze")
        return original_start(self, *args, **kwargs)

    CrawlerProcess.crawl = crawl
    CrawlerProcess.start = timed("process.start (reactor run)", start)
    crawl_mod.gc = type("gc", (), {"freeze": staticmethod(timed("gc.freeze", gc.freeze)), "enable": staticmethod(gc.enable),
                                   "disable": staticmethod(gc.disable), "isenabled": staticmethod(gc.isenabled)})
    sys.argv = ["newsmon", *sys.argv[1:]]
    try:
        newsmon.cli.main(prog_name="newsmon")
    finally:
        mark("after the reactor: summary, story linking, exit code")


if __name__ == "__main__":
    main()
