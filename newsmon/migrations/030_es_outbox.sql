-- Elasticsearch outbox cursor: a row is done for ES once ES acknowledged that document.
-- es_error keeps the last per-document rejection (shown by `newsmon es status`).
ALTER TABLE outbox ADD COLUMN es_synced_at TEXT;
ALTER TABLE outbox ADD COLUMN es_error TEXT;
CREATE INDEX outbox_pending_es ON outbox(es_synced_at) WHERE es_synced_at IS NULL;
-- Cursors and markers of the ES layer (percolation cursor by outbox id, last sync)
CREATE TABLE es_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
