"""The crawl's stats collector: Scrapy's in-memory one, without its per-access wrapper.

Scrapy 2.19's ``StatsCollector.__getattribute__`` wraps each of its methods, on every access, to
warn about a deprecated ``spider`` argument, and looks up a cached copy by raising and catching
``AttributeError`` for every other attribute (its own ``_stats`` included). A crawl makes a few
dozen stats calls per page (Scrapy's downloader and scheduler counters, ours per source and
reason): that came to 1.8 µs a call against 0.12 µs plain (``benchmarks/README.md``). The methods
and their arguments are Scrapy's own; only the wrapper is gone.
"""

from __future__ import annotations

from scrapy.statscollectors import MemoryStatsCollector


class CrawlStats(MemoryStatsCollector):
    __getattribute__ = object.__getattribute__
