-- Story linking looks, after every crawl, for the articles with no story yet or whose text changed
-- since their signature was taken (newsmon/stories.py, pending_ids). The columns it reads lie
-- past each article's text, on its overflow pages, so it read the whole table (every text of the
-- store) at the end of every crawl. This index covers the query: it reads the index alone.
CREATE INDEX articles_story_pending ON articles(first_seen_at, id, content_hash, story_id)
