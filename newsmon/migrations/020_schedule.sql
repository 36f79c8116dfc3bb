-- The scheduler's journal: one row per crawl `newsmon schedule` started (or had to skip).
-- outcome is running, ok, partial, failed, error, timeout, crashed, stopped, interrupted,
-- missed (too late, past the misfire grace time) or skipped (the previous crawl still ran).
CREATE TABLE schedule_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    scheduled_for TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT NOT NULL DEFAULT 'running',
    scheduler_pid INTEGER NOT NULL,
    child_pid INTEGER,
    exit_code INTEGER,
    pages INTEGER,
    new INTEGER,
    errors INTEGER,
    message TEXT
);
CREATE INDEX schedule_runs_source ON schedule_runs(source, started_at);
CREATE INDEX schedule_runs_outcome ON schedule_runs(outcome);
-- What each scheduled source runs on, as last loaded (the job store keeps the next run times).
CREATE TABLE schedule_sources (
    source TEXT PRIMARY KEY,
    schedule TEXT NOT NULL,
    job_id TEXT NOT NULL,
    timeout_seconds REAL NOT NULL,
    updated_at TEXT NOT NULL
);
-- The running scheduler, if any: its pid and a heartbeat refreshed while it runs.
CREATE TABLE scheduler_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pid INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    stopped_at TEXT,
    sources_file TEXT NOT NULL
);
-- How the crawl process ended (set by the scheduler for the crawls it starts), and who started it.
ALTER TABLE runs ADD COLUMN exit_code INTEGER;
ALTER TABLE runs ADD COLUMN started_by TEXT
