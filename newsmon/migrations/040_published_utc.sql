-- published_at keeps the offset the page wrote (2025-02-21T18:42:00+01:00). published_utc holds the same
-- instant in UTC, what date filters and ordering compare. Rows written before were already UTC.
ALTER TABLE articles ADD COLUMN published_utc TEXT;
UPDATE articles SET published_utc = published_at;
CREATE INDEX articles_published_utc ON articles(published_utc);
