-- paywall-outbox, PostgreSQL 004: wake-ups across machines.
--
-- A producer's INSERT notifies the channel `outbox_changed` when its transaction commits; every
-- worker LISTENs on it, so a command queued on one machine is picked up by a worker on another
-- within milliseconds, with no polling. One notification per statement (and PostgreSQL folds the
-- identical ones of one transaction into one): a bulk INSERT of 10,000 rows is one wake-up.
-- The payload is empty: a wake-up says only "look"; what is due is read from the table.
-- Apply as 001 says: psql -v ON_ERROR_STOP=1 --single-transaction -f 004_notify.sql

CREATE FUNCTION outbox_notify_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox_changed', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify_changed AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify_changed();

INSERT INTO schema_version (version, file, sqlite_version) VALUES (4, '004_notify.sql', 6);
