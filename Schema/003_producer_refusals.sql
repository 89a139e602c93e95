-- paywall-outbox schema, version 3: the database refuses what no producer should write.
--
-- Version 1 accepted rows that later stopped or fooled the worker: BLOBs where text belongs,
-- times in seconds or at the 64-bit limits, keys that are not GUIDs (one approval queued under
-- five spellings became five calls), payloads of many megabytes, and writes by producers to the
-- inbox and to the worker's columns. This version refuses them, each with a message that starts
-- with `outbox:` and names the problem (README, "What the database refuses", lists them all).
--
-- Limits
--   * Times (created_at, not_before, deadline) are INTEGER milliseconds since the Unix epoch from
--     2000-01-01T00:00:00Z (946684800000) up to, not including, 2100-01-01T00:00:00Z
--     (4102444800000). Seconds (1.8e9 is January 1970 in milliseconds), microseconds and
--     negative values all fall outside.
--   * payload is at most 65536 bytes of UTF-8 text (a sale with hundreds of products fits).
--   * command_key is a GUID for every kind (8-4-4-4-12 hexadecimal digits, compared without
--     regard to case): Unicode look-alikes, padding and other spellings are refused, so one
--     command cannot be queued twice under two spellings.
--
-- Who may write what
--   Producers INSERT into `outbox` and read `inbox`; nothing else. The worker and the `outbox`
--   CLI register the SQL function outbox_product_connection() on each of their connections (with
--   SQLITE_INNOCUOUS, so it works in triggers whatever PRAGMA trusted_schema says). The triggers
--   below call it, so on any other connection an UPDATE or DELETE of `outbox`, and an INSERT or
--   UPDATE of `inbox`, `attempt`, `audit` or `worker_status`, fails with
--   "no such function: outbox_product_connection". Consumers may still DELETE inbox rows they
--   have handled.

DROP TRIGGER outbox_validate_insert;

-- Refuse malformed rows at INSERT, each with a message naming the problem. The statements run in
-- order, so the first problem found is the one reported.
CREATE TRIGGER outbox_validate_insert BEFORE INSERT ON outbox
BEGIN
    -- Types first: every later check reads these columns as text or integers.
    SELECT RAISE(ABORT, 'outbox: command_key is required (a GUID; for a sale: its MerchantUniqueCode)')
     WHERE NEW.command_key IS NULL OR NEW.command_key = '';
    SELECT RAISE(ABORT, 'outbox: command_key must be text: a GUID (for a sale: its MerchantUniqueCode)')
     WHERE typeof(NEW.command_key) IS NOT 'text';
    SELECT RAISE(ABORT, 'outbox: command_key must be a GUID, 8-4-4-4-12 hexadecimal digits (for a sale: its MerchantUniqueCode)')
     WHERE NEW.command_key NOT GLOB '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]';
    SELECT RAISE(ABORT, 'outbox: kind is not a known command kind (text naming a row of table command_kind)')
     WHERE typeof(NEW.kind) IS NOT 'text' OR NOT EXISTS (SELECT 1 FROM command_kind WHERE name = NEW.kind);
    SELECT RAISE(ABORT, 'outbox: payload must be text holding a JSON object')
     WHERE typeof(NEW.payload) IS NOT 'text';
    SELECT RAISE(ABORT, 'outbox: payload is larger than 65536 bytes')
     WHERE length(CAST(NEW.payload AS BLOB)) > 65536;
    SELECT RAISE(ABORT, 'outbox: payload is not a JSON object')
     WHERE NOT json_valid(NEW.payload) OR json_type(NEW.payload) <> 'object';
    SELECT RAISE(ABORT, 'outbox: sale_key and payment_request_id must be text (a GUID) or NULL')
     WHERE typeof(NEW.sale_key) NOT IN ('text', 'null') OR typeof(NEW.payment_request_id) NOT IN ('text', 'null');
    SELECT RAISE(ABORT, 'outbox: producers must not set worker columns (state, generation, attempts, due_at, needs_reconcile, lease_owner, lease_expires_at, last_error, paywall_payment_request_id, accepted_at, finished_at, updated_at)')
     WHERE NEW.state IS NOT 'pending' OR NEW.generation IS NOT 1 OR NEW.attempts IS NOT 0 OR NEW.due_at IS NOT 0
        OR NEW.needs_reconcile IS NOT 0 OR NEW.lease_owner IS NOT NULL OR NEW.lease_expires_at IS NOT NULL
        OR NEW.last_error IS NOT NULL OR NEW.paywall_payment_request_id IS NOT NULL
        OR NEW.accepted_at IS NOT NULL OR NEW.finished_at IS NOT NULL OR NEW.updated_at IS NOT NULL;

    -- Times.
    SELECT RAISE(ABORT, 'outbox: created_at must be INTEGER milliseconds since the Unix epoch, from 2000-01-01 (946684800000) to 2100-01-01 (4102444800000)')
     WHERE typeof(NEW.created_at) IS NOT 'integer' OR NEW.created_at < 946684800000 OR NEW.created_at >= 4102444800000;
    SELECT RAISE(ABORT, 'outbox: not_before must be NULL or INTEGER milliseconds since the Unix epoch, from 2000-01-01 (946684800000) to 2100-01-01 (4102444800000)')
     WHERE NEW.not_before IS NOT NULL
       AND (typeof(NEW.not_before) IS NOT 'integer' OR NEW.not_before < 946684800000 OR NEW.not_before >= 4102444800000);
    SELECT RAISE(ABORT, 'outbox: deadline must be NULL or INTEGER milliseconds since the Unix epoch, from 2000-01-01 (946684800000) to 2100-01-01 (4102444800000)')
     WHERE NEW.deadline IS NOT NULL
       AND (typeof(NEW.deadline) IS NOT 'integer' OR NEW.deadline < 946684800000 OR NEW.deadline >= 4102444800000);
    SELECT RAISE(ABORT, 'outbox: not_before is later than deadline: the command could never be sent')
     WHERE NEW.not_before IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.not_before > NEW.deadline;

    -- Sales.
    SELECT RAISE(ABORT, 'outbox: a sale payload needs MerchantUniqueCode as a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)')
     WHERE (SELECT role FROM command_kind WHERE name = NEW.kind) = 'sale'
       AND (json_type(NEW.payload, '$.MerchantUniqueCode') IS NOT 'text'
            OR json_extract(NEW.payload, '$.MerchantUniqueCode') NOT GLOB '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]');
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
     WHERE NEW.sale_key IS NOT NULL AND NEW.sale_key NOT GLOB '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]';
    SELECT RAISE(ABORT, 'outbox: payment_request_id must be a GUID')
     WHERE NEW.payment_request_id IS NOT NULL AND NEW.payment_request_id NOT GLOB '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]';
    SELECT RAISE(ABORT, 'outbox: a cancel or rollback payload must not carry PaymentRequestId; put it in payment_request_id')
     WHERE (SELECT role FROM command_kind WHERE name = NEW.kind) = 'follow_up'
       AND json_type(NEW.payload, '$.PaymentRequestId') IS NOT NULL;
END;

-- Only the worker and the outbox CLI change or remove queued commands (see "Who may write what").
CREATE TRIGGER outbox_update_product_only BEFORE UPDATE ON outbox
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker and the outbox CLI update queued commands');
END;
CREATE TRIGGER outbox_delete_product_only BEFORE DELETE ON outbox
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker and the outbox CLI remove commands (outbox discard, outbox purge)');
END;

-- Only the worker and the outbox CLI write outcomes, attempts, audit rows and worker status.
CREATE TRIGGER inbox_insert_product_only BEFORE INSERT ON inbox
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes the inbox');
END;
CREATE TRIGGER inbox_update_product_only BEFORE UPDATE ON inbox
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes the inbox');
END;
CREATE TRIGGER attempt_insert_product_only BEFORE INSERT ON attempt
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes attempts');
END;
CREATE TRIGGER audit_insert_product_only BEFORE INSERT ON audit
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the outbox CLI writes the audit');
END;
CREATE TRIGGER worker_status_insert_product_only BEFORE INSERT ON worker_status
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes worker_status');
END;
CREATE TRIGGER worker_status_update_product_only BEFORE UPDATE ON worker_status
WHEN NOT outbox_product_connection()
BEGIN
    SELECT RAISE(ABORT, 'outbox: only the worker writes worker_status');
END;

PRAGMA user_version = 3;
