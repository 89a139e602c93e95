-- paywall-outbox, PostgreSQL: the producer contract (outbox, inbox, command kinds) as SQLite's
-- Schema/001..006 leave it at user_version 6, with the same columns and the same refusals, each
-- with the same `outbox: ...` message.
--
-- Apply the files of Schema/postgres/ in order, each in one transaction, as the schema's owner
-- (a role of its own, not a superuser: the insert trigger runs with its rights):
--     psql -v ON_ERROR_STOP=1 --single-transaction -f 001_outbox_contract.sql
-- The objects are created in the first schema of the search_path (usually `public`).
-- tools/pg-contract-check.py feeds the same rows to this schema and to SQLite's and compares
-- what each accepts and refuses, message by message. Schema/postgres/README.md lists the
-- deliberate differences.
--
-- Types, chosen on purpose
--   * INTEGER (SQLite, always 64-bit) is BIGINT everywhere: times are BIGINT milliseconds since
--     the Unix epoch as in SQLite, and a 64-bit value a producer writes reaches the same trigger
--     check (and message) as in SQLite instead of failing a narrower type's range first.
--   * Ids are BIGINT GENERATED ALWAYS AS IDENTITY: a producer cannot choose one (SQLite's
--     schema 5 refuses an explicit id too).
--   * `payload` is TEXT, never jsonb (jsonb drops duplicate keys, reorders keys and rewrites
--     numbers: `22.10` would become `22.1`); what the producer wrote is what Paywall gets. The
--     insert trigger checks that it is a JSON object, reading it as SQLite 3.40's json_valid,
--     json_type and json_extract do (first of duplicate keys, `\u0000` ends a string, nesting
--     beyond 2000 refused, numbers read as SQLite reads them); no value goes through a float.
--   * Keys and payment ids that SQLite compares with COLLATE NOCASE are CITEXT: unique and equal
--     without regard to case, stored as written. Every stored one is an ASCII GUID (the trigger
--     refuses anything else first), so citext's comparison and NOCASE agree on every value the
--     table can hold.
--   * Text cannot contain a NUL character in PostgreSQL at all: SQLite's schema-5 NUL refusal
--     has nothing left to refuse here (the server or the driver refuses such a value itself).

CREATE EXTENSION IF NOT EXISTS citext;

-- Milliseconds since the Unix epoch by the database server's clock, as SQLite's
-- CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER): truncated, and the same for every
-- row of one statement.
CREATE FUNCTION outbox_now_ms() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
RETURN floor(extract(epoch FROM statement_timestamp()) * 1000)::bigint;

-- The migrations applied, in place of SQLite's PRAGMA user_version. `sqlite_version` is the
-- SQLite schema version whose contract this database now has.
CREATE TABLE schema_version (
    version        integer PRIMARY KEY,
    file           text    NOT NULL,
    sqlite_version integer NOT NULL,
    applied_at     bigint  NOT NULL DEFAULT outbox_now_ms()
);

-- True for 8-4-4-4-12 hexadecimal digits, either case: SQLite's GLOB pattern
-- '[0-9a-fA-F]...-...' of schema 003 (byte-wise, so full-width digits, padding or a trailing
-- newline are not a GUID).
CREATE FUNCTION outbox_is_guid(value text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (value COLLATE "C") ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

-------------------------------------------------------------------------------------------------
-- JSON as SQLite 3.40 reads it. PostgreSQL's own json parser is stricter in two places
-- (`\ud800` without its pair, nesting beyond its stack) and its extraction in three (the last of
-- duplicate keys wins, escaped key names match, `\u0000` is an error); these functions give
-- SQLite's answers, so the same payload is accepted or refused by both engines.
-------------------------------------------------------------------------------------------------

-- SQLite's json_valid(p): PostgreSQL's json parser on a copy whose escapes are made harmless
-- (`\\` -> `__`, `\uXXXX` -> `\u0021`: same length, and valid exactly where the original is for
-- SQLite, which checks only that four hex digits follow `\u`), after refusing nesting deeper
-- than SQLite's 2000 levels. Mirrors `json_valid(NEW.payload)` of schema 003.
CREATE FUNCTION outbox_json_valid(p text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN outbox_json_type(p) IS NOT NULL;
END $$;

-- json_typeof(p) ('object', 'array', 'string', 'number', 'boolean', 'null') when SQLite's
-- json_valid(p) is true, else NULL.
CREATE FUNCTION outbox_json_type(p text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    v text := p;
    depth integer := 0;
    deepest integer := 0;
    c text;
BEGIN
    IF p IS NULL THEN
        RETURN NULL;
    END IF;
    IF strpos(v, '\') > 0 THEN
        v := regexp_replace(regexp_replace(v, '\\\\', '__', 'g'), '\\u[0-9a-fA-F]{4}', '\\u0021', 'g');
    END IF;
    -- SQLite refuses nesting deeper than 2000 arrays/objects (JSON_MAX_DEPTH); count only when
    -- there could be that many.
    IF length(v) - length(translate(v, '[{', '')) > 2000 THEN
        FOREACH c IN ARRAY string_to_array(regexp_replace(regexp_replace(v, '"(?:[^"\\]|\\.)*"', '', 'g'), '[^][{}]', '', 'g'), NULL) LOOP
            IF c = '[' OR c = '{' THEN
                depth := depth + 1;
                IF depth > 2000 THEN
                    RETURN NULL;
                END IF;
            ELSE
                depth := depth - 1;
            END IF;
        END LOOP;
    END IF;
    BEGIN
        RETURN json_typeof(v::json);
    EXCEPTION WHEN invalid_text_representation OR untranslatable_character THEN
        RETURN NULL;
    END;
END $$;

-- The first value of each of `keys` in the JSON object `p` (already known valid), as raw JSON
-- text (a string keeps its quotes and escapes; an object or array is given as '{' or '['), NULL
-- where the key is absent. As SQLite 3.40's json_extract(p, '$.Key') finds a member: the first
-- of duplicate keys, and a key name matches only as written, without escapes
-- ("Am\u006fount" is not Amount).
CREATE FUNCTION outbox_json_members(p text, keys text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    found text[] := array_fill(NULL::text, ARRAY[cardinality(keys)]);
    quoted text[];
    tok text;
    depth integer := 0;
    expect_key boolean := false;
    want_value boolean := false;
    key text;
    i integer;
    member record;
BEGIN
    IF strpos(p, '\') = 0 THEN
        -- No escapes anywhere: PostgreSQL's json_each sees the keys as written, in order.
        FOR member IN SELECT e.key, e.value::text AS value FROM json_each(p::json) AS e LOOP
            i := array_position(keys, member.key);
            IF i IS NOT NULL AND found[i] IS NULL THEN
                found[i] := member.value;
            END IF;
        END LOOP;
        RETURN found;
    END IF;
    -- Escapes present: read the top-level members token by token, keys as written.
    SELECT array_agg('"' || k || '"') INTO quoted FROM unnest(keys) AS k;
    FOR tok IN SELECT m[1] FROM regexp_matches(p, '("(?:[^"\\]|\\.)*"|[][{}:,]|[^][{}:,"[:space:]]+)', 'g') AS m LOOP
        IF tok = '{' OR tok = '[' THEN
            IF depth = 1 AND want_value THEN
                i := array_position(quoted, key);
                IF i IS NOT NULL AND found[i] IS NULL THEN
                    found[i] := tok;
                END IF;
                want_value := false;
            END IF;
            depth := depth + 1;
            IF depth = 1 THEN
                expect_key := true;
            END IF;
        ELSIF tok = '}' OR tok = ']' THEN
            depth := depth - 1;
        ELSIF depth = 1 THEN
            IF tok = ',' THEN
                expect_key := true;
            ELSIF tok = ':' THEN
                want_value := true;
            ELSIF expect_key THEN
                key := tok;
                expect_key := false;
            ELSIF want_value THEN
                i := array_position(quoted, key);
                IF i IS NOT NULL AND found[i] IS NULL THEN
                    found[i] := tok;
                END IF;
                want_value := false;
            END IF;
        END IF;
    END LOOP;
    RETURN found;
END $$;

-- The text of a raw JSON string token as SQLite 3.40's json_extract returns it: escapes decoded,
-- and a `\u0000` ends the string there. A lone UTF-16 surrogate (SQLite writes it as three
-- bytes that are not UTF-8, which PostgreSQL text cannot hold) becomes U+FFFD.
CREATE FUNCTION outbox_json_string(tok text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    s text := substr(tok, 2, length(tok) - 2);
    out text := '';
    piece text;
    code integer;
    pending integer;  -- a high surrogate waiting for its low half
BEGIN
    IF strpos(s, '\') = 0 THEN
        RETURN s;
    END IF;
    FOR piece IN SELECT m[1] FROM regexp_matches(s, '(\\u[0-9a-fA-F]{4}|\\.|[^\\]+)', 'g') AS m LOOP
        IF piece ~ '^\\u' THEN
            code := ('x' || lpad(substr(piece, 3), 8, '0'))::bit(32)::integer;
        ELSE
            code := NULL;
        END IF;
        IF pending IS NOT NULL THEN
            IF code BETWEEN 56320 AND 57343 THEN  -- DC00-DFFF completes the pair
                out := out || chr(65536 + ((pending - 55296) << 10) + (code - 56320));
                pending := NULL;
                CONTINUE;
            END IF;
            out := out || chr(65533);
            pending := NULL;
        END IF;
        IF code IS NULL THEN
            out := out || CASE piece
                WHEN '\"' THEN '"' WHEN '\\' THEN '\' WHEN '\/' THEN '/'
                WHEN '\b' THEN chr(8) WHEN '\f' THEN chr(12) WHEN '\n' THEN chr(10)
                WHEN '\r' THEN chr(13) WHEN '\t' THEN chr(9)
                ELSE piece END;
        ELSIF code = 0 THEN
            RETURN out;
        ELSIF code BETWEEN 55296 AND 56319 THEN  -- D800-DBFF: a high surrogate
            pending := code;
        ELSIF code BETWEEN 56320 AND 57343 THEN  -- a low surrogate alone
            out := out || chr(65533);
        ELSE
            out := out || chr(code);
        END IF;
    END LOOP;
    IF pending IS NOT NULL THEN
        out := out || chr(65533);
    END IF;
    RETURN out;
END $$;

-- A raw JSON value as SQLite's TEXT column shows json_extract's result: a string decoded, true
-- and false as 1 and 0, a number as written (SQLite would render a real its own way: 1.50 as
-- 1.5), an object or array as NULL (SQLite keeps its minified JSON text).
CREATE FUNCTION outbox_json_text(tok text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN left(tok, 1) = '"' THEN outbox_json_string(tok)
    WHEN tok = 'true' THEN '1'
    WHEN tok = 'false' THEN '0'
    WHEN left(tok, 1) IN ('{', '[') THEN NULL
    ELSE tok END;

-- Whether SQLite 3.40's json_extract reads the JSON number token `tok` as a value > 0. It reads a
-- number into the nearest double (as strtod does), so a positive number too small for a double,
-- at or below half the smallest subnormal (2^-1075, about 2.47e-324), reads as 0 and is refused:
-- 1e-400, 0.000...01 with 400 zeros. Computed exactly in numeric: no amount goes through a float.
CREATE FUNCTION outbox_json_number_positive(tok text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    m text[];
    digits text;
    sig text;
    lead integer;  -- the value lies in [10^(lead-1), 10^lead)
BEGIN
    -- Plain decimals of ordinary length (0.000...1 with 297 zeros is far above 2^-1075):
    -- positive when a digit is not zero. (Tested first and without capture groups, which make
    -- PostgreSQL's regular expressions some fifty times slower.)
    IF length(tok) <= 300 AND tok ~ '^[0-9]+(\.[0-9]+)?$' THEN
        RETURN tok ~ '[1-9]';
    END IF;
    m := regexp_match(tok, '^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$');
    IF m IS NULL OR m[1] = '-' THEN
        RETURN false;  -- not a number, or negative (-0 included)
    END IF;
    digits := m[2] || coalesce(m[3], '');
    sig := ltrim(digits, '0');
    IF sig = '' THEN
        RETURN false;
    END IF;
    lead := length(m[2]) - (length(digits) - length(sig))
            + greatest(least(coalesce(m[4], '0')::numeric, 100000), -100000)::integer;
    IF lead >= -322 THEN
        RETURN true;   -- at least 1e-323
    ELSIF lead <= -324 THEN
        RETURN false;  -- below 1e-324
    END IF;
    RETURN ('0.' || sig || 'e' || lead)::numeric > 2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324;
END $$;

-------------------------------------------------------------------------------------------------
-- Command kinds (SQLite schema 001, unchanged since).
--   role 'sale'      : a payment order; `command_key` must equal its MerchantUniqueCode.
--   role 'follow_up' : acts on a sale; names it by `sale_key` or by `payment_request_id`.
--   role 'standalone': needs no sale.
-------------------------------------------------------------------------------------------------
CREATE TABLE command_kind (
    name        text PRIMARY KEY,
    role        text NOT NULL CHECK (role IN ('sale', 'follow_up', 'standalone')),
    description text NOT NULL
);

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

-------------------------------------------------------------------------------------------------
-- One row per command (SQLite schema 001; every column is explained there).
-------------------------------------------------------------------------------------------------
CREATE TABLE outbox (
    -- Assigned by PostgreSQL. Never write it (an INSERT that names it is refused).
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,

    -- Producer columns: write these, and only these.
    command_key        citext NOT NULL,
    kind               text   NOT NULL,
    payload            text   NOT NULL,
    sale_key           citext,
    payment_request_id citext,
    not_before         bigint,
    deadline           bigint,
    created_at         bigint NOT NULL DEFAULT outbox_now_ms(),

    -- Derived from the payload at INSERT by the trigger below, for filtering; read-only (SQLite's
    -- generated column: coalesce(TerminalId, TerminalTagCode)). The payload never changes, so
    -- it is computed once, not at every UPDATE of the row as a STORED generated column would be.
    terminal           text,

    -- Worker columns: owned by the worker and the outbox CLI.
    state              text   NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'in_flight', 'succeeded', 'failed', 'expired',
                                        'revoked', 'dead', 'discarded')),
    generation         bigint NOT NULL DEFAULT 1,
    attempts           bigint NOT NULL DEFAULT 0,
    due_at             bigint NOT NULL DEFAULT 0,
    needs_reconcile    bigint NOT NULL DEFAULT 0 CHECK (needs_reconcile IN (0, 1)),
    lease_owner        text,
    lease_expires_at   bigint,
    last_error         text,
    paywall_payment_request_id citext,
    accepted_at        bigint,
    finished_at        bigint,
    updated_at         bigint,

    -- `INSERT ... ON CONFLICT (command_key) DO NOTHING` names this constraint's column.
    CONSTRAINT outbox_command_key_unique UNIQUE (command_key)
);

CREATE INDEX outbox_due ON outbox (due_at, id) WHERE state = 'pending';
CREATE INDEX outbox_leased ON outbox (lease_expires_at) WHERE state = 'in_flight';
CREATE INDEX outbox_by_paywall_payment ON outbox (paywall_payment_request_id)
    WHERE paywall_payment_request_id IS NOT NULL;
CREATE INDEX outbox_by_sale_key ON outbox (sale_key) WHERE sale_key IS NOT NULL;
CREATE INDEX outbox_by_payment_request ON outbox (payment_request_id)
    WHERE payment_request_id IS NOT NULL;
CREATE INDEX outbox_by_created ON outbox (created_at);
CREATE INDEX outbox_troubled ON outbox (finished_at) WHERE state IN ('failed', 'expired', 'dead');

-------------------------------------------------------------------------------------------------
-- Refusals at INSERT. One function, run before each row is stored, holds every check of
-- SQLite's BEFORE INSERT triggers in the order SQLite runs them (it runs the most recently
-- created first): outbox_refuse_id_insert (005), outbox_one_command_per_key (005),
-- outbox_refuse_nul_insert (005), outbox_validate_insert (003, statement by statement). The
-- first problem found is the one reported, with SQLite's message, as SQLSTATE 23514
-- (check_violation: drivers report it as an integrity error, as SQLite's SQLITE_CONSTRAINT).
-- Column types refuse what SQLite's typeof() checks refuse (a BLOB key, a text time) before
-- any trigger runs, with PostgreSQL's own message.
--
-- SECURITY DEFINER: the one-command-per-key check reads the outbox, which producers cannot.
-- Its search_path is fixed at the end of this file.
-------------------------------------------------------------------------------------------------
CREATE FUNCTION outbox_validate_insert() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    queued record;
    kind_role text;
    payload_type text;
    f text[];  -- first raw values of MerchantUniqueCode, Amount, TerminalId, TerminalTagCode, PaymentRequestId
    muc text;
BEGIN
    -- outbox_refuse_id_insert (schema 005). An INSERT naming `id` is refused by PostgreSQL
    -- itself (GENERATED ALWAYS); with OVERRIDING SYSTEM VALUE the id is not the one the
    -- identity just drew for this row. (The message keeps SQLite's words, as every message here.)
    IF NEW.id IS DISTINCT FROM currval('outbox_id_seq'::regclass) THEN
        RAISE EXCEPTION 'outbox: id is assigned by SQLite; a producer never writes it'
            USING ERRCODE = 'check_violation';
    END IF;
    -- SQLite's generated column `terminal` cannot be written; neither can this one.
    IF NEW.terminal IS NOT NULL THEN
        RAISE EXCEPTION 'cannot INSERT into generated column "terminal"' USING ERRCODE = 'generated_always';
    END IF;

    -- outbox_one_command_per_key (schema 005): one key, one command, whatever the statement's
    -- conflict clause. The same command again (same kind, payload byte for byte, sale_key,
    -- payment_request_id) is skipped without an error; a different command under a key already
    -- used is refused. (SQLite's condition typeof(key) = typeof(payload) = 'text' is "both not
    -- NULL" here.) The advisory lock, held to the end of the transaction, makes a concurrent
    -- INSERT of the same key wait and then see the committed row (READ COMMITTED), as SQLite's
    -- single writer does; 1869963896 is 'oubx', this schema's lock class.
    IF NEW.command_key IS NOT NULL AND NEW.payload IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(1869963896, hashtext(lower(NEW.command_key::text)));
        SELECT o.kind, o.payload, o.sale_key, o.payment_request_id INTO queued
          FROM outbox o WHERE o.command_key = NEW.command_key;
        IF FOUND THEN
            IF queued.kind IS DISTINCT FROM NEW.kind OR queued.payload IS DISTINCT FROM NEW.payload
               OR queued.sale_key IS DISTINCT FROM NEW.sale_key
               OR queued.payment_request_id IS DISTINCT FROM NEW.payment_request_id THEN
                RAISE EXCEPTION 'outbox: command_key is already queued for a different command (kind, payload, sale_key or payment_request_id differ); the queued one stands: look it up, never re-queue a sale under a new MerchantUniqueCode'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;  -- SQLite's RAISE(IGNORE): nothing stored, no error
        END IF;
    END IF;

    -- outbox_refuse_nul_insert (schema 005): nothing to do, PostgreSQL text holds no NUL.

    -- outbox_validate_insert (schema 003). Types first.
    IF NEW.command_key IS NULL OR NEW.command_key = '' THEN
        RAISE EXCEPTION 'outbox: command_key is required (a GUID; for a sale: its MerchantUniqueCode)'
            USING ERRCODE = 'check_violation';
    END IF;
    -- 'outbox: command_key must be text: ...' : the column type refuses a bytea.
    IF NOT outbox_is_guid(NEW.command_key::text) THEN
        RAISE EXCEPTION 'outbox: command_key must be a GUID, 8-4-4-4-12 hexadecimal digits (for a sale: its MerchantUniqueCode)'
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT k.role INTO kind_role FROM command_kind k WHERE k.name = NEW.kind;
    IF kind_role IS NULL THEN
        RAISE EXCEPTION 'outbox: kind is not a known command kind (text naming a row of table command_kind)'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.payload IS NULL THEN
        RAISE EXCEPTION 'outbox: payload must be text holding a JSON object' USING ERRCODE = 'check_violation';
    END IF;
    IF octet_length(NEW.payload) > 65536 THEN
        RAISE EXCEPTION 'outbox: payload is larger than 65536 bytes' USING ERRCODE = 'check_violation';
    END IF;
    payload_type := outbox_json_type(NEW.payload);
    IF payload_type IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'outbox: payload is not a JSON object' USING ERRCODE = 'check_violation';
    END IF;
    -- 'outbox: sale_key and payment_request_id must be text (a GUID) or NULL': the column types.
    IF NEW.state IS DISTINCT FROM 'pending' OR NEW.generation IS DISTINCT FROM 1
       OR NEW.attempts IS DISTINCT FROM 0 OR NEW.due_at IS DISTINCT FROM 0
       OR NEW.needs_reconcile IS DISTINCT FROM 0 OR NEW.lease_owner IS NOT NULL
       OR NEW.lease_expires_at IS NOT NULL OR NEW.last_error IS NOT NULL
       OR NEW.paywall_payment_request_id IS NOT NULL OR NEW.accepted_at IS NOT NULL
       OR NEW.finished_at IS NOT NULL OR NEW.updated_at IS NOT NULL THEN
        RAISE EXCEPTION 'outbox: producers must not set worker columns (state, generation, attempts, due_at, needs_reconcile, lease_owner, lease_expires_at, last_error, paywall_payment_request_id, accepted_at, finished_at, updated_at)'
            USING ERRCODE = 'check_violation';
    END IF;

    -- Times.
    IF NEW.created_at IS NULL OR NEW.created_at < 946684800000 OR NEW.created_at >= 4102444800000 THEN
        RAISE EXCEPTION 'outbox: created_at must be INTEGER milliseconds since the Unix epoch, from 2000-01-01 (946684800000) to 2100-01-01 (4102444800000)'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.not_before < 946684800000 OR NEW.not_before >= 4102444800000 THEN
        RAISE EXCEPTION 'outbox: not_before must be NULL or INTEGER milliseconds since the Unix epoch, from 2000-01-01 (946684800000) to 2100-01-01 (4102444800000)'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.deadline < 946684800000 OR NEW.deadline >= 4102444800000 THEN
        RAISE EXCEPTION 'outbox: deadline must be NULL or INTEGER milliseconds since the Unix epoch, from 2000-01-01 (946684800000) to 2100-01-01 (4102444800000)'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.not_before > NEW.deadline THEN
        RAISE EXCEPTION 'outbox: not_before is later than deadline: the command could never be sent'
            USING ERRCODE = 'check_violation';
    END IF;

    -- The members the remaining checks and `terminal` read, each the first of its name.
    f := outbox_json_members(NEW.payload,
        ARRAY['MerchantUniqueCode', 'Amount', 'TerminalId', 'TerminalTagCode', 'PaymentRequestId']);

    -- Sales.
    IF kind_role = 'sale' THEN
        -- json_type(...) IS NOT 'text' OR json_extract(...) NOT GLOB the GUID pattern
        IF left(f[1], 1) IS DISTINCT FROM '"' THEN
            muc := NULL;
        ELSE
            muc := outbox_json_string(f[1]);
        END IF;
        IF muc IS NULL OR NOT outbox_is_guid(muc) THEN
            RAISE EXCEPTION 'outbox: a sale payload needs MerchantUniqueCode as a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)'
                USING ERRCODE = 'check_violation';
        END IF;
        IF lower(NEW.command_key::text) <> lower(muc) THEN
            RAISE EXCEPTION 'outbox: a sale''s command_key must equal its payload MerchantUniqueCode'
                USING ERRCODE = 'check_violation';
        END IF;
        -- json_type(...) IN ('integer', 'real') and json_extract(...) > 0
        IF f[2] IS NULL OR NOT outbox_json_number_positive(f[2]) THEN
            RAISE EXCEPTION 'outbox: a sale payload needs Amount as a positive JSON number'
                USING ERRCODE = 'check_violation';
        END IF;
        -- json_extract is NULL for an absent member and for JSON null
        IF (f[3] IS NULL OR f[3] = 'null') = (f[4] IS NULL OR f[4] = 'null') THEN
            RAISE EXCEPTION 'outbox: a sale payload needs exactly one of TerminalId or TerminalTagCode'
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF kind_role <> 'follow_up' AND (NEW.sale_key IS NOT NULL OR NEW.payment_request_id IS NOT NULL) THEN
        RAISE EXCEPTION 'outbox: only follow-up commands (cancel, rollback) name a sale'
            USING ERRCODE = 'check_violation';
    END IF;

    -- Follow-ups (cancel, rollback).
    IF kind_role = 'follow_up' AND NEW.sale_key IS NULL AND NEW.payment_request_id IS NULL THEN
        RAISE EXCEPTION 'outbox: a cancel or rollback must name its sale: set sale_key or payment_request_id'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.sale_key IS NOT NULL AND NEW.payment_request_id IS NOT NULL THEN
        RAISE EXCEPTION 'outbox: set only one of sale_key and payment_request_id' USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.sale_key IS NOT NULL AND NOT outbox_is_guid(NEW.sale_key::text) THEN
        RAISE EXCEPTION 'outbox: sale_key must be the sale''s MerchantUniqueCode, a GUID'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.payment_request_id IS NOT NULL AND NOT outbox_is_guid(NEW.payment_request_id::text) THEN
        RAISE EXCEPTION 'outbox: payment_request_id must be a GUID' USING ERRCODE = 'check_violation';
    END IF;
    -- json_type(payload, '$.PaymentRequestId') IS NOT NULL: present, whatever its value
    IF kind_role = 'follow_up' AND f[5] IS NOT NULL THEN
        RAISE EXCEPTION 'outbox: a cancel or rollback payload must not carry PaymentRequestId; put it in payment_request_id'
            USING ERRCODE = 'check_violation';
    END IF;

    -- SQLite's generated `terminal`: coalesce(json_extract(TerminalId), json_extract(TerminalTagCode)),
    -- a JSON null counting as absent.
    NEW.terminal := outbox_json_text(coalesce(nullif(f[3], 'null'), nullif(f[4], 'null')));
    RETURN NEW;
END $$;

CREATE TRIGGER outbox_validate_insert BEFORE INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_validate_insert();

-- outbox_immutable (schema 001): what was asked of Paywall is never rewritten once queued.
-- (SQLite compares the keys without regard to case; citext does too.) `terminal` is fixed with
-- the payload it comes from.
CREATE FUNCTION outbox_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.command_key IS DISTINCT FROM NEW.command_key OR OLD.kind IS DISTINCT FROM NEW.kind
       OR OLD.payload IS DISTINCT FROM NEW.payload OR OLD.sale_key IS DISTINCT FROM NEW.sale_key
       OR OLD.payment_request_id IS DISTINCT FROM NEW.payment_request_id
       OR OLD.created_at IS DISTINCT FROM NEW.created_at THEN
        RAISE EXCEPTION 'outbox: a queued command cannot be changed (command_key, kind, payload, sale_key, payment_request_id, created_at are fixed); queue a new command instead'
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.terminal := OLD.terminal;
    RETURN NEW;
END $$;

CREATE TRIGGER outbox_immutable BEFORE UPDATE OF command_key, kind, payload, sale_key, payment_request_id, created_at, terminal
    ON outbox FOR EACH ROW EXECUTE FUNCTION outbox_immutable();

-------------------------------------------------------------------------------------------------
-- What happened to commands, for the merchant software to read (SQLite schema 001, with the
-- columns of schema 006). Producers read it; only the worker writes it (003_roles.sql).
--
-- Reading by cursor (`WHERE id > :last_seen ORDER BY id`) needs ids that become visible in id
-- order. SQLite gives that for free (one writer at a time); PostgreSQL does not: two
-- transactions draw ids 10 and 11 and may commit 11 first, and a reader that saw 11 would skip
-- 10 for ever. The worker must therefore serialise its inbox writes up to their commit (for
-- example pg_advisory_xact_lock on one key taken before its first INSERT INTO inbox); that is
-- the worker's side of this contract, not something a producer can do.
-------------------------------------------------------------------------------------------------
CREATE TABLE inbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id   bigint NOT NULL,
    command_key citext NOT NULL,
    kind        text   NOT NULL,
    generation  bigint NOT NULL,
    event       text   NOT NULL CHECK (event IN ('outcome', 'payment_status')),
    outcome     text   CHECK (outcome IN ('succeeded', 'failed', 'expired', 'revoked', 'dead', 'discarded')),
    reason      text,
    error_code     bigint,
    message        text,
    client_message text,
    payment_request_id          citext,
    payment_request_activity_id citext,
    terminal_pair_id            citext,
    payment_status_id           bigint,
    -- Everything else Paywall returned that matters, as a JSON object; text, like the payload.
    result       text CHECK (result IS NULL OR outbox_json_valid(result)),
    raw_response text,
    http_status  bigint,
    created_at   bigint NOT NULL,
    -- Schema 006: payment_status rows.
    activity     text CHECK (activity IS NULL OR activity IN ('sale', 'cancel')),
    status_name  text,
    source       text CHECK (source IS NULL OR source IN ('inquiry', 'callback', 'horizon')),
    final        bigint CHECK (final IS NULL OR final IN (0, 1)),
    CHECK ((event = 'outcome') = (outcome IS NOT NULL))
);
CREATE UNIQUE INDEX inbox_one_outcome ON inbox (outbox_id, generation) WHERE event = 'outcome';
CREATE INDEX inbox_by_outbox ON inbox (outbox_id, id);
CREATE INDEX inbox_by_payment ON inbox (payment_request_id) WHERE payment_request_id IS NOT NULL;
CREATE UNIQUE INDEX inbox_one_status ON inbox (outbox_id, generation, payment_status_id)
    WHERE event = 'payment_status' AND payment_status_id IS NOT NULL;
CREATE UNIQUE INDEX inbox_one_final_status ON inbox (outbox_id, generation)
    WHERE event = 'payment_status' AND final = 1;

-- The insert trigger runs with its owner's rights: resolve names only in this schema (and
-- citext's), never in a schema or temporary table a caller put first.
DO $$
DECLARE
    path text := quote_ident(current_schema());
    citext_schema text := (SELECT quote_ident(n.nspname) FROM pg_extension e
                             JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'citext');
BEGIN
    IF citext_schema <> path THEN
        path := path || ', ' || citext_schema;
    END IF;
    EXECUTE format('ALTER FUNCTION outbox_validate_insert() SET search_path = %s, pg_temp', path);
END $$;

INSERT INTO schema_version (version, file, sqlite_version) VALUES (1, '001_outbox_contract.sql', 6);
