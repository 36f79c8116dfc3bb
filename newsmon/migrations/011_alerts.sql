-- Alert state. A rule is registered once with the outbox position it starts from, so it alerts
-- on articles stored after it was first seen and never on the whole back catalogue.
CREATE TABLE alert_rules (
    name TEXT PRIMARY KEY,
    start_outbox_id INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
-- One row per (rule, article) ever matched: the reason an article is never alerted twice by a
-- rule, whatever re-crawls or updates happen. alert_id is NULL while it waits for a digest.
CREATE TABLE alert_matches (
    rule TEXT NOT NULL,
    article_id TEXT NOT NULL,
    story_id TEXT,
    matched_terms TEXT NOT NULL DEFAULT '[]',
    matched_at TEXT NOT NULL,
    folded INTEGER NOT NULL DEFAULT 0,
    alert_id INTEGER REFERENCES alerts(id),
    PRIMARY KEY (rule, article_id)
);
CREATE INDEX alert_matches_pending ON alert_matches(rule, alert_id);
CREATE INDEX alert_matches_story ON alert_matches(rule, story_id);
-- One message's content, frozen when it is created so every retry sends the same thing.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    items TEXT NOT NULL
);
-- One row per (alert, channel): each channel is delivered, retried and failed on its own.
CREATE TABLE alert_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    channel TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    sent_at TEXT,
    UNIQUE (alert_id, channel)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries(status, next_attempt_at);
-- When each digest rule last fired (its cron time, UTC).
CREATE TABLE alert_digests (
    rule TEXT PRIMARY KEY,
    last_fire_at TEXT NOT NULL
);
CREATE INDEX outbox_pending_alerts ON outbox(alerted_at)
