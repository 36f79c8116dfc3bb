-- Articles, the URLs that lead to them, crawl runs, and the outbox the index drains.
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    canonical_url TEXT NOT NULL,
    source TEXT NOT NULL,
    title TEXT,
    text TEXT NOT NULL,
    lang TEXT,
    author TEXT,
    image TEXT,
    published_at TEXT,
    modified_at TEXT,
    date_source TEXT,
    fetched_at TEXT NOT NULL,
    relevant INTEGER NOT NULL DEFAULT 0,
    topics TEXT NOT NULL DEFAULT '[]',
    matched_terms TEXT NOT NULL DEFAULT '{}',
    relevance_score REAL NOT NULL DEFAULT 0,
    content_hash TEXT,
    discovered_via TEXT,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    run_id INTEGER
);
CREATE INDEX articles_published ON articles(published_at);
CREATE INDEX articles_source ON articles(source);
CREATE INDEX articles_hash ON articles(content_hash);
CREATE TABLE article_urls (
    key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE
);
CREATE INDEX article_urls_article ON article_urls(article_id);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    crawl_id TEXT NOT NULL,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    pages_fetched INTEGER NOT NULL DEFAULT 0,
    articles_stored INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    errors INTEGER NOT NULL DEFAULT 0,
    stats TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_crawl ON runs(crawl_id);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL,
    event TEXT NOT NULL,
    created_at TEXT NOT NULL,
    indexed_at TEXT,
    alerted_at TEXT
);
CREATE INDEX outbox_pending_index ON outbox(indexed_at);
