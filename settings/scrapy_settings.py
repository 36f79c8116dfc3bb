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
    # before RetryMiddleware (550) in request order; sees exceptions after it has retried
    "crawler.middlewares.UnreachableHosts": 540,
    # after RetryMiddleware (550) in response order: 403/429 get a paced retry, not Scrapy's immediate one
    "crawler.backoff.BackoffMiddleware": 560,
    # each source's `delay` kept as its hosts' minimum gap, whatever AutoThrottle decides
    "crawler.throttle.SourceDelay": 570,
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "crawler.runs.CrawlRuns": 10,
}
FEED_EXPORT_ENCODING = "utf-8"
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
NEWSMON_CRAWL_ID = None  # set by the CLI: tags this crawl's rows in `runs`
NEWSMON_DEAD_HOST_MINUTES = 10.0  # a host that failed DNS/connect on 2 URLs is skipped this long
NEWSMON_EXTRACT_TIMEOUT = 5.0  # seconds of extraction per page before it is abandoned and counted
NEWSMON_INDEX_EVERY_ITEMS = 50  # commit the search index after this many stored articles …
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
NEWSMON_QUARANTINE_RETRIES = 3  # a quarantined page (dropped, maybe a real article) is fetched again until tried this often
NEWSMON_RUN_SAVE_SECONDS = 10.0  # a running crawl saves its runs' counters this often (a killed crawl keeps them)
NEWSMON_SEARCH_TERMS = {}  # language → site-search terms; the CLI derives them from the topics
NEWSMON_SEEN_TTL_DAYS = 30  # pages judged not worth storing are not re-fetched for this long
NEWSMON_SOURCES = []  # validated sources (models); the crawl entry fills it from sources.yaml
NEWSMON_TOPICS = []  # validated topics (models); the crawl entry fills it from topics.yaml (CLI: --topics)
NEWSMON_TOPICS_FINGERPRINT = ""  # set by the CLI: hash of the topics file in use

