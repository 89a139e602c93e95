-- paywall-outbox schema, version 5: what each worker sees of the database's storage, and a
-- dispatch pause every worker on the database shares.
--
-- A reader holding an old snapshot keeps the WAL from being checkpointed; it then grows with
-- every write until the reader lets go (seen: a 109 MB WAL beside a 6.9 MB database). The
-- worker checkpoints every 10 s, truncates the WAL once readers let go, and reports here, in
-- bytes, what it measured at its last heartbeat:
--   wal_bytes       : size of the `-wal` file
--   db_bytes        : size of the database file
--   storage_problem : set while something about storage needs an operator (the WAL has stayed
--                     above its warning threshold for more than a minute, or database writes are
--                     failing: disk full, a size limit); NULL when all is well.
-- Only the worker writes worker_status (schema 003's triggers still apply).
ALTER TABLE worker_status ADD COLUMN wal_bytes INTEGER;
ALTER TABLE worker_status ADD COLUMN db_bytes INTEGER;
ALTER TABLE worker_status ADD COLUMN storage_problem TEXT;

-- A pause of dispatch, shared by every worker on this database (at most one row). A worker that
-- finds Paywall unusable (connection refused or closed after the request was written, DNS,
-- credentials refused) writes it; every other worker reads it before claiming and stops
-- starting sends too, so one outage exposes only the sends already in flight. The worker whose
-- probe gets an answer again deletes it; the others then resume, a few sends at a time.
--   since    : when the outage began (ms since epoch)
--   probe_at : when the writing worker probes next
CREATE TABLE paywall_pause (
    scope       TEXT PRIMARY KEY CHECK (scope = 'paywall'),
    reason      TEXT NOT NULL,
    since       INTEGER NOT NULL,
    probe_at    INTEGER NOT NULL,
    set_at      INTEGER NOT NULL,
    set_by      TEXT
) WITHOUT ROWID;
CREATE TRIGGER paywall_pause_insert_product_only BEFORE INSERT ON paywall_pause
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes paywall_pause');
END;
CREATE TRIGGER paywall_pause_update_product_only BEFORE UPDATE ON paywall_pause
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes paywall_pause');
END;
CREATE TRIGGER paywall_pause_delete_product_only BEFORE DELETE ON paywall_pause
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes paywall_pause');
END;

-- A NUL character inside a text column: SQLite's GLOB, length() and json_valid() stop at it, so
-- schema 003's checks saw only the text before it, while the UNIQUE index saw the whole value:
-- `K`, `K` + NUL and `K` + NUL + `x` were three rows that every reader (the worker included)
-- reads as the one key `K`. Refused for every text column a producer writes (other storage
-- classes keep schema 003's own messages).
CREATE TRIGGER outbox_refuse_nul_insert BEFORE INSERT ON outbox
WHEN (typeof(NEW.command_key) = 'text' AND instr(CAST(NEW.command_key AS BLOB), X'00') > 0)
  OR (typeof(NEW.kind) = 'text' AND instr(CAST(NEW.kind AS BLOB), X'00') > 0)
  OR (typeof(NEW.payload) = 'text' AND instr(CAST(NEW.payload AS BLOB), X'00') > 0)
  OR (typeof(NEW.sale_key) = 'text' AND instr(CAST(NEW.sale_key AS BLOB), X'00') > 0)
  OR (typeof(NEW.payment_request_id) = 'text' AND instr(CAST(NEW.payment_request_id AS BLOB), X'00') > 0)
BEGIN
    SELECT RAISE(ABORT, 'outbox: text must not contain a NUL character (command_key, kind, payload, sale_key, payment_request_id)');
END;

-- One key, one command, whatever the INSERT's conflict clause. `INSERT OR REPLACE` (and
-- `REPLACE INTO`) deletes the row it conflicts with without running delete triggers (SQLite runs
-- them for REPLACE only with recursive_triggers on), so it silently replaced a queued, in-flight
-- or finished command by a new pending one; `ON CONFLICT DO NOTHING` silently dropped a
-- different command queued under a key already used. Before any conflict clause applies:
--   * the same command again (same kind, payload byte for byte, sale_key, payment_request_id)
--     changes nothing, and no error: a producer retrying after its own crash is harmless, with
--     any statement (not_before, deadline and created_at of the first row stay);
--   * a different command under a key already used is refused. The message sends the producer
--     to the queued command, never to a new key: for a sale a new key is a new
--     MerchantUniqueCode, so a producer that rebuilt the same sale's JSON differently (key
--     order, `22.1` for `22.10`) and requeued it under a new key would charge the customer twice.
-- Rows whose key or payload is not text are left to the validation messages.
CREATE TRIGGER outbox_one_command_per_key BEFORE INSERT ON outbox
WHEN typeof(NEW.command_key) = 'text' AND typeof(NEW.payload) = 'text'
 AND EXISTS (SELECT 1 FROM outbox WHERE command_key = NEW.command_key)
BEGIN
    SELECT RAISE(ABORT, 'outbox: command_key is already queued for a different command (kind, payload, sale_key or payment_request_id differ); the queued one stands: look it up, never re-queue a sale under a new MerchantUniqueCode')
     WHERE EXISTS (SELECT 1 FROM outbox
                    WHERE command_key = NEW.command_key
                      AND (kind IS NOT NEW.kind OR payload IS NOT NEW.payload
                           OR sale_key IS NOT NEW.sale_key OR payment_request_id IS NOT NEW.payment_request_id));
    SELECT RAISE(IGNORE);
END;

-- `id` is SQLite's to assign. Written by a producer, it could name another command's row (with
-- INSERT OR REPLACE that row was deleted without a trace: the row fuzz test found a queued
-- command replaced this way), or put a follow-up out of order (commands on one payment go in
-- id order). In a BEFORE INSERT trigger SQLite shows an id the statement did not set as -1;
-- any other value was written by the statement and is refused, and -1 itself is refused once
-- stored (AFTER INSERT: assigned ids are positive). A non-integer id stays SQLite's own
-- "datatype mismatch", raised before any trigger runs.
CREATE TRIGGER outbox_refuse_id_insert BEFORE INSERT ON outbox
WHEN NEW.id IS NOT -1
BEGIN
    SELECT RAISE(ABORT, 'outbox: id is assigned by SQLite; a producer never writes it');
END;
CREATE TRIGGER outbox_refuse_id_after_insert AFTER INSERT ON outbox
WHEN NEW.id <= 0
BEGIN
    SELECT RAISE(ABORT, 'outbox: id is assigned by SQLite; a producer never writes it');
END;

-- Backward steps of the wall clock that a worker applied to the stored schedules (due times,
-- holds), so that several workers noticing the same step move them back once, not once each.
-- A step of about the same size (within 1 s) applied within 10 s of wall time is the same step.
CREATE TABLE clock_shift (
    id          INTEGER PRIMARY KEY,
    step_ms     INTEGER NOT NULL,
    applied_at  INTEGER NOT NULL,
    applied_by  TEXT
);
CREATE TRIGGER clock_shift_insert_product_only BEFORE INSERT ON clock_shift
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes clock_shift');
END;

PRAGMA user_version = 5;
