-- Pages fetched and judged not worth storing (off topic, not an article, too old).
CREATE TABLE seen_pages (
    key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    outcome TEXT NOT NULL,
    seen_at TEXT NOT NULL
);
