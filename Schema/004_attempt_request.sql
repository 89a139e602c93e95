-- paywall-outbox schema, version 4: what each attempt row was.
--
-- A sale whose send may have reached Paywall is resent only after a complete payment-list scan
-- taken at least a grace period after the last send could have landed (README, "Money rules").
-- The worker finds that last send here, so an attempt row now says which request it was:
--   send          : the command itself went to Paywall (every row before this version)
--   lookup        : a payment-list scan for the command's MerchantUniqueCode
--   inquiry       : a payment inquiry or activities read (before a rollback)
--   lease_expired : the worker holding the command died or hung; it may have sent it up to
--                   `started_at` (the time the lease was taken back), so it counts as a send
ALTER TABLE attempt ADD COLUMN request TEXT NOT NULL DEFAULT 'send'
    CHECK (request IN ('send', 'lookup', 'inquiry', 'lease_expired'));

PRAGMA user_version = 4;
