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
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
DOWNLOAD_MAXSIZE = 5_000_000  # bytes; bigger pages are cancelled and counted (error/too_large)
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_WARNSIZE = 2_000_000
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.PrivateAddressGuard": 50,
}
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "crawler.runs.CrawlRuns": 10,
}
FEED_EXPORT_ENCODING = "utf-8"
ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.dates.DatesPipeline": 200,
    "pipelines.language.LanguagePipeline": 300,
    "pipelines.relevance.RelevancePipeline": 400,
    "pipelines.dedupe.DedupePipeline": 500,
    "pipelines.store.StorePipeline": 600,
    "pipelines.index.IndexPipeline": 700,
}
LOG_FORMATTER = "crawler.logformatter.NewsmonLogFormatter"
LOG_LEVEL = "WARNING"
REDIRECT_MAX_TIMES = 10
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
RETRY_ENABLED = True
RETRY_TIMES = 2
ROBOTSTXT_OBEY = True
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
USER_AGENT = "newsmon/0.1 (+https://github.com/newsmon/newsmon; news monitoring)"

# -- newsmon -----------------------------------------------------------------------------------
NEWSMON_BLOCK_PRIVATE_ADDRESSES = True  # refuse crawled URLs resolving to private/loopback addresses
NEWSMON_DATA_DIR = "data"  # SQLite store and index; CLI: --data or env NEWSMON_DATA
NEWSMON_EXTRACT_TIMEOUT = 5.0  # seconds of extraction per page before it is abandoned and counted
NEWSMON_INDEX_EVERY_ITEMS = 50  # commit the search index after this many stored articles …
NEWSMON_INDEX_EVERY_SECONDS = 10.0  # … or this many seconds, whichever comes first
NEWSMON_KEEP_ALL = False  # store articles that match no topic too (CLI: --keep-all)
NEWSMON_LANG_MIN_CONFIDENCE = 0.80  # below it, the page's <html lang> or the source language decides
NEWSMON_MAX_AGE_DAYS = 30  # default age window for feed/sitemap entries; 0 = no limit
NEWSMON_MAX_AGE_OVERRIDE = None  # CLI --max-age: overrides every source's window
NEWSMON_MAX_LISTING_PAGES = 50  # listing pages followed per section page and depth level
NEWSMON_MAX_PAGE_BYTES = 5_000_000  # extraction refuses bigger pages (counted too_large)
NEWSMON_MIN_TEXT_CHARS = 200  # shorter extracted bodies are counted, not stored
NEWSMON_PROGRESS = False  # live per-source progress on stderr (the CLI turns it on for a TTY)
NEWSMON_SEARCH_TERMS = {}  # language → site-search terms; the CLI derives them from the topics
NEWSMON_SOURCES = []  # validated sources (dicts); the CLI fills it from sources.yaml
NEWSMON_TOPICS_FILE = None  # None: settings/topics.yaml
