-- MinHash signatures taken while the crawl indexed an article, from the words the index had just
-- analysed: story linking uses the one whose content hash is still the article's instead of
-- analysing the text a second time, then deletes it. A NULL signature: too short to compare.
CREATE TABLE story_sketches (
    article_id TEXT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    content_hash TEXT NOT NULL,
    signature BLOB
) WITHOUT ROWID
