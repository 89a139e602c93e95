-- paywall-outbox schema, version 2: what the workers are doing, and what operators did.
-- Producers never write these tables.

-- One row per worker process, kept fresh by its heartbeat. Operators read it to see whether
-- dispatch is paused and why (a circuit breaker opens on connectivity and credential failures:
-- facts about the world, not about one command).
CREATE TABLE worker_status (
    -- The worker's id (host, pid and a random suffix); also its lease_owner.
    worker          TEXT PRIMARY KEY,
    started_at      INTEGER NOT NULL,
    -- Last sign of life (ms since epoch); a worker silent for a few lease lengths is gone.
    heartbeat_at    INTEGER NOT NULL,
    -- running | paused | stopping | stopped
    state           TEXT NOT NULL CHECK (state IN ('running', 'paused', 'stopping', 'stopped')),
    -- Why dispatch is paused (e.g. "unreachable: connection refused", "credentials refused (HTTP 401)").
    pause_reason    TEXT,
    paused_since    INTEGER,
    -- When the paused worker will try Paywall again.
    next_probe_at   INTEGER,
    -- Commands it is sending right now.
    in_flight       INTEGER NOT NULL DEFAULT 0,
    -- Last WAL checkpoint: when, and the WAL size in pages then.
    checkpoint_at   INTEGER,
    wal_pages       INTEGER
) WITHOUT ROWID;

-- Every repair an operator made (retry, discard, purge, migrate, enqueue), for accountability.
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    -- Who: the operator's user name as the CLI saw it.
    actor       TEXT NOT NULL,
    -- retry | discard | purge | migrate | enqueue
    action      TEXT NOT NULL,
    -- The command acted on, when there is one.
    outbox_id   INTEGER,
    -- What exactly, as a JSON object (e.g. the previous state, the rows purged).
    detail      TEXT CHECK (detail IS NULL OR json_valid(detail))
);
CREATE INDEX audit_by_outbox ON audit (outbox_id) WHERE outbox_id IS NOT NULL;

PRAGMA user_version = 2;
