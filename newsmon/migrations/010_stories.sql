-- Near-duplicate stories: the story each article belongs to, and the persisted MinHash LSH
-- (one signature per article, one row per LSH band) so a later process finds earlier copies.
ALTER TABLE articles ADD COLUMN story_id TEXT;
CREATE INDEX articles_story ON articles(story_id);
CREATE TABLE story_signatures (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    content_hash TEXT,
    signature BLOB,
    assigned_at TEXT NOT NULL
);
CREATE TABLE story_bands (
    band INTEGER NOT NULL,
    key BLOB NOT NULL,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (band, key, article_id)
) WITHOUT ROWID;
CREATE INDEX story_bands_article ON story_bands(article_id)
