-- paywall-outbox schema, version 6: every accepted payment activity followed to its final status,
-- and told to the merchant through the inbox (`payment_status` rows).
--
-- A sale's `succeeded` outcome says only that Paywall accepted the command. Whether the customer
-- paid is the final status of the sale's activity (Paywall's status table, API-NOTES S1: 4 paid,
-- 5 not paid, 12 rolled back); a cancel has an activity of its own (4: the cancel is done). The
-- worker follows each activity by asking Paywall (the payment's activities list) with a backoff,
-- and from verified callbacks, until it is final or its follow horizon passes.

-- One row per followed activity: a sale or cancel command Paywall accepted (or a sale it could
-- not deliver, `Payment.Async.CloudNotSendToDevice`, that has a PaymentRequestId).
--   outbox_id, generation : the command (and its generation) whose activity this is; its
--                           inbox rows carry the same outbox_id, command_key, kind, generation
--   activity_type         : PaymentTypeId of the activity (1 sale, 2 cancel)
--   activity_id           : its PaymentRequestActivityId, once known (from the command's answer,
--                           the activities list or a callback)
--   state                 : following | final | unresolved (the horizon passed first; a verified
--                           final status arriving later still makes it final)
--   next_poll_at          : when the activities list is read next (ms since epoch); claiming a
--                           row moves it forward by the lease, so a worker that dies holding it
--                           only delays the next read
--   interval_ms           : the current backoff step (doubles up to its cap)
--   last_status_id        : the latest status written to the inbox for this activity
--   progress              : how far the activity has come by the statuses written: 0 none yet,
--                           1 created, 2 on its way to the device (2, 3, 6, 7-10), 3 taken by the
--                           device (11), 4 final (4, 5, 12); a status behind it (a late or
--                           reordered callback) is not written
--   polls                 : activities reads made so far
-- `outbox purge` keeps a command while its activity is still followed, and deletes its row here
-- with it.
CREATE TABLE payment_follow (
    id                  INTEGER PRIMARY KEY,
    outbox_id           INTEGER NOT NULL,
    generation          INTEGER NOT NULL,
    payment_request_id  TEXT NOT NULL COLLATE NOCASE,
    activity_type       INTEGER NOT NULL CHECK (activity_type IN (1, 2)),
    activity_id         TEXT COLLATE NOCASE,
    state               TEXT NOT NULL DEFAULT 'following' CHECK (state IN ('following', 'final', 'unresolved')),
    started_at          INTEGER NOT NULL,
    horizon_at          INTEGER NOT NULL,
    next_poll_at        INTEGER NOT NULL,
    interval_ms         INTEGER NOT NULL,
    last_status_id      INTEGER,
    progress            INTEGER NOT NULL DEFAULT 0,
    polls               INTEGER NOT NULL DEFAULT 0,
    last_error          TEXT,
    finished_at         INTEGER,
    UNIQUE (outbox_id, generation)
);
-- Polling reads only the rows still followed.
CREATE INDEX payment_follow_due ON payment_follow (next_poll_at) WHERE state = 'following';
-- A callback names the payment.
CREATE INDEX payment_follow_by_payment ON payment_follow (payment_request_id);

CREATE TRIGGER payment_follow_insert_product_only BEFORE INSERT ON payment_follow
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes payment_follow');
END;
CREATE TRIGGER payment_follow_update_product_only BEFORE UPDATE ON payment_follow
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes payment_follow');
END;
CREATE TRIGGER payment_follow_delete_product_only BEFORE DELETE ON payment_follow
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes payment_follow');
END;

-- The inbox's `payment_status` rows (one per distinct status of an activity, in the order the
-- activity went through them) carry, besides payment_request_id, payment_request_activity_id,
-- payment_status_id and message:
--   activity    : 'sale' or 'cancel', the activity the status belongs to
--   status_name : the status's name (S1, e.g. 'Successful', 'TakenByDevice')
--   source      : 'inquiry' (the worker asked Paywall), 'callback' (a verified Paywall callback)
--                 or 'horizon' (the follow horizon passed: reason 'unresolved', no status id)
--   final       : 1 for the activity's final status (4, 5 or 12), at most one per activity;
--                 0 otherwise; NULL on 'outcome' rows
-- No non-final row follows a final one.
ALTER TABLE inbox ADD COLUMN activity TEXT CHECK (activity IS NULL OR activity IN ('sale', 'cancel'));
ALTER TABLE inbox ADD COLUMN status_name TEXT;
ALTER TABLE inbox ADD COLUMN source TEXT CHECK (source IS NULL OR source IN ('inquiry', 'callback', 'horizon'));
ALTER TABLE inbox ADD COLUMN final INTEGER CHECK (final IS NULL OR final IN (0, 1));
CREATE UNIQUE INDEX inbox_one_status ON inbox (outbox_id, generation, payment_status_id)
    WHERE event = 'payment_status' AND payment_status_id IS NOT NULL;
CREATE UNIQUE INDEX inbox_one_final_status ON inbox (outbox_id, generation)
    WHERE event = 'payment_status' AND final = 1;

PRAGMA user_version = 6;
