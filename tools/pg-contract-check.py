#!/usr/bin/env python3
"""Feeds the same producer rows to SQLite's schema (Schema/0*.sql) and to PostgreSQL's
(Schema/postgres/*.sql) and compares, row by row, what each accepts, skips (the same command
again) and refuses, and the refusal's `outbox: ...` message. Python 3.11 standard library only:
PostgreSQL is reached through libpq (ctypes), values are bound as parameters on both sides.

    python3 tools/pg-contract-check.py                     # PG* environment variables
    python3 tools/pg-contract-check.py --dsn 'host=/tmp/pg-sock port=54329 user=postgres'
    python3 tools/pg-contract-check.py --start-cluster     # a throwaway server under /tmp
    python3 tools/pg-contract-check.py --seed 7 --bind typed --keep --verbose

It starts nothing unless told (--start-cluster runs initdb and pg_ctl under /tmp, as the user
`postgres` when run as root, and stops the server at the end). On the server it creates a fresh
database per pass and drops it afterwards (--keep leaves it); the SQLite file is created in /tmp.

Rows: Tests/Fixtures/poison-rows.sql, Schema/examples/insert-one-of-each.sql, README's "One
INSERT per kind" (each statement's values evaluated once by SQLite, then bound on both sides),
and a seeded, deterministic generated set: valid rows of every kind with one column mutated at a
time (types, empty strings, GUID look-alikes, times at and past their limits, JSON that SQLite
and PostgreSQL parse differently), and sequences re-inserting a key with the same and with a
different command.

Passes: `owner` (the schema owner inserts, so every trigger check is compared, worker columns
included) and `producer` (SET ROLE outbox_producer: columns producers may not write are refused
by privileges). Then a few checks that are not single rows: two connections racing on one key,
what the producer role may and may not do, an UPDATE of a queued command, OVERRIDING SYSTEM VALUE.

A difference is expected (counted, not a failure) only when the row holds a value PostgreSQL
cannot receive as SQLite does (EXPECTED below, each with its reason) and PostgreSQL refuses it
(never accepts it; one listed exception: a fractional number in a BIGINT column is rounded).
Any other difference is a mismatch: printed in a table, exit status 1.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgclient import PG, LibPQ, NotUtf8, PGError, start_cluster  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Columns as SQLite declares them: which ones have INTEGER affinity.
INTEGER_COLUMNS = {
    "id", "not_before", "deadline", "created_at", "generation", "attempts", "due_at", "needs_reconcile",
    "lease_expires_at", "accepted_at", "finished_at", "updated_at",
}
PRODUCER_COLUMNS = {
    "command_key", "kind", "payload", "sale_key", "payment_request_id", "not_before", "deadline", "created_at",
}
WORKER_COLUMNS = [
    "state", "generation", "attempts", "due_at", "needs_reconcile", "lease_owner", "lease_expires_at",
    "last_error", "paywall_payment_request_id", "accepted_at", "finished_at", "updated_at",
]
ALL_COLUMNS = {"id", "terminal"} | PRODUCER_COLUMNS | set(WORKER_COLUMNS)

# Values PostgreSQL cannot receive as SQLite does. A row holding one may be refused by PostgreSQL
# with its own error (a type error, a privilege, an encoding error) where SQLite answers
# otherwise; it must still never be accepted where SQLite refuses, except where `pg_may_accept`.
EXPECTED = {
    "blob": dict(
        reason="a BLOB value (SQLite's typeof() checks: 'must be text', 'payload must be text', ...): a bytea "
               "parameter reaches a text or citext column as its text form '\\x...' (PostgreSQL's automatic I/O "
               "cast to text), which no check accepts (never a GUID, a kind or JSON), so it is refused under a "
               "later message; a bigint column refuses it as a type error",
        pg_may_accept=False, pg_may_refuse=True, pg_other_message=True),
    "not_utf8": dict(
        reason="TEXT that is not UTF-8: PostgreSQL refuses it on input (invalid byte sequence for encoding "
               "UTF8); SQLite stores it and the worker fails the row as unreadable_row",
        pg_may_accept=False, pg_may_refuse=True, pg_other_message=False),
    "nul": dict(
        reason="a NUL character in text: PostgreSQL text cannot hold one, so the value cannot even be sent "
               "(libpq takes C strings; psycopg refuses it too); SQLite's schema-5 NUL refusal has nothing to do",
        pg_may_accept=False, pg_may_refuse=True, pg_other_message=False),
    "text_in_integer": dict(
        reason="text in an INTEGER column that SQLite's affinity does not turn into an integer (or does, "
               "like '1.79e12', where bigint input does not), or any text bound as type text (--bind typed): "
               "PostgreSQL refuses it as bigint input or as a type error, before the time checks",
        pg_may_accept=False, pg_may_refuse=True, pg_other_message=False),
    "real_out_of_range": dict(
        reason="a REAL in an INTEGER column outside bigint's range, or inf/nan: bigint refuses it (bigint "
               "out of range) before the time checks",
        pg_may_accept=False, pg_may_refuse=True, pg_other_message=False),
    "fraction_rounded": dict(
        reason="a REAL with a fraction in an INTEGER column: SQLite keeps it REAL and refuses it; "
               "PostgreSQL's assignment cast float8 -> bigint rounds it to the nearest integer before any "
               "trigger can see it, so it may be accepted (rounded to the millisecond) or refused by a later "
               "check. The one place PostgreSQL is laxer; closing it needs numeric columns instead of BIGINT",
        pg_may_accept=True, pg_may_refuse=True, pg_other_message=True),
    "explicit_id": dict(
        reason="an explicit id: GENERATED ALWAYS refuses it at parse time with PostgreSQL's own message "
               "(cannot insert a non-DEFAULT value into column \"id\"); with OVERRIDING SYSTEM VALUE the "
               "trigger raises SQLite's message (checked separately)",
        pg_may_accept=False, pg_may_refuse=True, pg_other_message=False),
    "terminal_null": dict(
        reason="an explicit NULL for `terminal`: SQLite refuses any INSERT naming its generated column; "
               "PostgreSQL's `terminal` is filled by the trigger, which refuses a value but cannot tell an "
               "explicit NULL from none (producers cannot name it at all)",
        pg_may_accept=True, pg_may_refuse=True, pg_other_message=True),
    "not_producer_column": dict(
        reason="producer pass only: a column producers may not write (worker columns, id, terminal): "
               "outbox_producer has no INSERT privilege on it (permission denied for table outbox) where "
               "SQLite's trigger names the problem",
        pg_may_accept=False, pg_may_refuse=True, pg_other_message=False),
}


# ------------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------------

def describe(value) -> str:
    if isinstance(value, NotUtf8):
        return "text_hex:" + value.hex()[:24]
    if isinstance(value, bytes):
        return "blob:" + value.hex()[:24]
    if isinstance(value, str):
        text = value if len(value) <= 48 else value[:40] + "...(%d)" % len(value)
        return json.dumps(text, ensure_ascii=True)
    return repr(value)


def sqlite_integer_affinity(value):
    """What SQLite stores for `value` in an INTEGER-affinity column, as (type, value)."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x INTEGER)")
    conn.execute("INSERT INTO t VALUES (CAST(? AS TEXT))" if isinstance(value, NotUtf8) else "INSERT INTO t VALUES (?)",
                 (bytes(value) if isinstance(value, NotUtf8) else value,))
    conn.text_factory = bytes
    kind, stored = conn.execute("SELECT typeof(x), x FROM t").fetchone()
    return kind.decode(), stored


def annotations(columns: dict, producer_pass: bool, typed_text: bool) -> set:
    """The EXPECTED keys that apply to a row."""
    notes = set()
    for name, value in columns.items():
        if isinstance(value, NotUtf8):
            notes.add("not_utf8")
            if b"\x00" in value:
                notes.add("nul")
        elif isinstance(value, bytes):
            notes.add("blob")
        elif isinstance(value, str) and "\x00" in value:
            notes.add("nul")
        if name in INTEGER_COLUMNS and name != "id":
            if isinstance(value, str) and typed_text:
                notes.add("text_in_integer")  # a text-typed parameter never becomes a bigint
            elif isinstance(value, str):
                kind, stored = sqlite_integer_affinity(value)
                try:
                    same = kind == "integer" and int(value.strip()) == stored
                except ValueError:
                    same = False
                if not same:
                    notes.add("text_in_integer")
            elif isinstance(value, float):
                if value != value or value in (float("inf"), float("-inf")) or not (-2**63 <= value < 2**63):
                    notes.add("real_out_of_range")
                elif value != int(value):
                    notes.add("fraction_rounded")
        if name == "id":
            notes.add("explicit_id")
        if name == "terminal" and value is None:
            notes.add("terminal_null")
        if producer_pass and name not in PRODUCER_COLUMNS:
            notes.add("not_producer_column")
    return notes


# ------------------------------------------------------------------------------------------------
# The two engines, one INSERT each
# ------------------------------------------------------------------------------------------------

VERBS = {
    "insert": "INSERT INTO outbox ({cols}) VALUES ({vals})",
    "on_conflict": "INSERT INTO outbox ({cols}) VALUES ({vals}) ON CONFLICT (command_key) DO NOTHING",
}


def outcome_text(outcome):
    kind, message = outcome
    return kind if kind != "refused" else "refused: " + message


class SQLiteSide:
    def __init__(self, path):
        if os.path.exists(path):
            os.remove(path)
        product = sqlite3.connect(path, isolation_level=None)
        product.create_function("outbox_product_connection", 0, lambda: 1, deterministic=True)
        for f in schema_files_sqlite():
            product.executescript(open(f, encoding="utf-8").read())
        self.product = product
        # Producers connect without the product's function, as README's Python producer does.
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        self.conn.execute("PRAGMA busy_timeout = 10000")
        self.path = path

    def insert(self, verb, columns: dict):
        names = list(columns)
        marks, params = [], []
        for name in names:
            value = columns[name]
            if isinstance(value, NotUtf8):
                marks.append("CAST(? AS TEXT)")
                params.append(bytes(value))
            else:
                marks.append("?")
                params.append(value)
        if names:
            sql = VERBS[verb].format(cols=", ".join(names), vals=", ".join(marks))
        else:
            sql = VERBS[verb].replace("({cols}) VALUES ({vals})", "DEFAULT VALUES")
        try:
            cur = self.conn.execute(sql, params)
            return ("inserted" if cur.rowcount == 1 else "skipped", "")
        except sqlite3.Error as error:
            return ("refused", str(error))
        except (OverflowError, ValueError) as error:
            return ("refused", "python: %s" % error)

    def stored(self):
        conn = sqlite3.connect(self.path)
        conn.text_factory = bytes
        rows = {}
        for row in conn.execute(
                "SELECT command_key, kind, payload, sale_key, payment_request_id, not_before, deadline, created_at, terminal, "
                "CASE WHEN json_extract(payload, '$.TerminalId') IS NOT NULL THEN json_type(payload, '$.TerminalId') "
                "ELSE json_type(payload, '$.TerminalTagCode') END FROM outbox"):
            rows[row[0].decode(errors="replace").lower()] = row
        return rows


class PGSide:
    def __init__(self, libpq, dsn, dbname, producer, typed_text, keep):
        self.admin = PG(libpq, dsn)
        self.dbname, self.keep = dbname, keep
        self.admin.execute('DROP DATABASE IF EXISTS "%s"' % dbname)
        self.admin.execute('CREATE DATABASE "%s"' % dbname)
        self.conn = PG(libpq, dsn, dbname)
        for f in schema_files_pg():
            self.conn.script(open(f, encoding="utf-8").read())
        if producer:
            self.conn.execute("SET ROLE outbox_producer")
        self.typed_text = typed_text

    def insert(self, verb, columns: dict):
        names = list(columns)
        if names:
            sql = VERBS[verb].format(cols=", ".join(names), vals=", ".join("$%d" % (i + 1) for i in range(len(names))))
        else:
            sql = VERBS[verb].replace("({cols}) VALUES ({vals})", "DEFAULT VALUES")
        try:
            _, affected = self.conn.execute(sql, [columns[n] for n in names], typed_text=self.typed_text)
            return ("inserted" if affected == 1 else "skipped", "")
        except PGError as error:
            self.last_sqlstate = error.sqlstate
            return ("refused", error.message)

    def stored(self):
        rows, _ = self.conn.execute("RESET ROLE")
        rows, _ = self.conn.execute(
            "SELECT command_key, kind, payload, sale_key, payment_request_id, not_before, deadline, created_at, terminal "
            "FROM outbox")
        return {r[0].lower(): r for r in rows}

    def close(self):
        self.conn.close()
        if not self.keep:
            self.admin.execute('DROP DATABASE IF EXISTS "%s"' % self.dbname)
        self.admin.close()


def schema_files_sqlite():
    # The order tools/embed-schema.sh embeds them in: Schema/[0-9][0-9][0-9]_*.sql, sorted.
    return sorted(glob.glob(os.path.join(ROOT, "Schema", "[0-9][0-9][0-9]_*.sql")))


def schema_files_pg():
    return sorted(glob.glob(os.path.join(ROOT, "Schema", "postgres", "[0-9][0-9][0-9]_*.sql")))


# ------------------------------------------------------------------------------------------------
# Rows from the repository's SQL files: statements evaluated once by SQLite, then bound
# ------------------------------------------------------------------------------------------------

def split_statements(sql):
    """Statements of an SQL file, comments and dot-commands removed, split at `;` outside quotes."""
    out, cur, i, quote = [], [], 0, None
    lines = [l for l in sql.splitlines() if not l.lstrip().startswith(".")]
    sql = "\n".join(lines)
    while i < len(sql):
        ch = sql[i]
        if quote:
            cur.append(ch)
            if ch == quote:
                if i + 1 < len(sql) and sql[i + 1] == quote:
                    cur.append(sql[i + 1])
                    i += 1
                else:
                    quote = None
        elif ch in "'\"":
            quote = ch
            cur.append(ch)
        elif sql.startswith("--", i):
            while i < len(sql) and sql[i] != "\n":
                i += 1
            continue
        elif ch == ";":
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
        i += 1
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return [s for s in out if s]


def split_top(text):
    """Splits at commas outside quotes and parentheses."""
    parts, cur, depth, quote = [], [], 0, None
    for i, ch in enumerate(text):
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None  # a doubled quote closes and reopens: same result
            continue
        if ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


INSERT_RE = re.compile(r"^INSERT\s+INTO\s+outbox\s*\((?P<cols>[^)]*)\)\s*VALUES\s*\((?P<vals>.*)\)\s*"
                       r"(?P<conflict>ON\s+CONFLICT\s*\(\s*command_key\s*\)\s*DO\s+NOTHING)?$", re.S | re.I)


def evaluate(expr):
    conn = sqlite3.connect(":memory:")
    conn.text_factory = bytes
    kind, value = conn.execute("SELECT typeof(%s), %s" % (expr, expr)).fetchone()
    kind = kind.decode()
    if kind == "text":
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return NotUtf8(value)
    return value


def rows_from_file(path, source):
    cases = []
    for n, statement in enumerate(split_statements(open(path, encoding="utf-8").read()), 1):
        m = INSERT_RE.match(statement)
        if not m:
            raise SystemExit("%s: statement %d is not an INSERT INTO outbox this tool can read:\n%s" % (path, n, statement))
        names = [c.strip() for c in m.group("cols").split(",")]
        values = [evaluate(v) for v in split_top(m.group("vals"))]
        verb = "on_conflict" if m.group("conflict") else "insert"
        cases.append(Case(source, "%s #%d" % (os.path.basename(path), n), [(verb, dict(zip(names, values)))]))
    return cases


def readme_block():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    section = text.split("### One INSERT per kind", 1)[1]
    block = section.split("```sql", 1)[1].split("```", 1)[0]
    path = "/tmp/pg-contract-check-readme-%d.sql" % os.getpid()
    with open(path, "w", encoding="utf-8") as f:
        f.write(block)
    return path


# ------------------------------------------------------------------------------------------------
# Generated rows
# ------------------------------------------------------------------------------------------------

class Case:
    """One or more INSERTs run in order (later ones re-use the first one's key)."""

    def __init__(self, source, label, steps):
        self.source, self.label, self.steps = source, label, steps


KINDS = {
    "async_sale": "sale", "sync_sale": "sale", "async_cancel": "follow_up", "sync_cancel": "follow_up",
    "sync_sale_rollback": "follow_up", "sync_cancel_rollback": "follow_up", "async_pair_request": "standalone",
    "async_pair_confirm": "standalone", "sync_pair_request": "standalone", "marketplace_approve": "standalone",
}
NOW = 1790000000000  # 2026-09-21, fixed so runs are identical
MIN_MS, MAX_MS = 946684800000, 4102444800000
TINY = "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324"


def text_or(value, default):
    return value if isinstance(value, str) and not isinstance(value, NotUtf8) else default


class Generator:
    """Valid rows of every kind, each mutated by one mutator (a label and a function that changes
    the row in place), then rows mutated by two or three at once, then re-inserted keys."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.cases = []
        self._mutators = {}

    def guid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- valid rows ------------------------------------------------------------------------------

    def sale_members(self, kind, key):
        r = self.rng
        amount = r.choice(["22.10", "1", "0.01", "150", "9.99", "1250.50", "99999.99"])
        m = []
        if kind == "sync_sale" or r.random() < 0.2:
            m.append(("TerminalId", json.dumps(self.guid())))
        else:
            m.append(("TerminalTagCode", json.dumps("STORE%d-TILL%d" % (r.randint(1, 9), r.randint(1, 9)))))
        m += [("MerchantUniqueCode", json.dumps(key)), ("Amount", amount), ("CurrencyId", "1")]
        if r.random() < 0.4:
            m.append(("DisplayCode", json.dumps("R-%d" % r.randint(1, 9999))))
        m.append(("Products", '[{"Name":"Coffee","TaxGroupId":10,"UnitCodeId":1,"Amount":%s,"Quantity":1}]' % amount))
        return m

    def members(self, kind, key):
        """The payload of a valid row as (name, JSON text) pairs, in order."""
        r = self.rng
        if KINDS[kind] == "sale":
            return self.sale_members(kind, key)
        if KINDS[kind] == "follow_up":
            return [("SendNotificationDeviceDisconnected", "true")] if kind.startswith("sync") and r.random() < 0.5 else []
        return {
            "async_pair_request": [("TerminalTagCode", '"STORE1-TILL2"')],
            "async_pair_confirm": [("PairAsyncRequestId", json.dumps(self.guid()))],
            "sync_pair_request": [("TerminalId", json.dumps(self.guid()))],
            "marketplace_approve": [("PaymentId", str(r.randint(1, 10**6)))],
        }[kind]

    @staticmethod
    def render(members, spaced=False):
        return "{" + (", " if spaced else ",").join('"%s":%s' % (k, v) for k, v in members) + "}"

    def valid(self, kind, key=None):
        key = key or self.guid()
        row = {"command_key": key, "kind": kind, "payload": self.render(self.members(kind, key))}
        if KINDS[kind] == "follow_up":
            if self.rng.random() < 0.5:
                row["sale_key"] = self.guid()
            else:
                row["payment_request_id"] = self.guid()
        return row

    def add(self, label, steps, source="generated"):
        self.cases.append(Case(source, label, steps))

    def one(self, label, row, verb=None):
        verb = verb or ("on_conflict" if self.rng.random() < 0.3 else "insert")
        self.add(label, [(verb, row)])

    # -- mutators --------------------------------------------------------------------------------

    @staticmethod
    def setter(column, value):
        def apply(row):
            row[column] = value
        return apply

    @staticmethod
    def remover(column):
        def apply(row):
            row.pop(column, None)
        return apply

    def mutators(self, kind):
        if kind not in self._mutators:
            m = []
            m += self.key_mutators(kind)
            m += self.kind_mutators(kind)
            m += self.payload_mutators(kind)
            if KINDS[kind] == "sale":
                m += self.sale_member_mutators(kind)
            if KINDS[kind] == "follow_up":
                m += self.follow_up_member_mutators()
            m += self.reference_mutators()
            m += self.time_mutators()
            m += self.worker_column_mutators()
            m += self.id_and_generated_mutators()
            self._mutators[kind] = m
        return self._mutators[kind]

    def key_mutators(self, kind):
        out = []
        for label, make in [
            ("key upper case", lambda k: k.upper()), ("key padded left", lambda k: " " + k),
            ("key padded right", lambda k: k + " "), ("key + newline", lambda k: k + "\n"),
            ("key of 35", lambda k: k[:-1]), ("key of 37", lambda k: k + "0"),
            ("key without hyphens", lambda k: k.replace("-", "")), ("key in braces", lambda k: "{" + k + "}"),
            ("key with g", lambda k: "g" + k[1:]), ("key Cyrillic a", lambda k: "\u0430" + k[1:]),
            ("key full-width digit", lambda k: "\uff16" + k[1:]), ("key zero-width space", lambda k: k[:8] + "\u200b" + k[8:]),
            ("key bidi override", lambda k: "\u202e" + k), ("key empty", lambda k: ""), ("key NULL", lambda k: None),
            ("key INTEGER", lambda k: 42), ("key REAL", lambda k: 1.5), ("key UTF-8 BLOB", lambda k: k.encode()),
            ("key BLOB not UTF-8", lambda k: b"\xff\xfe\x00\xc3\x28"), ("key + NUL", lambda k: k + "\x00"),
            ("key TEXT not UTF-8", lambda k: NotUtf8(k[:-2].encode() + b"\xc3\x28")),
            ("key of 1 MiB", lambda k: k + "0" * (1 << 20)), ("key Kelvin sign", lambda k: "\u212a" + k[1:]),
            ("key dotless i", lambda k: "\u0131" + k[1:]),
        ]:
            out.append((label, (lambda make: lambda row: row.__setitem__("command_key", make(text_or(row.get("command_key"), self.guid()))))(make)))
        out.append(("key left out", self.remover("command_key")))
        return out

    def kind_mutators(self, kind):
        out = [("written as %s" % other, self.setter("kind", other)) for other in KINDS if other != kind]
        for label, value in [("upper case", kind.upper()), ("padded", " " + kind), ("unknown", "async_refund"),
                             ("empty", ""), ("NULL", None), ("INTEGER", 1), ("REAL", 1.0), ("BLOB", kind.encode()),
                             ("+ NUL", kind + "\x00x"), ("trailing newline", kind + "\n")]:
            out.append(("kind %s" % label, self.setter("kind", value)))
        out.append(("kind left out", self.remover("kind")))
        return out

    @staticmethod
    def with_member(text, name, value):
        body = '"%s":%s' % (name, value)
        return "{" + body + "}" if text == "{}" else text[:-1] + "," + body + "}"

    @staticmethod
    def padded(text, size, char="x"):
        head = text[:-1] + ("," if text != "{}" else "") + '"Filler":"'
        room = size - len(head.encode()) - 2
        width = len(char.encode())
        return head + char * (room // width) + "x" * (room % width) + '"}'

    def payload_mutators(self, kind):
        W = self.with_member
        variants = [
            ("payload empty", lambda t: ""), ("payload {", lambda t: "{"), ("payload []", lambda t: "[]"),
            ("payload null", lambda t: "null"), ("payload a JSON string", lambda t: '"{}"'), ("payload 7", lambda t: "7"),
            ("payload true", lambda t: "true"), ("payload spaced", lambda t: t.replace('","', '", "').replace(",", " , ")),
            ("payload + trailing whitespace", lambda t: t + " \n\t\r"), ("payload leading whitespace", lambda t: " \n" + t),
            ("payload after a BOM", lambda t: "\ufeff" + t), ("payload + garbage", lambda t: t + "x"),
            ("payload trailing comma", lambda t: t[:-1] + ",}"), ("payload + NUL + garbage", lambda t: t + "\x00garbage"),
            ("payload NULL", lambda t: None), ("payload INTEGER", lambda t: 7), ("payload REAL", lambda t: -0.0),
            ("payload BLOB", lambda t: t.encode()),
            ("payload TEXT not UTF-8", lambda t: NotUtf8(W(t, "Note", '"A"').encode().replace(b'"A"', b'"\xff\xfeA"'))),
            ("payload single quotes", lambda t: t.replace('"', "'")), ("payload unquoted key", lambda t: "{a:1}"),
            ("payload raw tab in a string", lambda t: W(t, "Note", '"a\tb"')),
            ("payload raw newline in a string", lambda t: W(t, "Note", '"a\nb"')),
            ("payload raw 0x1f in a string", lambda t: W(t, "Note", '"a\x1fb"')),
            ("payload DEL in a string", lambda t: W(t, "Note", '"a\x7fb"')),
            ("payload U+2028 in a string", lambda t: W(t, "Note", '"a\u2028b"')),
            ("payload escaped slash", lambda t: W(t, "Note", '"a\\/b"')),
            ("payload bad escape \\x", lambda t: W(t, "Note", '"a\\x41"')),
            ("payload bad escape \\a", lambda t: W(t, "Note", '"a\\a"')),
            ("payload short \\u", lambda t: W(t, "Note", '"a\\u12"')),
            ("payload \\U", lambda t: W(t, "Note", '"a\\U0041"')),
            ("payload lone high surrogate", lambda t: W(t, "Note", '"a\\ud800b"')),
            ("payload lone low surrogate", lambda t: W(t, "Note", '"\\udc00"')),
            ("payload surrogate pair", lambda t: W(t, "Note", '"\\ud83d\\ude00"')),
            ("payload reversed surrogates", lambda t: W(t, "Note", '"\\ude00\\ud83d"')),
            ("payload \\u0000 in a value", lambda t: W(t, "Note", '"a\\u0000b"')),
            ("payload \\u0000 in a key", lambda t: W(t, "N\\u0000te", "1")),
            ("payload lone surrogate in a key", lambda t: W(t, "N\\udbffte", "1")),
            ("payload escaped backslash then u", lambda t: W(t, "Note", '"\\\\ud800"')),
            ("payload escaped quote", lambda t: W(t, "Note", '"a\\"b"')),
            ("payload nested 2000", lambda t: W(t, "Note", "[" * 1999 + "]" * 1999)),
            ("payload nested 2001", lambda t: W(t, "Note", "[" * 2000 + "]" * 2000)),
            ("payload nested objects 2001", lambda t: W(t, "Note", '{"a":' * 2000 + "1" + "}" * 2000)),
            ("payload nested objects 2000", lambda t: W(t, "Note", '{"a":' * 1999 + "1" + "}" * 1999)),
            ("payload nested 2001 and invalid", lambda t: W(t, "Note", "[" * 2000 + "]" * 1999)),
            ("payload nested 3000 in strings", lambda t: W(t, "Note", json.dumps("[" * 3000))),
            ("payload nested 1990 + brackets in strings", lambda t: W(t, "Note", "[" * 1990 + json.dumps("[" * 50) + "]" * 1990)),
            ("payload number 01", lambda t: W(t, "Note", "01")), ("payload number 1.", lambda t: W(t, "Note", "1.")),
            ("payload number .5", lambda t: W(t, "Note", ".5")), ("payload number +1", lambda t: W(t, "Note", "+1")),
            ("payload number -", lambda t: W(t, "Note", "-")), ("payload number 1e", lambda t: W(t, "Note", "1e")),
            ("payload number 1.e5", lambda t: W(t, "Note", "1.e5")), ("payload number -.5", lambda t: W(t, "Note", "-.5")),
            ("payload number 1E+5", lambda t: W(t, "Note", "1E+5")), ("payload number -0.0e-0", lambda t: W(t, "Note", "-0.0e-0")),
            ("payload number -01", lambda t: W(t, "Note", "-01")), ("payload number 1e5.5", lambda t: W(t, "Note", "1e5.5")),
            ("payload NaN", lambda t: W(t, "Note", "NaN")), ("payload Infinity", lambda t: W(t, "Note", "Infinity")),
            ("payload 0x1", lambda t: W(t, "Note", "0x1")), ("payload tru", lambda t: W(t, "Note", "tru")),
            ("payload TRUE", lambda t: W(t, "Note", "TRUE")), ("payload comment", lambda t: t[:-1] + "/* c */}"),
            ("payload duplicate unknown key", lambda t: W(W(t, "Note", "1"), "Note", "2")),
            ("payload empty key", lambda t: W(t, "", "1")),
            ("payload of 65536 bytes", lambda t: self.padded(t, 65536)),
            ("payload of 65537 bytes", lambda t: self.padded(t, 65537)),
            ("payload of 1 MiB", lambda t: self.padded(t, 1 << 20)),
            ("payload of 65536 bytes with multibyte", lambda t: self.padded(t, 65536, "\u00e9")),
            ("payload of 65537 bytes with multibyte", lambda t: self.padded(t, 65537, "\u20ac")),
            ("payload vertical tab after", lambda t: t + "\x0b"), ("payload form feed after", lambda t: t + "\x0c"),
            ("payload non-breaking space inside", lambda t: "{\u00a0}"), ("payload two objects", lambda t: t + t),
        ]
        out = []
        for label, make in variants:
            out.append((label, (lambda make: lambda row: row.__setitem__("payload", make(text_or(row.get("payload"), "{}"))))(make)))
        out.append(("payload left out", self.remover("payload")))
        return out

    def sale_variants(self, key):
        """(label, members) of sale payloads keyed `key`."""
        tag = ("TerminalTagCode", '"T1"')
        muc = ("MerchantUniqueCode", json.dumps(key))
        amt = ("Amount", "22.10")
        rest = [("CurrencyId", "1")]
        other = json.dumps(str(uuid.uuid5(uuid.NAMESPACE_OID, key)))
        escaped_first = "\\u%04x" % ord(key[0]) + key[1:]
        v = [
            ("no MerchantUniqueCode", [tag, amt] + rest),
            ("MerchantUniqueCode null", [tag, ("MerchantUniqueCode", "null"), amt] + rest),
            ("MerchantUniqueCode a number", [tag, ("MerchantUniqueCode", "12"), amt] + rest),
            ("MerchantUniqueCode an object", [tag, ("MerchantUniqueCode", '{"a":1}'), amt] + rest),
            ("MerchantUniqueCode upper case", [tag, ("MerchantUniqueCode", json.dumps(key.upper())), amt] + rest),
            ("MerchantUniqueCode another GUID", [tag, ("MerchantUniqueCode", other), amt] + rest),
            ("MerchantUniqueCode padded", [tag, ("MerchantUniqueCode", json.dumps(" " + key)), amt] + rest),
            ("MerchantUniqueCode escaped hex digit", [tag, ("MerchantUniqueCode", '"%s"' % escaped_first), amt] + rest),
            ("MerchantUniqueCode escaped hyphen", [tag, ("MerchantUniqueCode", '"%s\\u002d%s"' % (key[:8], key[9:])), amt] + rest),
            ("MerchantUniqueCode + \\u0000x", [tag, ("MerchantUniqueCode", '"%s\\u0000x"' % key), amt] + rest),
            ("MerchantUniqueCode \\u0000 first", [tag, ("MerchantUniqueCode", '"\\u0000%s"' % key), amt] + rest),
            ("MerchantUniqueCode + lone surrogate", [tag, ("MerchantUniqueCode", '"%s\\ud800"' % key), amt] + rest),
            ("MerchantUniqueCode + escaped slash", [tag, ("MerchantUniqueCode", '"%s\\/"' % key), amt] + rest),
            ("MerchantUniqueCode + newline escape", [tag, ("MerchantUniqueCode", '"%s\\n"' % key), amt] + rest),
            ("MerchantUniqueCode full-width", [tag, ("MerchantUniqueCode", json.dumps("\uff16" + key[1:])), amt] + rest),
            ("MerchantUniqueCode twice, wrong first", [tag, ("MerchantUniqueCode", other), muc, amt] + rest),
            ("MerchantUniqueCode twice, right first", [tag, muc, ("MerchantUniqueCode", other), amt] + rest),
            ("MerchantUniqueCode key escaped", [tag, ("Merchant\\u0055niqueCode", json.dumps(key)), amt] + rest),
            ("MerchantUniqueCode key escaped, then plain", [tag, ("Merchant\\u0055niqueCode", '"x"'), muc, amt] + rest),
            ("merchantuniquecode lower-case key", [tag, ("merchantuniquecode", json.dumps(key)), amt] + rest),
            ("nested MerchantUniqueCode only", [tag, ("Inner", '{"MerchantUniqueCode":%s}' % json.dumps(key)), amt] + rest),
            ("no Amount", [tag, muc] + rest),
            ("TerminalId and TerminalTagCode", [tag, ("TerminalId", other), muc, amt] + rest),
            ("neither terminal", [muc, amt] + rest),
            ("TerminalId null + tag", [("TerminalId", "null"), tag, muc, amt] + rest),
            ("TerminalTagCode null only", [("TerminalTagCode", "null"), muc, amt] + rest),
            ("TerminalTagCode empty string", [("TerminalTagCode", '""'), muc, amt] + rest),
            ("TerminalTagCode a number", [("TerminalTagCode", "7"), muc, amt] + rest),
            ("TerminalTagCode an object", [("TerminalTagCode", '{"x":[1]}'), muc, amt] + rest),
            ("TerminalTagCode false", [("TerminalTagCode", "false"), muc, amt] + rest),
            ("TerminalTagCode true", [("TerminalTagCode", "true"), muc, amt] + rest),
            ("TerminalTagCode \\u0000", [("TerminalTagCode", '"\\u0000"'), muc, amt] + rest),
            ("TerminalTagCode \\u0000 inside", [("TerminalTagCode", '"T\\u0000x"'), muc, amt] + rest),
            ("TerminalTagCode escaped", [("TerminalTagCode", '"T\\u00e9\\n\\"1"'), muc, amt] + rest),
            ("TerminalTagCode surrogate pair", [("TerminalTagCode", '"T\\ud83d\\ude00"'), muc, amt] + rest),
            ("TerminalTagCode twice null first", [("TerminalTagCode", "null"), ("TerminalTagCode", '"T2"'), muc, amt] + rest),
            ("TerminalTagCode twice value first", [tag, ("TerminalTagCode", "null"), muc, amt] + rest),
            ("TerminalTagCode key escaped", [("TerminalTag\\u0043ode", '"T1"'), muc, amt] + rest),
            ("TerminalTagCode key escaped + TerminalId", [("TerminalTag\\u0043ode", '"T1"'), ("TerminalId", '"x"'), muc, amt] + rest),
        ]
        for literal in ["0", "-0", "0.0", "-0.0", "-1", "-22.10", "0.00", "1e-400", "1e-320", "5e-324", "3e-324",
                        "2.4703282292062328e-324", "2.4703282292062327e-324", "2.47032822920623272088e-324",
                        "9000000000000000000e-342", "2500000000000000001e-342", "1000000000000000000e-342",
                        "10000000000000000000e-342", "0." + "0" * 322 + "1", "0." + "0" * 323 + "1",
                        "0." + "0" * 298 + "1", "0." + "0" * 400 + "1", "1e999", "1E+2", "1e400", "99999999999999999999",
                        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "22.10", "22.1",
                        "0.001", "1e0", "1e-0", "1e00000000000000000000001", "1e-00000000000000000000001",
                        "1e-99999999999999999999", "1e99999999999999999999", TINY, "2" + TINY[1:],
                        TINY.replace("e-324", "e-325"), "123456789012345678901234567890e-353",
                        "1234567890123456789e-342", "9223372036854775807e-342", "0e5", "0.0e-5", "00", "1.50"]:
            v.append(("Amount %s" % (literal if len(literal) < 30 else literal[:22] + "..."),
                      [tag, muc, ("Amount", literal)] + rest))
        for label, value in [("a string", '"22.10"'), ("true", "true"), ("null", "null"), ("[]", "[]"),
                             ("{}", "{}"), ("an array of one", "[22.10]")]:
            v.append(("Amount %s" % label, [tag, muc, ("Amount", value)] + rest))
        v += [
            ("Amount twice, negative first", [tag, muc, ("Amount", "-1"), ("Amount", "5")] + rest),
            ("Amount twice, positive first", [tag, muc, ("Amount", "5"), ("Amount", "-1")] + rest),
            ("Amount key escaped", [tag, muc, ("Am\\u006funt", "5")] + rest),
            ("Amount key escaped, then plain", [tag, muc, ("Am\\u006funt", "-5"), ("Amount", "5")] + rest),
            ("Amount key escaped after plain", [tag, muc, ("Amount", "5"), ("Am\\u006funt", "-5")] + rest),
            ("Amount valid, escapes elsewhere", [tag, muc, ("Amount", "5"), ("Note", '"a\\"b\\\\c\\u00e9"')] + rest),
            ("Amount zero, escapes elsewhere", [tag, muc, ("Amount", "0"), ("Note", '"a\\"b"')] + rest),
            ("nested Amount only", [tag, muc, ("Products", '[{"Amount":5}]')] + rest),
            ("a key escaped elsewhere + valid", [tag, muc, amt, ("No\\u0074e", '"x"')] + rest),
            ("string with brackets and escapes", [tag, muc, amt, ("Note", '"{[\\"]}"'), ("X", '{"Amount":-1}')] + rest),
            ("escapes, Amount inside an array member", [tag, muc, ("L", '[{"Amount":5}, "\\n"]')] + rest),
            ("escapes, value after nested object", [tag, ("O", '{"MerchantUniqueCode":"x","k":[1,{"a":"\\""}]}'), muc, amt] + rest),
        ]
        return v

    def sale_member_mutators(self, kind):
        out = []
        for index, (label, _) in enumerate(self.sale_variants(str(uuid.UUID(int=0, version=4)))):
            def apply(row, index=index):
                key = text_or(row.get("command_key"), self.guid())
                row["payload"] = self.render(self.sale_variants(key)[index][1])
            out.append((label, apply))
        return out

    def follow_up_member_mutators(self):
        out = []
        for label, members in [
            ("PaymentRequestId in payload", [("PaymentRequestId", json.dumps(self.guid()))]),
            ("PaymentRequestId null in payload", [("PaymentRequestId", "null")]),
            ("PaymentRequestId nested", [("Inner", '{"PaymentRequestId":1}')]),
            ("PaymentRequestId key escaped", [("Payment\\u0052equestId", '"x"')]),
            ("PaymentRequestId key escaped then plain", [("Payment\\u0052equestId", '"x"'), ("PaymentRequestId", "1")]),
            ("paymentrequestid lower case", [("paymentrequestid", '"x"')]),
            ("PaymentRequestId twice", [("PaymentRequestId", "1"), ("PaymentRequestId", "2")]),
            ("PaymentRequestId after an escape", [("Note", '"\\t"'), ("PaymentRequestId", "{}")]),
        ]:
            out.append((label, self.setter("payload", self.render(members))))
        return out

    def reference_mutators(self):
        g = self.guid
        out = []
        for label, values in [
            ("sale_key set", {"sale_key": g()}), ("payment_request_id set", {"payment_request_id": g()}),
            ("both set", {"sale_key": g(), "payment_request_id": g()}),
            ("neither (explicit NULLs)", {"sale_key": None, "payment_request_id": None}), ("neither", {}),
            ("sale_key upper case", {"sale_key": g().upper()}), ("sale_key padded", {"sale_key": " " + g()}),
            ("sale_key of 35", {"sale_key": g()[:-1]}), ("sale_key empty", {"sale_key": ""}),
            ("sale_key INTEGER", {"sale_key": 5}), ("sale_key REAL", {"sale_key": 2.5}),
            ("sale_key BLOB", {"sale_key": b"\x00"}), ("sale_key + NUL", {"sale_key": g() + "\x00"}),
            ("sale_key full-width", {"sale_key": "\uff11" + g()[1:]}),
            ("payment_request_id + newline", {"payment_request_id": g() + "\n"}),
            ("payment_request_id no hyphens", {"payment_request_id": g().replace("-", "")}),
            ("payment_request_id INTEGER", {"payment_request_id": 12}),
            ("payment_request_id BLOB", {"payment_request_id": g().encode()}),
            ("payment_request_id empty", {"payment_request_id": ""}),
            ("sale_key bad and payment_request_id bad", {"sale_key": "x", "payment_request_id": "y"}),
            ("sale_key NULL, payment_request_id bad", {"sale_key": None, "payment_request_id": "y"}),
        ]:
            def apply(row, values=values):
                row.pop("sale_key", None)
                row.pop("payment_request_id", None)
                row.update(values)
            out.append((label, apply))
        return out

    TIME_VALUES = [
        ("NULL", None), ("now", NOW), ("2000-01-01", MIN_MS), ("just before 2000", MIN_MS - 1),
        ("just before 2100", MAX_MS - 1), ("2100-01-01", MAX_MS), ("seconds", 1790000000), ("microseconds", NOW * 1000),
        ("negative", -1), ("zero", 0), ("int64 max", 2**63 - 1), ("int64 min", -2**63), ("REAL integral", float(NOW)),
        ("REAL fraction", NOW + 0.5), ("REAL 0.25", NOW + 0.25), ("REAL just below 2100", MAX_MS - 0.5),
        ("REAL seconds", 1790000000.0), ("REAL 1e300", 1e300), ("REAL inf", float("inf")), ("REAL nan", float("nan")),
        ("REAL -0.0", -0.0), ("text digits", str(NOW)), ("text padded digits", " %d " % NOW), ("text 1.79e12", "1.79e12"),
        ("text fraction", "%d.5" % NOW), ("text integral real", "%d.0" % NOW), ("text yesterday", "yesterday"),
        ("text empty", ""), ("text hex", "0x1A0B"), ("text + NUL", str(NOW) + "\x00"), ("BLOB", b"\x01\x02"),
        ("text int64 max+1", str(2**63)), ("text seconds", "1790000000"), ("text negative", "-5"),
    ]

    def time_mutators(self):
        out = []
        for column in ("not_before", "deadline", "created_at"):
            for label, value in self.TIME_VALUES:
                out.append(("%s %s" % (column, label), self.setter(column, value)))
            out.append(("%s left out" % column, self.remover(column)))
        for label, nb, dl in [("not_before after deadline", NOW + 1, NOW), ("not_before = deadline", NOW, NOW),
                              ("not_before before deadline", NOW, NOW + 1),
                              ("not_before after deadline, both at the limits", MAX_MS - 1, MIN_MS),
                              ("not_before bad and after deadline", -5, -10),
                              ("not_before after deadline, REAL", NOW + 0.6, NOW + 0.4)]:
            def apply(row, nb=nb, dl=dl):
                row["not_before"], row["deadline"] = nb, dl
            out.append((label, apply))
        return out

    def worker_column_mutators(self):
        defaults = {"state": "pending", "generation": 1, "attempts": 0, "due_at": 0, "needs_reconcile": 0}
        others = {"state": ["succeeded", "PENDING", "bogus", ""], "generation": [2, 0, "1", 1.0, 1.4, "one", 2**40],
                  "attempts": [1, "0", 0.0, -1], "due_at": [NOW, 0.0, "0"], "needs_reconcile": [1, 2, 0.0, 0.3, "0"],
                  "lease_owner": ["w", ""], "lease_expires_at": [NOW, 0], "last_error": ["x", ""],
                  "paywall_payment_request_id": [self.guid(), ""], "accepted_at": [NOW, 0], "finished_at": [NOW],
                  "updated_at": [NOW, 0]}
        out = []
        for column in WORKER_COLUMNS:
            for value in ([defaults[column]] if column in defaults else [None]) + others[column]:
                out.append(("%s = %s" % (column, describe(value)), self.setter(column, value)))
        return out

    def id_and_generated_mutators(self):
        out = []
        for value in [1, 0, -1, 2**63 - 1, "abc", 2.5, None]:
            def apply(row, value=value):
                items = list(row.items())
                row.clear()
                row["id"] = value
                row.update(items)
            out.append(("explicit id %s" % describe(value), apply))
        for value in ["X", None]:
            out.append(("terminal = %s" % describe(value), self.setter("terminal", value)))
        return out

    # -- cases -----------------------------------------------------------------------------------

    def generate(self, mixes):
        for kind in KINDS:
            for _ in range(2):
                self.one("%s valid" % kind, self.valid(kind))
            for label, apply in self.mutators(kind):
                row = self.valid(kind)
                apply(row)
                self.one("%s %s" % (kind, label), row)
            self.duplicates(kind)
        for n in range(mixes):
            kind = self.rng.choice(list(KINDS))
            row = self.valid(kind)
            chosen = self.rng.sample(self.mutators(kind), self.rng.randint(2, 3))
            for label, apply in chosen:
                apply(row)
            self.one("mix %s: %s" % (kind, " + ".join(label for label, _ in chosen)), row)
        return self.cases

    def duplicates(self, kind):
        r = self.rng

        def again(label, change, first_verb=None, second_verb=None):
            first = self.valid(kind)
            second = dict(first)
            change(first, second)
            self.add("%s dup: %s" % (kind, label),
                     [(first_verb or r.choice(["insert", "on_conflict"]), first),
                      (second_verb or r.choice(["insert", "on_conflict"]), second)])

        def set_(name, value):
            return lambda a, b: b.__setitem__(name, value)

        again("same command, plain INSERT twice", lambda a, b: None, "insert", "insert")
        again("same command, ON CONFLICT twice", lambda a, b: None, "on_conflict", "on_conflict")
        again("same command, key upper case", lambda a, b: b.__setitem__("command_key", a["command_key"].upper()))
        again("same command, other not_before", set_("not_before", NOW + 5))
        again("same command, other deadline", set_("deadline", NOW + 5))
        again("same command, other created_at", set_("created_at", NOW - 5))
        again("same command, bad created_at", set_("created_at", -1))
        again("same command, worker column set", set_("state", "succeeded"))
        again("same command, explicit id", lambda a, b: b.update({"id": 99, **a}))
        again("same command, key padded", lambda a, b: b.__setitem__("command_key", " " + a["command_key"]))
        again("same command, payload as a BLOB", lambda a, b: b.__setitem__("payload", a["payload"].encode()))
        again("payload with a space", lambda a, b: b.__setitem__("payload", a["payload"][:-1] + " }"))
        again("payload not JSON", set_("payload", "{"))
        again("payload NULL", set_("payload", None))
        again("other kind", set_("kind", "marketplace_approve" if kind != "marketplace_approve" else "async_pair_request"))
        again("unknown kind", set_("kind", "nope"))
        again("kind NULL", set_("kind", None))
        if KINDS[kind] == "follow_up":
            def case_of(a, b):
                for n in ("sale_key", "payment_request_id"):
                    if n in a:
                        b[n] = a[n].upper()
            again("reference upper case", case_of)

            def other_reference(a, b):
                for n in ("sale_key", "payment_request_id"):
                    if n in a:
                        b[n] = self.guid()
            again("other reference", other_reference)

            def swapped(a, b):
                if "sale_key" in a:
                    b["payment_request_id"] = b.pop("sale_key")
                else:
                    b["sale_key"] = b.pop("payment_request_id")
            again("reference in the other column", swapped)
            again("reference dropped", lambda a, b: (b.pop("sale_key", None), b.pop("payment_request_id", None)))
        else:
            again("a sale_key added", set_("sale_key", self.guid()))
        first = self.valid(kind)
        self.add("%s dup: refused first, then valid" % kind, [("insert", dict(first, payload="{")), ("insert", first)])
        first = self.valid(kind)
        self.add("%s dup: three spellings" % kind,
                 [("insert", first), ("on_conflict", dict(first, command_key=first["command_key"].upper())),
                  ("insert", dict(first, command_key=first["command_key"].swapcase()))])


# ------------------------------------------------------------------------------------------------
# Comparison
# ------------------------------------------------------------------------------------------------

def judge(columns, s, p, producer_pass, typed_text):
    """'match', ('expected', notes) or 'mismatch'."""
    if s == p:
        return "match", None
    notes = annotations(columns, producer_pass, typed_text)
    s_kind, s_msg = s
    p_kind, p_msg = p
    if p_kind == "refused" and p_msg.startswith("outbox:"):
        # An outbox: message must be SQLite's own for the same row, unless the row holds a value
        # PostgreSQL receives as something else (a bytea as '\x...', a REAL rounded).
        usable = [n for n in notes if EXPECTED[n]["pg_other_message"]]
        return ("expected", usable) if usable else ("mismatch", None)
    if p_kind == "refused":
        usable = [n for n in notes if EXPECTED[n]["pg_may_refuse"]]
        return ("expected", usable) if usable else ("mismatch", None)
    if s_kind == "refused" and p_kind in ("inserted", "skipped"):
        usable = [n for n in notes if EXPECTED[n]["pg_may_accept"]]
        return ("expected", usable) if usable else ("mismatch", None)
    return "mismatch", None


def run_pass(name, cases, libpq, args, producer_pass, sqlite_outcomes=None):
    dbname = "outbox_contract_check_%s_%d" % (name, os.getpid())
    pg = PGSide(libpq, args.dsn, dbname, producer_pass, args.bind == "typed", args.keep)
    sqlite_side = None
    if sqlite_outcomes is None:
        sqlite_side = SQLiteSide("/tmp/pg-contract-check-%d.sqlite" % os.getpid())
        sqlite_outcomes = []
    results = []
    i = 0
    for case in cases:
        for step, (verb, columns) in enumerate(case.steps):
            if sqlite_side:
                s = sqlite_side.insert(verb, columns)
                sqlite_outcomes.append(s)
            else:
                s = sqlite_outcomes[i]
            i += 1
            pg.last_sqlstate = ""
            p = pg.insert(verb, columns)
            verdict, notes = judge(columns, s, p, producer_pass, args.bind == "typed")
            if p[0] == "refused" and not p[1].startswith("outbox:"):
                p = (p[0], "%s [%s]" % (p[1], pg.last_sqlstate))
            results.append((case, step, verb, columns, s, p, verdict, notes))
    stored_diffs = []
    if sqlite_side:
        stored_diffs = compare_stored(sqlite_side.stored(), pg.stored(), cases, results)
    pg.close()
    return results, sqlite_outcomes, stored_diffs


def compare_stored(s_rows, p_rows, cases, results):
    """Rows both engines stored must hold the same producer values, and the same `terminal` where
    SQLite's is a string or a boolean (numbers are rendered by each engine its own way, objects and
    arrays are NULL on PostgreSQL: see Schema/postgres/README.md)."""
    written = {}
    for case, step, verb, columns, s, p, verdict, notes in results:
        if s[0] == "inserted" and p[0] == "inserted" and isinstance(columns.get("command_key"), str):
            written[columns["command_key"].lower()] = columns
    diffs = []
    compare_stored.counts = {"rows": 0, "terminals": 0}
    names = ["command_key", "kind", "payload", "sale_key", "payment_request_id", "not_before", "deadline", "created_at", "terminal"]
    for key, columns in written.items():
        srow, prow = s_rows.get(key), p_rows.get(key)
        if srow is None or prow is None:
            diffs.append((key, "stored by one engine only"))
            continue
        compare_stored.counts["rows"] += 1
        for n, name in enumerate(names):
            sv, pv = srow[n], prow[n]
            if isinstance(sv, bytes):
                sv = sv.decode("utf-8", errors="replace")
            if name in ("not_before", "deadline", "created_at") and pv is not None:
                pv = int(pv)
            if name == "created_at" and "created_at" not in columns:
                continue  # each engine's clock
            if name == "terminal" and srow[9] not in (b"text", b"true", b"false", None):
                continue
            if name == "terminal":
                compare_stored.counts["terminals"] += 1
            if sv != pv:
                diffs.append((key, "%s: %r vs %r" % (name, sv, pv)))
    return diffs


# ------------------------------------------------------------------------------------------------
# Checks beyond single rows
# ------------------------------------------------------------------------------------------------

def extra_checks(libpq, args):
    checks = []
    dbname = "outbox_contract_check_extra_%d" % os.getpid()
    pg = PGSide(libpq, args.dsn, dbname, False, False, args.keep)
    conn = pg.conn
    key = str(uuid.UUID(int=random.Random(args.seed).getrandbits(128), version=4))
    pay = '{"PaymentId":1}'
    insert = "INSERT INTO outbox (command_key, kind, payload) VALUES ($1, $2, $3) ON CONFLICT (command_key) DO NOTHING"
    other = PG(libpq, args.dsn, dbname)

    def check(name, ok, detail=""):
        checks.append((name, bool(ok), detail))

    # Two connections race on one key: the second waits for the first, then sees its row.
    for label, second_payload, expected in [("same command", pay, "skipped"),
                                            ("different command", '{"PaymentId":2}', "refused")]:
        k = str(uuid.uuid5(uuid.UUID(key), label))
        conn.execute("BEGIN")
        conn.execute(insert, [k, "marketplace_approve", pay])
        other.send(insert, [k, "marketplace_approve", second_payload])
        time.sleep(0.3)
        conn.execute("COMMIT")
        try:
            _, affected = other.receive()
            got = "skipped" if affected == 0 else "inserted"
            detail = got
        except PGError as e:
            got, detail = "refused", e.message
        check("race, %s: the second INSERT waits and is %s" % (label, expected), got == expected
              and (expected != "refused" or detail.startswith("outbox: command_key is already queued")), detail)

    # The producer role.
    prod = PG(libpq, args.dsn, dbname)
    prod.execute("SET ROLE outbox_producer")
    k2 = str(uuid.uuid5(uuid.UUID(key), "producer"))
    for name, sql, params, allowed in [
        ("producer: INSERT ... ON CONFLICT (command_key) DO NOTHING", insert, [k2, "marketplace_approve", pay], True),
        ("producer: the same again is a no-op", insert, [k2, "marketplace_approve", pay], True),
        ("producer: plain INSERT with every producer column",
         "INSERT INTO outbox (command_key, kind, payload, sale_key, payment_request_id, not_before, deadline, created_at) "
         "VALUES ($1, 'async_cancel', '{}', $2, NULL, $3, $4, $5)",
         [str(uuid.uuid5(uuid.UUID(key), "p2")), key, NOW, NOW + 1000, NOW], True),
        ("producer: SELECT inbox", "SELECT * FROM inbox WHERE id > $1 ORDER BY id LIMIT 100", [0], True),
        ("producer: SELECT command_kind", "SELECT name, role FROM command_kind", [], True),
        ("producer: SELECT outbox.command_key", "SELECT command_key FROM outbox WHERE command_key = $1", [k2], True),
        ("producer: SELECT outbox.payload refused", "SELECT payload FROM outbox", [], False),
        ("producer: SELECT outbox.state refused", "SELECT state FROM outbox", [], False),
        ("producer: UPDATE outbox refused", "UPDATE outbox SET state = 'succeeded'", [], False),
        ("producer: UPDATE outbox.deadline refused", "UPDATE outbox SET deadline = 4102444799999", [], False),
        ("producer: DELETE outbox refused", "DELETE FROM outbox", [], False),
        ("producer: INSERT naming state refused",
         "INSERT INTO outbox (command_key, kind, payload, state) VALUES ($1, 'marketplace_approve', '{}', 'pending')",
         [str(uuid.uuid4())], False),
        ("producer: INSERT ... RETURNING id refused (no SELECT on id)",
         "INSERT INTO outbox (command_key, kind, payload) VALUES ($1, 'marketplace_approve', '{}') RETURNING id",
         [str(uuid.uuid4())], False),
        ("producer: INSERT inbox refused",
         "INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, created_at) "
         "VALUES (1, 'k', 'async_sale', 1, 'outcome', 'succeeded', 1)", [], False),
        ("producer: DELETE inbox refused", "DELETE FROM inbox WHERE id < 0", [], False),
        ("producer: INSERT attempt refused", "INSERT INTO attempt (outbox_id, generation, started_at, outcome) VALUES (1, 1, 1, 'x')", [], False),
        ("producer: INSERT audit refused", "INSERT INTO audit (at, actor, action) VALUES (1, 'x', 'retry')", [], False),
        ("producer: INSERT worker_status refused",
         "INSERT INTO worker_status (worker, started_at, heartbeat_at, state) VALUES ('w', 1, 1, 'running')", [], False),
        ("producer: INSERT paywall_hold refused", "INSERT INTO paywall_hold VALUES ('private', 1, NULL, 1, NULL)", [], False),
        ("producer: INSERT paywall_pause refused", "INSERT INTO paywall_pause VALUES ('paywall', 'r', 1, 1, 1, NULL)", [], False),
        ("producer: INSERT clock_shift refused", "INSERT INTO clock_shift (step_ms, applied_at) VALUES (1, 1)", [], False),
        ("producer: SELECT payment_follow refused", "SELECT * FROM payment_follow", [], False),
        ("producer: may create a temporary command_kind naming kind 'nope'",
         "CREATE TEMP TABLE command_kind AS SELECT 'nope'::text AS name, 'standalone'::text AS role", [], True),
        ("producer: ... which the trigger never reads: 'nope' is still refused",
         "INSERT INTO outbox (command_key, kind, payload) VALUES ($1, 'nope', '{}')", [str(uuid.uuid4())], False),
    ]:
        try:
            prod.execute(sql, params)
            check(name, allowed)
        except PGError as e:
            check(name, not allowed, e.message)
    prod.close()

    # The worker role: its columns only.
    work = PG(libpq, args.dsn, dbname)
    work.execute("SET ROLE outbox_worker")
    for name, sql, allowed, message in [
        ("worker: UPDATE worker columns", "UPDATE outbox SET state = 'in_flight', lease_owner = 'w', lease_expires_at = 1 WHERE command_key = '%s'" % k2, True, None),
        ("worker: UPDATE payload refused", "UPDATE outbox SET payload = '{}' WHERE command_key = '%s'" % k2, False, None),
        ("worker: INSERT inbox", "INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, created_at) "
                                 "VALUES (1, 'k', 'async_sale', 1, 'outcome', 'succeeded', 1)", True, None),
        ("worker: inbox result must be JSON", "INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, created_at, result) "
                                              "VALUES (2, 'k', 'async_sale', 1, 'outcome', 'succeeded', 1, '{')", False, None),
    ]:
        try:
            work.execute(sql)
            check(name, allowed)
        except PGError as e:
            check(name, not allowed, e.message)
    work.close()

    # An UPDATE of a request column, by the owner: SQLite's outbox_immutable message.
    sq = SQLiteSide("/tmp/pg-contract-check-extra-%d.sqlite" % os.getpid())
    sq.conn.execute("INSERT INTO outbox (command_key, kind, payload) VALUES (?, 'marketplace_approve', ?)", (k2, pay))
    s_msg = p_msg = None
    try:
        sq.product.execute("UPDATE outbox SET payload = '{}' WHERE command_key = ?", (k2,))
    except sqlite3.Error as e:
        s_msg = str(e)
    try:
        conn.execute("UPDATE outbox SET payload = '{}' WHERE command_key = $1", [k2])
    except PGError as e:
        p_msg = e.message
    check("UPDATE of a queued payload: the same message as SQLite's outbox_immutable", s_msg and s_msg == p_msg, p_msg or "")
    try:
        conn.execute("UPDATE outbox SET command_key = upper(command_key::text) WHERE command_key = $1", [k2])
        check("UPDATE of the key's case only is allowed, as SQLite's NOCASE comparison allows it", True)
    except PGError as e:
        check("UPDATE of the key's case only is allowed, as SQLite's NOCASE comparison allows it", False, e.message)
    os.remove(sq.path)

    # OVERRIDING SYSTEM VALUE: the trigger refuses the id with SQLite's message.
    try:
        conn.execute("INSERT INTO outbox (id, command_key, kind, payload) OVERRIDING SYSTEM VALUE "
                     "VALUES (1000000, $1, 'marketplace_approve', '{}')", [str(uuid.uuid4())])
        check("OVERRIDING SYSTEM VALUE id refused with SQLite's message", False, "accepted")
    except PGError as e:
        check("OVERRIDING SYSTEM VALUE id refused with SQLite's message",
              e.message == "outbox: id is assigned by SQLite; a producer never writes it", e.message)
    # Schema/postgres/examples/insert-one-of-each.sql: what its README shows, and it runs twice as a
    # producer, storing one row per kind.
    example = open(os.path.join(ROOT, "Schema", "postgres", "examples", "insert-one-of-each.sql"), encoding="utf-8").read()
    readme = open(os.path.join(ROOT, "Schema", "postgres", "README.md"), encoding="utf-8").read()
    block = readme.split("## One INSERT per kind", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    statements = example[example.index("-- A sale on"):]
    check("Schema/postgres/README.md shows examples/insert-one-of-each.sql statement for statement",
          block.strip() == statements.strip())
    fresh = PGSide(libpq, args.dsn, dbname + "_examples", True, False, args.keep)
    try:
        for attempt in (1, 2):
            for statement in split_statements(statements):
                fresh.conn.execute(statement)
        fresh.conn.execute("RESET ROLE")
        rows, _ = fresh.conn.execute("SELECT count(DISTINCT kind) FROM outbox")
        check("the PostgreSQL examples run twice as outbox_producer: one row per kind", rows[0][0] == "10", rows[0][0])
    except PGError as e:
        check("the PostgreSQL examples run twice as outbox_producer: one row per kind", False, e.message)
    fresh.close()
    other.close()
    pg.close()
    return checks


# ------------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", default="", help="libpq connection string or URI of a role that may CREATE DATABASE "
                                                  "and CREATEROLE (default: PG* environment variables)")
    parser.add_argument("--start-cluster", action="store_true", help="run a throwaway server under /tmp for this check")
    parser.add_argument("--port", type=int, default=54331, help="its port (with --start-cluster)")
    parser.add_argument("--seed", type=int, default=14, help="seed of the generated rows (default 14)")
    parser.add_argument("--bind", choices=["untyped", "typed"], default="untyped",
                        help="text parameters as type unknown (psycopg 3, psql literals; default) or as text (JDBC setString)")
    parser.add_argument("--mixes", type=int, default=400, help="generated rows with two or three mutations (default 400)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases and the SQLite file")
    parser.add_argument("--verbose", action="store_true", help="also list every expected difference")
    args = parser.parse_args()

    stop = None
    if args.start_cluster:
        args.dsn, stop, _ = start_cluster(args.port)
    try:
        return check(args)
    finally:
        if stop:
            stop()


def check(args):
    libpq = LibPQ()
    cases = []
    cases += rows_from_file(os.path.join(ROOT, "Tests", "Fixtures", "poison-rows.sql"), "poison-rows.sql")
    cases += rows_from_file(os.path.join(ROOT, "Schema", "examples", "insert-one-of-each.sql"), "examples")
    worker_example = os.path.join(ROOT, "Tests", "OutboxWorkerTests", "insert-one-of-each.sql")
    if os.path.exists(worker_example):
        cases += rows_from_file(worker_example, "worker example")
    readme = readme_block()
    cases += rows_from_file(readme, "README")
    os.remove(readme)
    cases += Generator(args.seed).generate(args.mixes)

    print("pg-contract-check: %d cases, %d INSERTs, seed %d, text parameters %s" % (
        len(cases), sum(len(c.steps) for c in cases), args.seed, args.bind))
    if not os.path.exists(worker_example):
        print("  (no %s: the one-of-each file is Schema/examples/insert-one-of-each.sql)" % os.path.relpath(worker_example, ROOT))

    owner, sqlite_outcomes, stored_diffs = run_pass("owner", cases, libpq, args, producer_pass=False)
    producer, _, _ = run_pass("producer", cases, libpq, args, producer_pass=True, sqlite_outcomes=sqlite_outcomes)
    extras = extra_checks(libpq, args)
    if not args.keep:
        os.remove("/tmp/pg-contract-check-%d.sqlite" % os.getpid())

    failed = False
    for name, results in [("owner", owner), ("producer", producer)]:
        print("\npass %s (%s)" % (name, "schema owner: every trigger check" if name == "owner"
                                  else "SET ROLE outbox_producer: privileges first"))
        print("  %-16s %7s %7s %9s %9s %10s" % ("source", "INSERTs", "match", "expected", "mismatch", "SQLite ok"))
        sources = []
        for r in results:
            if r[0].source not in sources:
                sources.append(r[0].source)
        for source in sources + ["total"]:
            rs = [r for r in results if source == "total" or r[0].source == source]
            print("  %-16s %7d %7d %9d %9d %10d" % (
                source, len(rs), sum(r[6] == "match" for r in rs), sum(r[6] == "expected" for r in rs),
                sum(r[6] == "mismatch" for r in rs), sum(r[4][0] != "refused" for r in rs)))
        by_note = {}
        for r in results:
            if r[6] == "expected":
                for n in r[7]:
                    by_note[n] = by_note.get(n, 0) + 1
        refused_same = sum(1 for r in results if r[6] == "match" and r[4][0] == "refused")
        print("  refused by both with the same message: %d; accepted/skipped alike: %d" % (
            refused_same, sum(1 for r in results if r[6] == "match" and r[4][0] != "refused")))
        if by_note:
            print("  expected differences: " + ", ".join("%s %d" % kv for kv in sorted(by_note.items())))
        laxer = [r for r in results if r[6] == "expected" and r[5][0] != "refused"]
        if laxer:
            print("  of which PostgreSQL accepted what SQLite refused: %d (%s)" % (
                len(laxer), ", ".join(sorted({n for r in laxer for n in r[7] if EXPECTED[n]["pg_may_accept"]}))))
        bad = [r for r in results if r[6] == "mismatch"]
        if bad:
            failed = True
            print("\n  MISMATCHES (%d):" % len(bad))
            print("  %-58s | %-55s | %s" % ("case", "SQLite", "PostgreSQL"))
            for case, step, verb, columns, s, p, verdict, notes in bad:
                print("  %-58s | %-55s | %s" % (("%s [%d %s]" % (case.label, step + 1, verb))[:58],
                                                outcome_text(s)[:55], outcome_text(p)[:110]))
        if args.verbose:
            for case, step, verb, columns, s, p, verdict, notes in results:
                if verdict == "expected":
                    print("  expected  %-50s %-40s | %s  {%s}" % (case.label[:50], outcome_text(s)[:40], outcome_text(p)[:70], ",".join(notes)))

    counts = getattr(compare_stored, "counts", {"rows": 0, "terminals": 0})
    print("\nstored rows (owner pass, %d rows stored by both, %d terminals compared): %s" % (
        counts["rows"], counts["terminals"], "the same producer values in both engines" if not stored_diffs else
        "%d differences" % len(stored_diffs)))
    for key, what in stored_diffs[:40]:
        print("  %s  %s" % (key[:40], what[:140]))
    if stored_diffs:
        failed = True

    print("\nchecks beyond rows:")
    for name, ok, detail in extras:
        print("  %-4s %s%s" % ("ok" if ok else "FAIL", name, ("  (%s)" % detail[:100]) if detail and not ok else ""))
        failed |= not ok

    print("\nexpected differences (EXPECTED in this script):")
    for name, entry in EXPECTED.items():
        print("  %-20s %s" % (name, entry["reason"]))
    print("\n%s" % ("MISMATCHES FOUND" if failed else "no mismatches"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
