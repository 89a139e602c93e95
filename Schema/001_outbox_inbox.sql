-- paywall-outbox schema, version 1: the outbox, the inbox and the attempt history.
--
-- This file is a public contract. Merchant software in any language writes commands into
-- `outbox` with plain INSERT statements and reads outcomes from `inbox`. The `worker` and the
-- `outbox` CLI apply the files in Schema/ in order, each inside one BEGIN IMMEDIATE transaction,
-- and record the version in `PRAGMA user_version` (this file sets it to 1). Migrations are
-- forward-only: a released file is never edited, a change is a new numbered file.
--
-- Conventions
--   * Times are INTEGER milliseconds since the Unix epoch, UTC.
--       python:  int(time.time() * 1000)
--       sqlite3: CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
--   * GUIDs are 36-character text, 8-4-4-4-12 hexadecimal digits, either case; they are compared
--     without regard to case.
--   * `payload` is the Paywall request body as a JSON object, with Paywall's own field names
--     spelled exactly as in Paywall's documentation (`MerchantUniqueCode`, `Amount`, ...).
--     Amounts are JSON numbers and are sent to Paywall exactly as written (22.10 stays 22.10).
--   * A malformed row is refused by the database with an error message that starts with
--     `outbox:` and names the problem. Producers should log that message.

-- The command kinds the worker knows. A later schema version adds kinds by inserting rows here.
--   role 'sale'      : a payment order; `command_key` must equal its MerchantUniqueCode.
--   role 'follow_up' : acts on a sale; names it by `sale_key` or by `payment_request_id`.
--   role 'standalone': needs no sale.
CREATE TABLE command_kind (
    name        TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('sale', 'follow_up', 'standalone')),
    description TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO command_kind (name, role, description) VALUES
    ('async_sale',           'sale',       'POST /api/payment/async/sale (terminal running the vendor app)'),
    ('sync_sale',            'sale',       'POST /api/payment/sync/sale (terminal running the Paywall app)'),
    ('async_cancel',         'follow_up',  'POST /api/payment/async/cancel'),
    ('sync_cancel',          'follow_up',  'POST /api/payment/sync/cancel'),
    ('sync_sale_rollback',   'follow_up',  'POST /api/payment/sync/sale/rollback (revoke a sale the device has not taken)'),
    ('sync_cancel_rollback', 'follow_up',  'POST /api/payment/sync/cancel/rollback (revoke a cancel the device has not taken)'),
    ('async_pair_request',   'standalone', 'POST /api/pair/async/request'),
    ('async_pair_confirm',   'standalone', 'PUT /api/pair/async/confirm'),
    ('sync_pair_request',    'standalone', 'POST /api/pair/sync/request'),
    ('marketplace_approve',  'standalone', 'POST /api/paywall/marketplace/approve/payment (PaymentAPI, public keys)');

-- One row per command.
CREATE TABLE outbox (
    -- Assigned by SQLite. Never write it.
    id                 INTEGER PRIMARY KEY,

    ---------------------------------------------------------------------------------------------
    -- Producer columns: write these, and only these.
    ---------------------------------------------------------------------------------------------
    -- The idempotency key of the command, unique (case-insensitive). For a sale it is the sale's
    -- MerchantUniqueCode, the only idempotency key Paywall has. For any other command choose a
    -- GUID. Re-inserting the same key with INSERT ... ON CONFLICT (command_key) DO NOTHING is
    -- harmless: the first row wins.
    command_key        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    -- One of command_kind.name.
    kind               TEXT NOT NULL,
    -- The Paywall request body, a JSON object. Follow-up commands (cancel, rollback) leave
    -- PaymentRequestId out: the worker fills it in from `payment_request_id` or from the sale.
    payload            TEXT NOT NULL,
    -- Follow-ups only, exactly one of the two:
    --   sale_key           : the MerchantUniqueCode of a sale queued in this outbox (use it when the
    --                        sale went out while offline and you have no PaymentRequestId yet);
    --   payment_request_id : the PaymentRequestId Paywall gave the sale, when you already have it.
    sale_key           TEXT COLLATE NOCASE,
    payment_request_id TEXT COLLATE NOCASE,
    -- Optional: do not send before this time (ms since epoch).
    not_before         INTEGER,
    -- Optional: never send after this time (ms since epoch). When NULL the worker applies its
    -- configured deadline for the kind, counted from created_at.
    deadline           INTEGER,
    -- Defaults to now; write it only to carry the original creation time of a replayed command.
    created_at         INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),

    -- Derived from the payload, for filtering; read-only.
    terminal           TEXT GENERATED ALWAYS AS (
                           CASE WHEN json_valid(payload) AND json_type(payload) = 'object'
                                THEN coalesce(json_extract(payload, '$.TerminalId'),
                                              json_extract(payload, '$.TerminalTagCode')) END) VIRTUAL,

    ---------------------------------------------------------------------------------------------
    -- Worker columns: owned by the worker and the outbox CLI. Producers never write them (an
    -- INSERT that sets them is refused) and should not rely on them: read the inbox instead.
    ---------------------------------------------------------------------------------------------
    -- pending | in_flight | succeeded | failed | expired | revoked | dead | discarded
    state              TEXT NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'in_flight', 'succeeded', 'failed', 'expired',
                                        'revoked', 'dead', 'discarded')),
    -- Increases when an operator retries a finished command; each generation ends with exactly
    -- one outcome row in the inbox.
    generation         INTEGER NOT NULL DEFAULT 1,
    -- Sends counted against the retry budget in this generation.
    attempts           INTEGER NOT NULL DEFAULT 0,
    -- When the worker should look at the command next (ms since epoch; 0 = at once).
    due_at             INTEGER NOT NULL DEFAULT 0,
    -- 1 when a send may have reached Paywall without an answer (timeout, dropped connection,
    -- a worker that died holding the lease): the worker must reconcile before any resend.
    needs_reconcile    INTEGER NOT NULL DEFAULT 0 CHECK (needs_reconcile IN (0, 1)),
    -- Who holds the command and until when (ms since epoch), while state = 'in_flight'.
    lease_owner        TEXT,
    lease_expires_at   INTEGER,
    -- The last error seen, for operators.
    last_error         TEXT,
    -- The PaymentRequestId Paywall gave this command's payment, once known.
    paywall_payment_request_id TEXT COLLATE NOCASE,
    -- When Paywall accepted the command (ms since epoch); a sale rollback waits 5 s from here.
    accepted_at        INTEGER,
    finished_at        INTEGER,
    updated_at         INTEGER,

    CHECK (typeof(not_before) IN ('integer', 'null')),
    CHECK (typeof(deadline) IN ('integer', 'null')),
    CHECK (typeof(created_at) = 'integer')
);

-- The claim query reads only this index: finished rows are not in it, so a million of them cost
-- nothing. (A test checks the query plan.)
CREATE INDEX outbox_due ON outbox (due_at, id) WHERE state = 'pending';
-- Returning expired leases reads only leased rows.
CREATE INDEX outbox_leased ON outbox (lease_expires_at) WHERE state = 'in_flight';
-- Finding the sale a follow-up names, and the follow-ups of a sale.
CREATE INDEX outbox_by_paywall_payment ON outbox (paywall_payment_request_id)
    WHERE paywall_payment_request_id IS NOT NULL;
CREATE INDEX outbox_by_sale_key ON outbox (sale_key) WHERE sale_key IS NOT NULL;
CREATE INDEX outbox_by_payment_request ON outbox (payment_request_id)
    WHERE payment_request_id IS NOT NULL;
-- Operators list recent commands and purge old finished ones by time.
CREATE INDEX outbox_by_created ON outbox (created_at);
-- Operators ask what ended badly lately.
CREATE INDEX outbox_troubled ON outbox (finished_at) WHERE state IN ('failed', 'expired', 'dead');

-- Refuse malformed rows at INSERT, each with a message naming the problem. The statements run in
-- order, so the first problem found is the one reported.
CREATE TRIGGER outbox_validate_insert BEFORE INSERT ON outbox
BEGIN
    SELECT RAISE(ABORT, 'outbox: command_key is required (for a sale: its MerchantUniqueCode)')
     WHERE NEW.command_key IS NULL OR length(trim(NEW.command_key)) = 0;
    SELECT RAISE(ABORT, 'outbox: kind is not a known command kind (see table command_kind)')
     WHERE NOT EXISTS (SELECT 1 FROM command_kind WHERE name = NEW.kind);
    SELECT RAISE(ABORT, 'outbox: payload is not a JSON object')
     WHERE CASE WHEN NEW.payload IS NULL OR NOT json_valid(NEW.payload) THEN 1
                ELSE json_type(NEW.payload) <> 'object' END;
    SELECT RAISE(ABORT, 'outbox: producers must not set worker columns (state, generation, attempts, due_at, needs_reconcile, lease_owner, lease_expires_at, last_error, paywall_payment_request_id, accepted_at, finished_at, updated_at)')
     WHERE NEW.state <> 'pending' OR NEW.generation <> 1 OR NEW.attempts <> 0 OR NEW.due_at <> 0
        OR NEW.needs_reconcile <> 0 OR NEW.lease_owner IS NOT NULL OR NEW.lease_expires_at IS NOT NULL
        OR NEW.last_error IS NOT NULL OR NEW.paywall_payment_request_id IS NOT NULL
        OR NEW.accepted_at IS NOT NULL OR NEW.finished_at IS NOT NULL OR NEW.updated_at IS NOT NULL;
    SELECT RAISE(ABORT, 'outbox: not_before and deadline are INTEGER milliseconds since the Unix epoch')
     WHERE typeof(NEW.not_before) NOT IN ('integer', 'null') OR typeof(NEW.deadline) NOT IN ('integer', 'null');

    -- Sales.
    SELECT RAISE(ABORT, 'outbox: a sale payload needs MerchantUniqueCode as a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)')
     WHERE (SELECT role FROM command_kind WHERE name = NEW.kind) = 'sale'
       AND (json_type(NEW.payload, '$.MerchantUniqueCode') IS NOT 'text'
            OR json_extract(NEW.payload, '$.MerchantUniqueCode') NOT GLOB
               '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]');
    SELECT RAISE(ABORT, 'outbox: a sale''s command_key must equal its payload MerchantUniqueCode')
     WHERE (SELECT role FROM command_kind WHERE name = NEW.kind) = 'sale'
       AND lower(NEW.command_key) <> lower(json_extract(NEW.payload, '$.MerchantUniqueCode'));
    SELECT RAISE(ABORT, 'outbox: a sale payload needs Amount as a positive JSON number')
     WHERE (SELECT role FROM command_kind WHERE name = NEW.kind) = 'sale'
       AND (json_type(NEW.payload, '$.Amount') NOT IN ('integer', 'real')
            OR json_type(NEW.payload, '$.Amount') IS NULL
            OR json_extract(NEW.payload, '$.Amount') <= 0);
    SELECT RAISE(ABORT, 'outbox: a sale payload needs exactly one of TerminalId or TerminalTagCode')
     WHERE (SELECT role FROM command_kind WHERE name = NEW.kind) = 'sale'
       AND (json_extract(NEW.payload, '$.TerminalId') IS NULL)
         = (json_extract(NEW.payload, '$.TerminalTagCode') IS NULL);
    SELECT RAISE(ABORT, 'outbox: only follow-up commands (cancel, rollback) name a sale')
     WHERE (SELECT role FROM command_kind WHERE name = NEW.kind) <> 'follow_up'
       AND (NEW.sale_key IS NOT NULL OR NEW.payment_request_id IS NOT NULL);

    -- Follow-ups (cancel, rollback).
    SELECT RAISE(ABORT, 'outbox: a cancel or rollback must name its sale: set sale_key or payment_request_id')
     WHERE (SELECT role FROM command_kind WHERE name = NEW.kind) = 'follow_up'
       AND NEW.sale_key IS NULL AND NEW.payment_request_id IS NULL;
    SELECT RAISE(ABORT, 'outbox: set only one of sale_key and payment_request_id')
     WHERE NEW.sale_key IS NOT NULL AND NEW.payment_request_id IS NOT NULL;
    SELECT RAISE(ABORT, 'outbox: sale_key must be the sale''s MerchantUniqueCode, a GUID')
     WHERE NEW.sale_key IS NOT NULL AND NOT (typeof(NEW.sale_key) = 'text' AND NEW.sale_key GLOB
               '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]');
    SELECT RAISE(ABORT, 'outbox: payment_request_id must be a GUID')
     WHERE NEW.payment_request_id IS NOT NULL AND NOT (typeof(NEW.payment_request_id) = 'text' AND NEW.payment_request_id GLOB
               '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]');
    SELECT RAISE(ABORT, 'outbox: a cancel or rollback payload must not carry PaymentRequestId; put it in payment_request_id')
     WHERE (SELECT role FROM command_kind WHERE name = NEW.kind) = 'follow_up'
       AND json_type(NEW.payload, '$.PaymentRequestId') IS NOT NULL;
END;

-- What was asked of Paywall is never rewritten once queued: a resend must be the same command.
CREATE TRIGGER outbox_immutable BEFORE UPDATE OF command_key, kind, payload, sale_key, payment_request_id, created_at ON outbox
WHEN OLD.command_key IS NOT NEW.command_key OR OLD.kind IS NOT NEW.kind OR OLD.payload IS NOT NEW.payload
  OR OLD.sale_key IS NOT NEW.sale_key OR OLD.payment_request_id IS NOT NEW.payment_request_id
  OR OLD.created_at IS NOT NEW.created_at
BEGIN
    SELECT RAISE(ABORT, 'outbox: a queued command cannot be changed (command_key, kind, payload, sale_key, payment_request_id, created_at are fixed); queue a new command instead');
END;

-- Every send, for operators: when, how long, what came back, how it was classified.
CREATE TABLE attempt (
    id          INTEGER PRIMARY KEY,
    outbox_id   INTEGER NOT NULL,
    generation  INTEGER NOT NULL,
    worker      TEXT,
    started_at  INTEGER NOT NULL,
    duration_ms INTEGER,
    http_status INTEGER,
    -- succeeded | already_done | transient | unknown | rejected | unavailable | invalid | reconciled
    outcome     TEXT NOT NULL,
    error_code  INTEGER,
    error       TEXT
);
CREATE INDEX attempt_by_outbox ON attempt (outbox_id, id);

-- What happened to commands, for the merchant software to read. Read it by cursor:
--   SELECT * FROM inbox WHERE id > :last_seen ORDER BY id LIMIT 100;
-- `id` only grows (AUTOINCREMENT: never reused, even after a purge) and rows become visible in id
-- order, because SQLite lets one writer commit at a time; so "everything after N" never misses a
-- row. Producers never write here.
CREATE TABLE inbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id   INTEGER NOT NULL,
    command_key TEXT NOT NULL COLLATE NOCASE,
    kind        TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    -- 'outcome': the final outcome of one generation of a command (exactly one per generation).
    -- 'payment_status': a status Paywall reported for the payment (inquiry, callback); later
    -- schema versions may add event types, so consumers should skip types they do not know.
    event       TEXT NOT NULL CHECK (event IN ('outcome', 'payment_status')),
    -- For 'outcome': succeeded | failed | expired | revoked | dead | discarded.
    outcome     TEXT CHECK (outcome IN ('succeeded', 'failed', 'expired', 'revoked', 'dead', 'discarded')),
    -- A short machine-readable reason, e.g. already_done, validation, nothing_to_cancel,
    -- not_revocable, revoked_locally, deadline_passed, attempts_exhausted, operator.
    reason      TEXT,
    -- Paywall's answer, verbatim where it gave one.
    error_code     INTEGER,
    message        TEXT,
    client_message TEXT,
    -- The ids Paywall returned.
    payment_request_id          TEXT COLLATE NOCASE,
    payment_request_activity_id TEXT COLLATE NOCASE,
    terminal_pair_id            TEXT COLLATE NOCASE,
    payment_status_id           INTEGER,
    -- Everything else Paywall returned that matters, as a JSON object (e.g. PairCode).
    result       TEXT CHECK (result IS NULL OR json_valid(result)),
    -- The raw response body, as received.
    raw_response TEXT,
    http_status  INTEGER,
    created_at   INTEGER NOT NULL,
    CHECK ((event = 'outcome') = (outcome IS NOT NULL))
);
CREATE UNIQUE INDEX inbox_one_outcome ON inbox (outbox_id, generation) WHERE event = 'outcome';
CREATE INDEX inbox_by_outbox ON inbox (outbox_id, id);
CREATE INDEX inbox_by_payment ON inbox (payment_request_id) WHERE payment_request_id IS NOT NULL;

PRAGMA user_version = 1;
