"""Shared by tools/insert-cost.py and tools/refusal-equivalence.py (standard library only): fresh
databases at a chosen schema version, a plain reference table, and valid producer rows.

Databases are built as the worker builds them (each Schema/NNN_*.sql file run as one script,
WAL, PRAGMA user_version checked after each file), on a connection that registers
outbox_product_connection() only while migrating (schema 004 updates outbox); the producer
connections opened later do not have it, as a real producer's would not.
"""
import glob
import os
import sqlite3
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_DIR = os.path.join(ROOT, "Schema")

KINDS = [
    "async_sale", "sync_sale", "async_cancel", "sync_cancel", "sync_sale_rollback", "sync_cancel_rollback",
    "async_pair_request", "async_pair_confirm", "sync_pair_request", "marketplace_approve",
]

# The producer columns of outbox (what a producer binds), and the worker columns it must not set.
PRODUCER_COLUMNS = ["command_key", "kind", "payload", "sale_key", "payment_request_id", "not_before", "deadline",
                    "created_at"]


def schema_files(upto=None):
    """Schema/NNN_*.sql in order, up to and including version `upto` (all when None)."""
    files = sorted(glob.glob(os.path.join(SCHEMA_DIR, "[0-9][0-9][0-9]_*.sql")))
    out = []
    for path in files:
        version = int(os.path.basename(path)[:3])
        if upto is None or version <= upto:
            out.append((version, path))
    return out


def latest_version():
    return schema_files()[-1][0]


def build(path, upto=None, extra_sql=None):
    """A fresh WAL database at `path` with the schema files up to `upto`; `extra_sql` (if any) runs
    after them on the migrating connection (a scratch variant: a trigger or index dropped)."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.create_function("outbox_product_connection", 0, lambda: 1)
    conn.execute("PRAGMA journal_mode = WAL")
    for version, file in schema_files(upto):
        with open(file, encoding="utf-8") as f:
            sql = f.read()
        conn.execute("BEGIN IMMEDIATE")
        cur = conn.cursor()
        # executescript commits first; run the statements ourselves inside the transaction.
        for statement in split_sql(sql):
            cur.execute(statement)
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found != version:
            raise RuntimeError("%s left user_version at %d" % (file, found))
        conn.execute("COMMIT")
    if extra_sql:
        conn.executescript(extra_sql)
    conn.close()


def split_sql(sql):
    """Splits a schema file into complete statements (sqlite3.complete_statement knows about
    triggers' BEGIN ... END and string literals)."""
    statements, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                statements.append(buf)
            buf = ""
    if buf.strip() and not all(l.strip().startswith("--") or not l.strip() for l in buf.splitlines()):
        raise ValueError("incomplete statement at end of schema file: %r" % buf[:200])
    return statements


PLAIN_TABLE = """
CREATE TABLE outbox (
    id                 INTEGER PRIMARY KEY,
    command_key        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    kind               TEXT NOT NULL,
    payload            TEXT NOT NULL,
    sale_key           TEXT COLLATE NOCASE,
    payment_request_id TEXT COLLATE NOCASE,
    not_before         INTEGER,
    deadline           INTEGER,
    created_at         INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
    terminal           TEXT GENERATED ALWAYS AS (
                           CASE WHEN json_valid(payload) AND json_type(payload) = 'object'
                                THEN coalesce(json_extract(payload, '$.TerminalId'),
                                              json_extract(payload, '$.TerminalTagCode')) END) VIRTUAL,
    state              TEXT NOT NULL DEFAULT 'pending',
    generation         INTEGER NOT NULL DEFAULT 1,
    attempts           INTEGER NOT NULL DEFAULT 0,
    due_at             INTEGER NOT NULL DEFAULT 0,
    needs_reconcile    INTEGER NOT NULL DEFAULT 0,
    lease_owner        TEXT,
    lease_expires_at   INTEGER,
    last_error         TEXT,
    paywall_payment_request_id TEXT COLLATE NOCASE,
    accepted_at        INTEGER,
    finished_at        INTEGER,
    updated_at         INTEGER
);
"""


def build_plain(path):
    """The reference: outbox's columns (defaults and collations included), its primary key and the
    UNIQUE command_key; no CHECK, trigger or other index."""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.executescript(PLAIN_TABLE)
    conn.close()


def producer_connection(path, synchronous="NORMAL"):
    """A producer's connection as the README asks for it: autocommit, busy_timeout, synchronous."""
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, cached_statements=256)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA synchronous = %s" % synchronous)
    return conn


# ---------------------------------------------------------------------------------------------
# Valid rows, one builder per kind (after README "One INSERT per kind" and
# Schema/examples/insert-one-of-each.sql), with fresh keys from `rng` (a random.Random).

def guid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


NOW_MS = 1_790_000_000_000  # 2026-09: fixed, so a seeded run is the same rows


def valid_row(kind, rng):
    """A dict column -> value of one valid row of `kind` (only the columns a producer sets)."""
    key = guid(rng)
    if kind == "async_sale":
        payload = ('{"TerminalTagCode":"STORE1-TILL2","MerchantUniqueCode":"%s",'
                   '"Amount":22.10,"CurrencyId":1,"DisplayCode":"R-1042",'
                   '"Products":[{"Name":"Coffee","TaxGroupId":10,"UnitCodeId":1,"Amount":11.05,"Quantity":2}]}' % key)
        return {"command_key": key, "kind": kind, "payload": payload}
    if kind == "sync_sale":
        payload = ('{"TerminalId":"0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40","MerchantUniqueCode":"%s",'
                   '"Amount":150,"CurrencyId":1,"SendNotificationDeviceDisconnected":true,'
                   '"Products":[{"Name":"Haircut","TaxGroupId":20,"UnitCodeId":4,"Amount":150,"Quantity":1}]}' % key)
        return {"command_key": key, "kind": kind, "payload": payload, "deadline": NOW_MS + 120_000}
    if kind == "async_cancel":
        return {"command_key": key, "kind": kind, "payload": "{}", "sale_key": guid(rng), "not_before": NOW_MS + 60_000}
    if kind == "sync_cancel":
        return {"command_key": key, "kind": kind, "payload": '{"SendNotificationDeviceDisconnected":true}',
                "payment_request_id": guid(rng)}
    if kind == "sync_sale_rollback":
        return {"command_key": key, "kind": kind, "payload": "{}", "sale_key": guid(rng), "not_before": NOW_MS + 2_000}
    if kind == "sync_cancel_rollback":
        return {"command_key": key, "kind": kind, "payload": "{}", "payment_request_id": guid(rng)}
    if kind == "async_pair_request":
        return {"command_key": key, "kind": kind, "payload": '{"TerminalTagCode":"STORE1-TILL2"}'}
    if kind == "async_pair_confirm":
        return {"command_key": key, "kind": kind, "payload": '{"PairAsyncRequestId":"%s"}' % guid(rng)}
    if kind == "sync_pair_request":
        return {"command_key": key, "kind": kind, "payload": '{"TerminalId":"0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40"}'}
    if kind == "marketplace_approve":
        return {"command_key": key, "kind": kind, "payload": '{"PaymentId":%d}' % rng.randint(1, 999_999)}
    raise ValueError(kind)
