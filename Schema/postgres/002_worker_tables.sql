-- paywall-outbox, PostgreSQL: the tables only the worker and the outbox CLI write, as SQLite's
-- Schema/002, 004, 005 and 006 leave them. Columns and CHECKs are SQLite's; every comment there
-- applies. Producers cannot write any of them: where SQLite's triggers call
-- outbox_product_connection(), 003_roles.sql grants these tables to outbox_worker only.
-- SQLite-only columns are kept as they are (worker_status.wal_pages, wal_bytes, checkpoint_at:
-- NULL on PostgreSQL) so that one status reader fits both engines.

-- Every send, lookup and inquiry (schema 001, `request` from schema 004).
CREATE TABLE attempt (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id   bigint NOT NULL,
    generation  bigint NOT NULL,
    worker      text,
    started_at  bigint NOT NULL,
    duration_ms bigint,
    http_status bigint,
    -- sending | succeeded | already_done | transient | unknown | rejected | unavailable | invalid | reconciled
    outcome     text NOT NULL,
    error_code  bigint,
    error       text,
    request     text NOT NULL DEFAULT 'send' CHECK (request IN ('send', 'lookup', 'inquiry'))
);
CREATE INDEX attempt_by_outbox ON attempt (outbox_id, id);

-- One row per worker process, kept fresh by its heartbeat (schema 002, storage from 005).
CREATE TABLE worker_status (
    worker          text PRIMARY KEY,
    started_at      bigint NOT NULL,
    heartbeat_at    bigint NOT NULL,
    state           text NOT NULL CHECK (state IN ('running', 'paused', 'stopping', 'stopped')),
    pause_reason    text,
    paused_since    bigint,
    next_probe_at   bigint,
    in_flight       bigint NOT NULL DEFAULT 0,
    checkpoint_at   bigint,
    wal_pages       bigint,
    wal_bytes       bigint,
    db_bytes        bigint,
    storage_problem text
);

-- Every repair an operator made (schema 002).
CREATE TABLE audit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          bigint NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    outbox_id   bigint,
    detail      text CHECK (detail IS NULL OR outbox_json_valid(detail))
);
CREATE INDEX audit_by_outbox ON audit (outbox_id) WHERE outbox_id IS NOT NULL;

-- Paywall's Retry-After holds, shared by every worker on this database (schema 004).
CREATE TABLE paywall_hold (
    credentials text PRIMARY KEY CHECK (credentials IN ('private', 'public')),
    until       bigint NOT NULL,
    reason      text,
    set_at      bigint NOT NULL,
    set_by      text
);

-- A dispatch pause shared by every worker on this database, at most one row (schema 005).
CREATE TABLE paywall_pause (
    scope       text PRIMARY KEY CHECK (scope = 'paywall'),
    reason      text NOT NULL,
    since       bigint NOT NULL,
    probe_at    bigint NOT NULL,
    set_at      bigint NOT NULL,
    set_by      text
);

-- Backward steps of the wall clock already applied to stored schedules (schema 005).
CREATE TABLE clock_shift (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    step_ms     bigint NOT NULL,
    applied_at  bigint NOT NULL,
    applied_by  text
);

-- Each accepted sale or cancel followed to its final payment status (schema 006).
CREATE TABLE payment_follow (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id           bigint NOT NULL,
    generation          bigint NOT NULL,
    payment_request_id  citext NOT NULL,
    activity_type       bigint NOT NULL CHECK (activity_type IN (1, 2)),
    activity_id         citext,
    state               text NOT NULL DEFAULT 'following' CHECK (state IN ('following', 'final', 'unresolved')),
    started_at          bigint NOT NULL,
    horizon_at          bigint NOT NULL,
    next_poll_at        bigint NOT NULL,
    interval_ms         bigint NOT NULL,
    last_status_id      bigint,
    progress            bigint NOT NULL DEFAULT 0,
    polls               bigint NOT NULL DEFAULT 0,
    last_error          text,
    finished_at         bigint,
    UNIQUE (outbox_id, generation)
);
CREATE INDEX payment_follow_due ON payment_follow (next_poll_at) WHERE state = 'following';
CREATE INDEX payment_follow_by_payment ON payment_follow (payment_request_id);

INSERT INTO schema_version (version, file, sqlite_version) VALUES (2, '002_worker_tables.sql', 6);
