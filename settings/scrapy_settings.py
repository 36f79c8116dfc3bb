"""Scrapy settings for newsmon: one ordered, documented catalogue (see docs/settings.md).

Groups: Scrapy's own settings first, then ``NEWSMON_*`` settings, each alphabetical. The CLI
overrides a few per run (data dir, sources, age window, keep-all); everything else is set here.
"""

BOT_NAME = "newsmon"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- Scrapy ------------------------------------------------------------------------------------
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
# Items go through synchronous pipelines: Scrapy's default (100) starts 100 asyncio tasks per
# response for nothing (~0.8 ms per article, benchmarks/crawl_vs_bare.py).
CONCURRENT_ITEMS = 4
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
TWISTED_DNS_RESOLVER = "crawler.resolver.GuardedResolver"  # refuses private addresses at connect time
DOWNLOAD_DELAY = 0.5
DOWNLOAD_MAXSIZE = 5_000_000  # bytes; bigger pages are cancelled and counted (error/too_large)
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_WARNSIZE = 2_000_000
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.PrivateAddressGuard": 50,
    # Scrapy's robots.txt check in its own slot, without 2.19's gap: requests that wait for the
    # same robots.txt as the first one were let through unchecked (crawler/robots.py)
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsVerdict": 100,
    # before RetryMiddleware (550) in request order; sees exceptions after it has retried
    "crawler.middlewares.UnreachableHosts": 540,
    # after RetryMiddleware (550) in response order: 403/429 get a paced retry, not Scrapy's immediate one
    "crawler.backoff.BackoffMiddleware": 560,
    # each source's `delay` kept as its hosts' minimum gap, whatever AutoThrottle decides
    "crawler.throttle.SourceDelay": 570,
    # Scrapy's meta-refresh redirect, without decoding pages that have no "refresh" in them
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.MetaRefresh": 580,
}
# No console into a running crawl: Scrapy 2.19's remote control opens an HTTP port that runs
# code, and leaves a job file in ~/.local/state/scrapy/job_files for every crawl that is killed.
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    # off by REMOTE_CONTROL_ENABLED already; None here, so that the crawl never imports it (and
    # aiohttp with it): newsmon.crawl.leave_off_components_unimported
    "scrapy.extensions.remote_control.RemoteControl": None,
    "crawler.runs.CrawlRuns": 10,
}
FEED_EXPORT_ENCODING = "utf-8"
# Conditional GET for the sources' feeds and sitemaps only (crawler/conditional.py): every poll
# revalidates with If-None-Match/If-Modified-Since, a 304 serves the stored copy
HTTPCACHE_ENABLED = True
HTTPCACHE_GZIP = True
HTTPCACHE_POLICY = "crawler.conditional.FeedRevalidationPolicy"
HTTPCACHE_STORAGE = "scrapy.extensions.httpcache.FilesystemCacheStorage"  # HTTPCACHE_DIR: <data dir>/httpcache (the crawl entry sets it)
ITEM_PIPELINES = {
    # extract → language → dates → relevance, as one step: pipelines/page.py process_page()
    "crawler.itempipelines.PagePipeline": 100,
    "crawler.itempipelines.DedupePipeline": 500,
    "crawler.itempipelines.StorePipeline": 600,  # through the crawl's one store writer
    "crawler.itempipelines.IndexPipeline": 700,
}
LOG_FORMATTER = "crawler.logformatter.NewsmonLogFormatter"
LOG_LEVEL = "WARNING"
REDIRECT_MAX_TIMES = 10
REMOTE_CONTROL_ENABLED = False  # no HTTP control server in a crawl (its start and polling cost CPU)
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
RETRY_ENABLED = True
RETRY_TIMES = 2
ROBOTSTXT_OBEY = True
SPIDER_MIDDLEWARES = {
    # depth tracking: listing walks are limited by newsmon itself (depth_left, the NEWSMON_MAX_*
    # caps) and DEPTH_LIMIT is 0; each spider middleware wraps every callback's output
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    # a development aid (warns when a spider copies Scrapy's internal meta keys into a new
    # request); newsmon builds every request's meta afresh (SpiderCore._request)
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}
STATS_CLASS = "crawler.stats.CrawlStats"  # Scrapy's in-memory stats without a wrapper on every call (crawler/stats.py)
TELNETCONSOLE_ENABLED = False  # no debugging console listening on a port during a crawl
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
USER_AGENT = "newsmon/0.1 (+https://github.com/newsmon/newsmon; news monitoring)"
# Scrapy reads the source of every callback to warn about `return value` in generators: ~1 ms
# per response; our callbacks are tested, the check is for development.
WARN_ON_GENERATOR_RETURN_VALUE = False

# -- newsmon -----------------------------------------------------------------------------------
NEWSMON_BACKOFF_BASE_DELAY = 10.0  # seconds before the first retry without Retry-After; doubles each retry
NEWSMON_BACKOFF_ENABLED = True  # pace retries of hosts answering 403/429 (503 + Retry-After); crawler/backoff.py
NEWSMON_BACKOFF_HOST_GIVE_UP = 3  # after this many URLs of a host given up on in a row, skip the host's rest
NEWSMON_BACKOFF_MAX_DELAY = 300.0  # longest pause; a Retry-After beyond it means: no retry in this crawl
NEWSMON_BACKOFF_MAX_RETRIES = 3  # retries per URL while blocked, then it is counted as an error
NEWSMON_BLOCK_PRIVATE_ADDRESSES = True  # refuse crawled URLs resolving to private/loopback addresses
NEWSMON_CONDITIONAL_MAX_AGE_SECONDS = 3600.0  # a feed answering 304 is still fetched in full this often
NEWSMON_CRAWL_ID = None  # set by the CLI: tags this crawl's rows in `runs`
NEWSMON_DEAD_HOST_MINUTES = 10.0  # a host that failed DNS/connect on 2 URLs is skipped this long
NEWSMON_EXTRACT_TIMEOUT = 5.0  # seconds of extraction per page before it is abandoned and counted
NEWSMON_FRONTIER = ""  # redis://HOST:PORT/DB: a frontier shared by N workers (CLI: --frontier, $NEWSMON_FRONTIER)
NEWSMON_FRONTIER_BATCH = 4  # requests leased per round trip to Redis (more: fewer trips, coarser sharing)
NEWSMON_FRONTIER_CONCURRENCY = {}  # set by the crawl entry: host → requests in flight across workers ("*": CONCURRENT_REQUESTS_PER_DOMAIN)
NEWSMON_FRONTIER_DELAYS = {}  # set by the crawl entry: host → delay kept across workers ("*": DOWNLOAD_DELAY)
NEWSMON_FRONTIER_HANDLERS = {}  # set by the crawl entry: scheme → the download handler SharedPoliteness wraps
NEWSMON_FRONTIER_IDLE_SECONDS = 1.0  # a worker exits once the frontier was empty, with no lease held, this long
NEWSMON_FRONTIER_KEY = "newsmon:frontier"  # prefix of every Redis key of the frontier (one frontier per prefix)
NEWSMON_FRONTIER_LEASE = 60.0  # seconds a leased request stays with a worker that stopped renewing it (env var too)
NEWSMON_FRONTIER_RETRY_SECONDS = 30.0  # Redis unreachable this long: the worker stops, "frontier unreachable"
NEWSMON_FRONTIER_ROBOTS_TTL = 86400  # seconds a host's robots.txt is shared by the workers before a refetch
NEWSMON_FRONTIER_SEND_HOLD = 0.5  # seconds a host's next turn waits at most for proof that the previous request left
NEWSMON_INDEX_EVERY_ITEMS = 500  # commit the search index after this many stored articles (each commit is a segment to merge) …
NEWSMON_INDEX_EVERY_SECONDS = 10.0  # … or this many seconds, whichever comes first
NEWSMON_KEEP_ALL = False  # store articles that match no topic too (CLI: --keep-all)
NEWSMON_LANG_MIN_CONFIDENCE = 0.80  # below it, the page's <html lang> or the source language decides
NEWSMON_MAX_AGE_DAYS = 30  # default age window for feed/sitemap entries; 0 = no limit
NEWSMON_MAX_AGE_OVERRIDE = None  # CLI --max-age: overrides every source's window
NEWSMON_MAX_ARTICLES_PER_SOURCE = 2000  # article requests per source per crawl; the rest counted capped/articles
NEWSMON_MAX_FEEDS = 50  # feed documents fetched per source per crawl (configured + advertised); capped/feeds
NEWSMON_MAX_LISTING_PAGES = 50  # listing pages followed per section page and depth level
NEWSMON_MAX_LISTING_PAGES_PER_SOURCE = 200  # section/listing pages fetched per source per crawl; capped/listing_pages
NEWSMON_MAX_PAGE_BYTES = 5_000_000  # extraction refuses bigger pages (counted too_large)
NEWSMON_MAX_SITEMAPS = 200  # sitemap documents fetched per source per crawl; capped/sitemaps
NEWSMON_MAX_SITEMAP_BYTES = 52_428_800  # one sitemap, decompressed (the protocol's 50 MB); bigger ones are cut there
NEWSMON_MAX_SITEMAP_DEPTH = 3  # sitemap indexes nested below a configured (or robots.txt) sitemap; capped/sitemap_depth
NEWSMON_MAX_URLS_PER_DOCUMENT = 1000  # entries taken from one sitemap, feed or listing page, newest first; capped/urls
NEWSMON_MIN_TEXT_CHARS = 150  # shorter extracted bodies are counted (too_short), not stored
NEWSMON_PROGRESS = False  # live per-source progress on stderr (the CLI turns it on for a TTY)
NEWSMON_PROGRESS_EVERY = 30.0  # without the live table (not a TTY): a progress line on stderr this often (s); 0 = none
NEWSMON_QUARANTINE_RETRIES = 3  # a quarantined page (dropped, maybe a real article) is fetched again until tried this often
NEWSMON_RUN_SAVE_SECONDS = 10.0  # a running crawl saves its runs' counters this often (a killed crawl keeps them)
NEWSMON_SCHEDULE_ALERTS_RETRY_SECONDS = 60.0  # `newsmon schedule --alerts`: how often to look for a due failed delivery (then `alerts run`)
NEWSMON_SCHEDULE_DEFAULT = "every 1h"  # `newsmon schedule`: the schedule of a source without a `schedule` key
NEWSMON_SCHEDULE_JITTER_SECONDS = 30.0  # random delay added to each run, at most this and a tenth of the period
NEWSMON_SCHEDULE_KILL_AFTER_SECONDS = 3.0  # after SIGTERM to a crawl (timeout, shutdown), SIGKILL this much later
NEWSMON_SCHEDULE_MAX_CONCURRENT = 2  # crawls running at once across all sources (a 2-core machine)
NEWSMON_SCHEDULE_MISFIRE_GRACE_SECONDS = 3600  # a run this late (scheduler down, all slots busy) is skipped, and recorded
NEWSMON_SCHEDULE_RELOAD_SECONDS = 5.0  # how often the scheduler checks the sources file for changes (and heartbeats)
NEWSMON_SCHEDULE_STOP_GRACE_SECONDS = 10.0  # on SIGTERM/SIGINT, running crawls get this long to finish
NEWSMON_SCHEDULE_TIMEOUT_SECONDS = 1800.0  # a crawl running longer is killed and recorded failed (per source: crawl_timeout)
NEWSMON_SCHEDULE_TIMEZONE = "UTC"  # the zone cron lines are read in
NEWSMON_SEARCH_TERMS = {}  # language → site-search terms; the CLI derives them from the topics
NEWSMON_SEEN_TTL_DAYS = 30  # pages judged not worth storing are not re-fetched for this long
NEWSMON_SOURCES = []  # validated sources (models); the crawl entry fills it from sources.yaml
NEWSMON_STATUS_SILENT_HOURS = 72.0  # `newsmon status` flags a crawled source with no new article for this long
NEWSMON_STATUS_WINDOW_DAYS = 7  # `newsmon status` computes rates over the runs and articles of this many days
NEWSMON_STORE_BATCH_ITEMS = 50  # articles committed in one SQLite transaction at most (1: each on its own) …
NEWSMON_STORE_BATCH_SECONDS = 0.25  # … or this many seconds: how late readers see an article, and a full disk is found
NEWSMON_TOPICS = []  # validated topics (models); the crawl entry fills it from topics.yaml (CLI: --topics)
NEWSMON_TOPICS_FINGERPRINT = ""  # set by the CLI: hash of the topics file in use

