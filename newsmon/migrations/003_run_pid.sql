-- Which process runs a crawl, so a concurrent crawl's rows are not taken for a dead one's.
ALTER TABLE runs ADD COLUMN pid INTEGER;
