-- paywall-outbox, PostgreSQL: who may write what. In SQLite, triggers that call
-- outbox_product_connection() (schemas 003-006) keep producers to INSERT INTO outbox and reading
-- the inbox; here privileges do it, and they are a real boundary, not only a guard against
-- mistakes.
--
-- Two group roles (NOLOGIN). Give each program a login role of its own and make it a member:
--     CREATE ROLE till_app LOGIN PASSWORD '...' IN ROLE outbox_producer;
--     CREATE ROLE outbox_worker_1 LOGIN PASSWORD '...' IN ROLE outbox_worker;
--
--   outbox_producer : INSERT into outbox, only the producer columns (command_key, kind, payload,
--                     sale_key, payment_request_id, not_before, deadline, created_at); SELECT on
--                     inbox (read it by cursor) and on command_kind (the kinds a row may name);
--                     SELECT on outbox.command_key alone, which INSERT ... ON CONFLICT
--                     (command_key) DO NOTHING requires of its arbiter column.
--                     Nothing else: no UPDATE or DELETE of outbox, no other column of it, no write to
--                     the inbox or to any worker table. An INSERT naming another column fails
--                     with "permission denied for table outbox" before any trigger runs.
--   outbox_worker   : the worker and the outbox CLI. Reads and writes every table; updates
--                     only the outbox's worker columns (the request columns are fixed, and
--                     outbox_immutable says so for anyone else).
--
-- Creating roles needs CREATEROLE; they are cluster-wide, so they are created only when
-- missing (a second outbox database on the same server shares them). Everything else here is
-- a grant on this schema's objects. The schema's owner keeps every right: run the migrations as
-- a dedicated owner role, never as a producer or the worker.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'outbox_producer') THEN
        CREATE ROLE outbox_producer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'outbox_worker') THEN
        CREATE ROLE outbox_worker NOLOGIN;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO outbox_producer, outbox_worker', current_schema());
    -- The citext type's functions live in the extension's schema.
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO outbox_producer, outbox_worker',
                   (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                     WHERE e.extname = 'citext'));
END $$;

-- Nobody but the owner and these roles.
REVOKE ALL ON command_kind, outbox, inbox, attempt, worker_status, audit, paywall_hold,
              paywall_pause, clock_shift, payment_follow, schema_version FROM PUBLIC;

-- Producers.
GRANT INSERT (command_key, kind, payload, sale_key, payment_request_id, not_before, deadline, created_at)
    ON outbox TO outbox_producer;
-- ON CONFLICT (command_key) needs SELECT on the arbiter column: producers may see which keys
-- are queued (so also look their own command up by key), nothing else of a row.
GRANT SELECT (command_key) ON outbox TO outbox_producer;
GRANT SELECT ON inbox, command_kind TO outbox_producer;

-- The worker and the outbox CLI.
GRANT SELECT, INSERT, DELETE ON outbox TO outbox_worker;
GRANT UPDATE (state, generation, attempts, due_at, needs_reconcile, lease_owner, lease_expires_at,
              last_error, paywall_payment_request_id, accepted_at, finished_at, updated_at,
              not_before, deadline)
    ON outbox TO outbox_worker;
GRANT SELECT, INSERT, UPDATE, DELETE ON inbox, attempt, worker_status, audit, paywall_hold,
    paywall_pause, clock_shift, payment_follow TO outbox_worker;
GRANT SELECT ON command_kind, schema_version TO outbox_worker;

INSERT INTO schema_version (version, file, sqlite_version) VALUES (3, '003_roles.sql', 6);
