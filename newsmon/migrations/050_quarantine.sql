-- Pages a crawl fetched and dropped for a reason that may hide a real article (a bot challenge,
-- a soft 404, a login or consent wall, a body too short): listed by `newsmon runs --dropped`,
-- fetched again by later crawls until stored or given up (attempts), removed once stored.
CREATE TABLE quarantine (
    key TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    title TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX quarantine_source ON quarantine (source, attempts)
