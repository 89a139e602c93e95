-- paywall-outbox schema, version 8: the same constraints, written so that checking them costs
-- less on every INSERT and UPDATE.
--
-- Why. SQLite evaluates `x IN ('a', 'b', 'c', …)` with more than two constants by building a
-- temporary b-tree of the constants, once per run of a statement. A producer's INSERT is one
-- run, so every INSERT into outbox built one for the `state` CHECK (~36,000 instructions) and
-- one for the WHERE of the partial index outbox_troubled (~32,000), out of ~258,000 for the
-- whole INSERT against ~89,000 for the same INSERT into a plain table (tools/insert-cost.py
-- --instructions --by-check). The worker paid the same for each outcome it records (outbox's
-- state, attempt's request, inbox's outcome and source). `x = 'a' OR x = 'b' OR …` means the
-- same for every value, NULL included (NULL gives NULL either way, which a CHECK lets pass),
-- and is a few comparisons.
--
-- What changes. Each CHECK below is rewritten in place, text for text, in sqlite_schema: the
-- procedure SQLite documents for changing a table's CHECK constraints without copying the table
-- (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes").
-- It is safe here because each new constraint accepts exactly the values the old one accepted,
-- so every stored row satisfies it and the stored data needs no change. It takes microseconds
-- whatever the size of the tables (copying a table of a million commands would hold the write
-- lock for seconds, longer than a producer's busy_timeout), and it keeps anything else defined
-- on these tables (an operator's own triggers or views survive). outbox_troubled is dropped and
-- created again with its WHERE written as ORs; the queries that use it say the same words (the
-- planner uses a partial index only for a query whose WHERE contains the index's condition).
-- That reads the table once: the whole file took 0.15 s on a database of a million small
-- finished commands and 0.37 s on a million finished sales (python3, SQLite 3.40.1, warm cache).
-- A worker of version 7 still running on the file during an upgrade asks with `IN (…)` and so
-- counts troubled commands by reading the table until it is replaced (a version-7 binary refuses
-- to open a version-8 file, so it cannot start again on it).
--
-- Nothing a producer or a reader sees changes, except the text of SQLite's generic "CHECK
-- constraint failed: …" message for a worker column, which no producer can reach: the
-- validation trigger refuses a producer's state before SQLite checks the CHECK.
--
-- A connection in SQLite's defensive mode (SQLITE_DBCONFIG_DEFENSIVE; the product's connections do
-- not set it) may not use writable_schema: there the file fails at its first UPDATE and, as every
-- migration runs in one transaction, changes nothing.
--
-- Checks that this did what it says, in this file, for any tool that runs it: a CHECK of a
-- scratch table fails (naming schema_8_every_check_rewritten) unless each table's text holds the
-- new constraint and none of the old ones; renaming a scratch table then makes SQLite parse the
-- whole schema again (it fails on any definition it cannot parse), which also makes the
-- connection that ran this file use the new constraints at once; other connections read them at
-- their next statement, as after any schema change. The rename runs with legacy_alter_table on,
-- so that it does not also resolve every view and trigger: an operator's view left naming a
-- dropped table must not stop the upgrade (and with it the worker).

PRAGMA writable_schema = ON;

UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (state IN (''pending'', ''in_flight'', ''succeeded'', ''failed'', ''expired'',
                                        ''revoked'', ''dead'', ''discarded''))',
       'CHECK (state = ''pending'' OR state = ''in_flight'' OR state = ''succeeded'' OR state = ''failed''
                              OR state = ''expired'' OR state = ''revoked'' OR state = ''dead''
                              OR state = ''discarded'')')
 WHERE type = 'table' AND name = 'outbox';

UPDATE sqlite_schema
   SET sql = replace(replace(sql,
       'CHECK (outcome IN (''succeeded'', ''failed'', ''expired'', ''revoked'', ''dead'', ''discarded''))',
       'CHECK (outcome = ''succeeded'' OR outcome = ''failed'' OR outcome = ''expired'' OR outcome = ''revoked''
                        OR outcome = ''dead'' OR outcome = ''discarded'')'),
       'CHECK (source IS NULL OR source IN (''inquiry'', ''callback'', ''horizon''))',
       'CHECK (source IS NULL OR source = ''inquiry'' OR source = ''callback'' OR source = ''horizon'')')
 WHERE type = 'table' AND name = 'inbox';

UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (request IN (''send'', ''lookup'', ''inquiry''))',
       'CHECK (request = ''send'' OR request = ''lookup'' OR request = ''inquiry'')')
 WHERE type = 'table' AND name = 'attempt';

UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (state IN (''running'', ''paused'', ''stopping'', ''stopped''))',
       'CHECK (state = ''running'' OR state = ''paused'' OR state = ''stopping'' OR state = ''stopped'')')
 WHERE type = 'table' AND name = 'worker_status';

UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (state IN (''following'', ''final'', ''unresolved''))',
       'CHECK (state = ''following'' OR state = ''final'' OR state = ''unresolved'')')
 WHERE type = 'table' AND name = 'payment_follow';

UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (role IN (''sale'', ''follow_up'', ''standalone''))',
       'CHECK (role = ''sale'' OR role = ''follow_up'' OR role = ''standalone'')')
 WHERE type = 'table' AND name = 'command_kind';

PRAGMA writable_schema = OFF;

-- Every table above now holds its new constraint and none of the old IN lists of more than two
-- constants (the ones left, `IN (0, 1)` and `typeof(…) IN ('integer', 'null')`, cost nothing).
CREATE TEMP TABLE schema_8_check (
    rewritten INTEGER CONSTRAINT schema_8_every_check_rewritten CHECK (rewritten = 6)
);
INSERT INTO temp.schema_8_check (rewritten)
SELECT count(*) FROM main.sqlite_schema
 WHERE type = 'table'
   AND ((name = 'outbox' AND instr(sql, 'OR state = ''discarded'')') > 0)
     OR (name = 'inbox' AND instr(sql, 'OR outcome = ''discarded'')') > 0
                        AND instr(sql, 'OR source = ''horizon'')') > 0)
     OR (name = 'attempt' AND instr(sql, 'OR request = ''inquiry'')') > 0)
     OR (name = 'worker_status' AND instr(sql, 'OR state = ''stopped'')') > 0)
     OR (name = 'payment_follow' AND instr(sql, 'OR state = ''unresolved'')') > 0)
     OR (name = 'command_kind' AND instr(sql, 'OR role = ''standalone'')') > 0))
   AND instr(sql, 'state IN (') = 0 AND instr(sql, 'outcome IN (') = 0 AND instr(sql, 'source IN (') = 0
   AND instr(sql, 'request IN (') = 0 AND instr(sql, 'role IN (') = 0;
DROP TABLE temp.schema_8_check;

-- Operators ask what ended badly lately (the census behind /metrics, `outbox inspect`).
DROP INDEX outbox_troubled;
CREATE INDEX outbox_troubled ON outbox (finished_at)
    WHERE state = 'failed' OR state = 'expired' OR state = 'dead';

-- Parse the whole schema again on this connection (see above).
PRAGMA legacy_alter_table = ON;
CREATE TABLE schema_8_reload (x);
ALTER TABLE schema_8_reload RENAME TO schema_8_reloaded;
DROP TABLE schema_8_reloaded;
PRAGMA legacy_alter_table = OFF;

PRAGMA user_version = 8;
