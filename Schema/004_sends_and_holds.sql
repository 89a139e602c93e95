-- paywall-outbox schema, version 4: what each attempt row was, a send marked before it leaves,
-- and Retry-After holds shared by every worker.
--
-- A sale whose send may have reached Paywall is resent only after a complete payment-list scan
-- taken long enough after the last send could have left (README, "Money rules"). The worker
-- finds that last send here, so an attempt row now says which request it was:
--   send    : the command itself went to Paywall (every row before this version)
--   lookup  : a payment-list scan for the command's MerchantUniqueCode
--   inquiry : a payment inquiry or activities read (before a rollback)
--
-- From this version the worker writes a send's row, with outcome `sending`, and sets the
-- command's needs_reconcile, in one transaction *before* the request leaves; the answer then
-- completes the row (and clears the mark when it is definite). A worker that dies mid-send
-- leaves the mark: the next one reconciles. A command whose lease expires without the mark was
-- never sent. Commands in flight when this migration runs were claimed by an older binary that
-- did not mark its sends: they are marked now, to be safe.
ALTER TABLE attempt ADD COLUMN request TEXT NOT NULL DEFAULT 'send'
    CHECK (request IN ('send', 'lookup', 'inquiry'));

-- Each such command, and each one already marked for reconciliation, gets a send row, so the
-- reconcile rules know when its last send may have left (at the latest: when its lease ends).
INSERT INTO attempt (outbox_id, generation, worker, started_at, outcome, error, request)
SELECT id, generation, lease_owner, coalesce(lease_expires_at, updated_at, created_at), 'unknown',
       'in flight or unreconciled when schema 4 was applied', 'send'
  FROM outbox WHERE state = 'in_flight' OR (state = 'pending' AND needs_reconcile = 1);
UPDATE outbox SET needs_reconcile = 1 WHERE state = 'in_flight';

-- Paywall's Retry-After (429, 503) holds every request made with the same credentials, by every
-- worker on this database, until `until` (ms since epoch): a worker that is told to wait writes
-- the hold here, and every worker reads it before sending. `credentials` is `private` (Physical
-- POS API) or `public` (PaymentAPI). Throttling spends no command's attempts.
CREATE TABLE paywall_hold (
    credentials TEXT PRIMARY KEY CHECK (credentials IN ('private', 'public')),
    until       INTEGER NOT NULL,
    reason      TEXT,
    set_at      INTEGER NOT NULL,
    set_by      TEXT
) WITHOUT ROWID;
CREATE TRIGGER paywall_hold_insert_product_only BEFORE INSERT ON paywall_hold
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes paywall_hold');
END;
CREATE TRIGGER paywall_hold_update_product_only BEFORE UPDATE ON paywall_hold
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes paywall_hold');
END;

PRAGMA user_version = 4;
