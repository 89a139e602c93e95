-- paywall-outbox schema, version 7: the same refusals as versions 3 and 5, for less work per INSERT.
--
-- Nothing a producer sees changes: every row versions 3 and 5 accept is accepted, and every row
-- they refuse is refused with the byte-identical `outbox:` message (the first problem found, in
-- the same order), whatever the statement's conflict clause. tools/refusal-equivalence.py feeds
-- the same rows (the poison rows, the examples twice, and thousands of generated ones: every
-- column and payload field mutated, all four insert verbs, repeated keys) to a version-6 and a
-- version-7 database and fails on any difference. Measured with tools/insert-cost.py.
--
-- What a single-row INSERT did before, besides storing the row: four BEFORE INSERT triggers
-- (schema 5's id, key and NUL checks, then schema 3's validation) of 26 statements in all. The
-- kind was looked up in command_kind eight times, the sale checks read the payload's JSON eight
-- times and matched a 36-character GLOB on the MerchantUniqueCode, and every follow-up and
-- standalone command looked its role up for each sale check too. Now:
--   * one trigger of two statements (schema 5's three BEFORE INSERT triggers fold into the first,
--     in the order they fired: the last created fired first; schema 3's checks are the second),
--     each a CASE whose WHEN clauses are the old statements' conditions in the old order, each
--     raising its own message;
--   * the kind is looked up once (the LEFT JOIN below) and its role picks the one group of checks
--     that applies to it: sales, follow-ups, or standalone commands;
--   * a sale whose MerchantUniqueCode equals its command_key (after lower(), as the old check
--     compared them) needs no GLOB of its own: the key passed the GUID check already, and lower()
--     changes only A-Z (ICU's lower() maps no other character to a hex digit or '-' either), so
--     a value that lowers to a GUID's text is a GUID in some case. Only when they differ do the
--     two old checks run, in their order, to say which message applies;
--   * Amount's type is read once (NOT IN / IS NULL / <= 0 become one CASE), and "exactly one of
--     TerminalId or TerminalTagCode" uses schema 1's `terminal` column (TerminalId, else
--     TerminalTagCode; SQLite computes it before BEFORE triggers run): NULL means neither is set;
--   * a NUL in the payload is found by printf('%s'), which stops at the first NUL (a C string),
--     instead of instr() over the bytes.
-- Kept as they were: schema 5's AFTER INSERT id check, every index (each serves a product query:
-- the claim reads outbox_due, the census outbox_due, outbox_leased and outbox_troubled, purge and
-- the operator's lists outbox_by_created, follow-ups and purge the sale and payment ones) and the
-- table's CHECK constraints.
--
-- The trigger keeps its name, outbox_validate_insert (tools and tests look it up by name, and the
-- README test reads its messages up to the first `END;`, so none ends a statement inside it). The
-- `-- ` headings mark its groups of checks: above each statement, and inside each CASE above
-- groups of WHEN clauses (tools/insert-cost.py --by-check measures each group by leaving it out
-- of a scratch copy).

DROP TRIGGER outbox_refuse_id_insert;
DROP TRIGGER outbox_one_command_per_key;
DROP TRIGGER outbox_refuse_nul_insert;
DROP TRIGGER outbox_validate_insert;

-- Refuse malformed rows at INSERT, each with a message naming the problem. The statements run in
-- order, and in each the WHEN clauses are tried in order: the first that holds raises its
-- message, so the first problem found is the one reported; nothing is stored.
CREATE TRIGGER outbox_validate_insert BEFORE INSERT ON outbox
BEGIN
    -- Schema 5's checks. They come first, as its triggers fired before schema 3's.
    SELECT CASE
        -- Schema 5: an id the statement set. In a BEFORE INSERT trigger SQLite shows an id the
        -- statement did not set as -1 (-1 set explicitly is refused after the insert, by
        -- outbox_refuse_id_after_insert).
        WHEN NEW.id IS NOT -1
        THEN RAISE(ABORT, 'outbox: id is assigned by SQLite; a producer never writes it')
        -- Schema 5: one key, one command. The same command again changes nothing (RAISE(IGNORE)
        -- skips the row, whatever the conflict clause); a different one under a key already
        -- used is refused. Rows whose key or payload is not text are left to the checks below.
        WHEN typeof(NEW.command_key) = 'text' AND typeof(NEW.payload) = 'text'
             AND EXISTS (SELECT 1 FROM outbox WHERE command_key = NEW.command_key)
        THEN CASE WHEN EXISTS (SELECT 1 FROM outbox
                                WHERE command_key = NEW.command_key
                                  AND (kind IS NOT NEW.kind OR payload IS NOT NEW.payload
                                       OR sale_key IS NOT NEW.sale_key OR payment_request_id IS NOT NEW.payment_request_id))
                  THEN RAISE(ABORT, 'outbox: command_key is already queued for a different command (kind, payload, sale_key or payment_request_id differ); the queued one stands: look it up, never re-queue a sale under a new MerchantUniqueCode')
                  ELSE RAISE(IGNORE) END
        -- Schema 5: no NUL in text. SQLite's GLOB, length() and json_valid() stop at a NUL, the
        -- UNIQUE index does not.
        WHEN (typeof(NEW.command_key) = 'text' AND instr(CAST(NEW.command_key AS BLOB), X'00') > 0)
          OR (typeof(NEW.kind) = 'text' AND instr(CAST(NEW.kind AS BLOB), X'00') > 0)
          OR (typeof(NEW.payload) = 'text' AND NEW.payload <> printf('%s', NEW.payload))
          OR (typeof(NEW.sale_key) = 'text' AND instr(CAST(NEW.sale_key AS BLOB), X'00') > 0)
          OR (typeof(NEW.payment_request_id) = 'text' AND instr(CAST(NEW.payment_request_id AS BLOB), X'00') > 0)
        THEN RAISE(ABORT, 'outbox: text must not contain a NUL character (command_key, kind, payload, sale_key, payment_request_id)')
        END AS schema_5_checks;
    -- Schema 3's checks. In their order; the kind is looked up once, here.
    SELECT CASE
        -- Types: every later check reads these columns as text or integers.
        WHEN NEW.command_key IS NULL OR NEW.command_key = ''
        THEN RAISE(ABORT, 'outbox: command_key is required (a GUID; for a sale: its MerchantUniqueCode)')
        WHEN typeof(NEW.command_key) IS NOT 'text'
        THEN RAISE(ABORT, 'outbox: command_key must be text: a GUID (for a sale: its MerchantUniqueCode)')
        WHEN NEW.command_key NOT GLOB '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]'
        THEN RAISE(ABORT, 'outbox: command_key must be a GUID, 8-4-4-4-12 hexadecimal digits (for a sale: its MerchantUniqueCode)')
        WHEN typeof(NEW.kind) IS NOT 'text' OR k.name IS NULL
        THEN RAISE(ABORT, 'outbox: kind is not a known command kind (text naming a row of table command_kind)')
        WHEN typeof(NEW.payload) IS NOT 'text'
        THEN RAISE(ABORT, 'outbox: payload must be text holding a JSON object')
        WHEN length(CAST(NEW.payload AS BLOB)) > 65536
        THEN RAISE(ABORT, 'outbox: payload is larger than 65536 bytes')
        WHEN NOT json_valid(NEW.payload) OR json_type(NEW.payload) <> 'object'
        THEN RAISE(ABORT, 'outbox: payload is not a JSON object')
        WHEN typeof(NEW.sale_key) NOT IN ('text', 'null') OR typeof(NEW.payment_request_id) NOT IN ('text', 'null')
        THEN RAISE(ABORT, 'outbox: sale_key and payment_request_id must be text (a GUID) or NULL')
        WHEN NEW.state IS NOT 'pending' OR NEW.generation IS NOT 1 OR NEW.attempts IS NOT 0 OR NEW.due_at IS NOT 0
          OR NEW.needs_reconcile IS NOT 0 OR NEW.lease_owner IS NOT NULL OR NEW.lease_expires_at IS NOT NULL
          OR NEW.last_error IS NOT NULL OR NEW.paywall_payment_request_id IS NOT NULL
          OR NEW.accepted_at IS NOT NULL OR NEW.finished_at IS NOT NULL OR NEW.updated_at IS NOT NULL
        THEN RAISE(ABORT, 'outbox: producers must not set worker columns (state, generation, attempts, due_at, needs_reconcile, lease_owner, lease_expires_at, last_error, paywall_payment_request_id, accepted_at, finished_at, updated_at)')
        -- Times.
        WHEN typeof(NEW.created_at) IS NOT 'integer' OR NEW.created_at < 946684800000 OR NEW.created_at >= 4102444800000
        THEN RAISE(ABORT, 'outbox: created_at must be INTEGER milliseconds since the Unix epoch, from 2000-01-01 (946684800000) to 2100-01-01 (4102444800000)')
        WHEN NEW.not_before IS NOT NULL
         AND (typeof(NEW.not_before) IS NOT 'integer' OR NEW.not_before < 946684800000 OR NEW.not_before >= 4102444800000)
        THEN RAISE(ABORT, 'outbox: not_before must be NULL or INTEGER milliseconds since the Unix epoch, from 2000-01-01 (946684800000) to 2100-01-01 (4102444800000)')
        WHEN NEW.deadline IS NOT NULL
         AND (typeof(NEW.deadline) IS NOT 'integer' OR NEW.deadline < 946684800000 OR NEW.deadline >= 4102444800000)
        THEN RAISE(ABORT, 'outbox: deadline must be NULL or INTEGER milliseconds since the Unix epoch, from 2000-01-01 (946684800000) to 2100-01-01 (4102444800000)')
        WHEN NEW.not_before IS NOT NULL AND NEW.deadline IS NOT NULL AND NEW.not_before > NEW.deadline
        THEN RAISE(ABORT, 'outbox: not_before is later than deadline: the command could never be sent')
        -- Sales. The kind is known from here on, so its role picks the checks that apply.
        WHEN k.role = 'sale'
        THEN CASE
            -- Equal after lower() (the old second check passes), MerchantUniqueCode is a GUID
            -- (the old first check passes); otherwise one of the two old checks fails: find which.
            WHEN lower(NEW.command_key) IS NOT lower(json_extract(NEW.payload, '$.MerchantUniqueCode'))
            THEN CASE WHEN json_type(NEW.payload, '$.MerchantUniqueCode') IS NOT 'text'
                        OR json_extract(NEW.payload, '$.MerchantUniqueCode') NOT GLOB '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]'
                      THEN RAISE(ABORT, 'outbox: a sale payload needs MerchantUniqueCode as a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)')
                      ELSE RAISE(ABORT, 'outbox: a sale''s command_key must equal its payload MerchantUniqueCode') END
            WHEN CASE WHEN json_type(NEW.payload, '$.Amount') IN ('integer', 'real')
                      THEN json_extract(NEW.payload, '$.Amount') <= 0 ELSE 1 END
            THEN RAISE(ABORT, 'outbox: a sale payload needs Amount as a positive JSON number')
            WHEN NEW.terminal IS NULL
              OR (json_extract(NEW.payload, '$.TerminalId') IS NOT NULL
                  AND json_extract(NEW.payload, '$.TerminalTagCode') IS NOT NULL)
            THEN RAISE(ABORT, 'outbox: a sale payload needs exactly one of TerminalId or TerminalTagCode')
            WHEN NEW.sale_key IS NOT NULL OR NEW.payment_request_id IS NOT NULL
            THEN RAISE(ABORT, 'outbox: only follow-up commands (cancel, rollback) name a sale')
            END
        -- Follow-ups (cancel, rollback).
        WHEN k.role = 'follow_up'
        THEN CASE
            WHEN NEW.sale_key IS NULL AND NEW.payment_request_id IS NULL
            THEN RAISE(ABORT, 'outbox: a cancel or rollback must name its sale: set sale_key or payment_request_id')
            WHEN NEW.sale_key IS NOT NULL AND NEW.payment_request_id IS NOT NULL
            THEN RAISE(ABORT, 'outbox: set only one of sale_key and payment_request_id')
            WHEN NEW.sale_key IS NOT NULL AND NEW.sale_key NOT GLOB '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]'
            THEN RAISE(ABORT, 'outbox: sale_key must be the sale''s MerchantUniqueCode, a GUID')
            WHEN NEW.payment_request_id IS NOT NULL AND NEW.payment_request_id NOT GLOB '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]'
            THEN RAISE(ABORT, 'outbox: payment_request_id must be a GUID')
            WHEN json_type(NEW.payload, '$.PaymentRequestId') IS NOT NULL
            THEN RAISE(ABORT, 'outbox: a cancel or rollback payload must not carry PaymentRequestId; put it in payment_request_id')
            END
        -- Standalone commands. (Sales took their own branch above.)
        WHEN k.role <> 'follow_up' AND (NEW.sale_key IS NOT NULL OR NEW.payment_request_id IS NOT NULL)
        THEN RAISE(ABORT, 'outbox: only follow-up commands (cancel, rollback) name a sale')
        END
      FROM (SELECT 1) LEFT JOIN command_kind AS k ON k.name = NEW.kind;
END;

PRAGMA user_version = 7;
