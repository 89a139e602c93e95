#!/usr/bin/env python3
"""Feeds the same producer rows to a database at schema 006 (the refusals as released) and one at
the latest schema, and requires identical results: the same row accepted with the same id, or
ignored, or refused with the identical error (message and SQLite error name). Exits 1 on any
difference, printing the first few; also compares the stored outbox rows at the end.

    python3 tools/refusal-equivalence.py                 # seed 7, 8,000 generated rows
    python3 tools/refusal-equivalence.py --seed 123 --rows 10000
    python3 tools/refusal-equivalence.py --try FILE.sql  # 006 against 006 + FILE.sql (an experiment)

Rows, in this order, through one producer connection per database (autocommit, busy_timeout):
  1. Tests/Fixtures/poison-rows.sql, statement by statement (rows a pre-003 database could hold);
  2. Schema/examples/insert-one-of-each.sql, twice (the second run repeats every key);
  3. per kind, the README's valid row and mutations of it, one column or one payload field at a
     time: NULL, left out, INTEGER, REAL, empty, NUL bytes, text that is not UTF-8 (CAST of a
     blob), BLOBs, look-alike and malformed GUIDs, times at and beyond the limits (seconds,
     microseconds, negative, 64-bit extremes, REAL, text), worker columns and ids, JSON edge
     cases (not JSON, not an object, duplicate keys, nested, escaped names and values, numbers as
     strings, amounts with many decimals, exponents, beyond 64 bits, sizes around 65536 bytes);
  4. seeded random rows that combine two or three of those mutations.
Each row goes through one of the four insert verbs (INSERT, INSERT OR IGNORE, INSERT ... ON
CONFLICT (command_key) DO NOTHING, INSERT OR REPLACE), with and without RETURNING, and a share of
them is repeated under the same key: identical, with another verb, in other case, or changed.
Values are bound as parameters as Tests/Fixtures/sqlite_row_writer.py binds them ("text_hex" is
bytes CAST to TEXT in SQL, so TEXT that is not UTF-8).
"""
import argparse
import json
import os
import random
import re
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outbox_testdb as T  # noqa: E402

VERBS = {
    "insert": "INSERT INTO outbox ({cols}) VALUES ({vals})",
    "insert_or_ignore": "INSERT OR IGNORE INTO outbox ({cols}) VALUES ({vals})",
    "on_conflict_do_nothing": "INSERT INTO outbox ({cols}) VALUES ({vals}) ON CONFLICT (command_key) DO NOTHING",
    "insert_or_replace": "INSERT OR REPLACE INTO outbox ({cols}) VALUES ({vals})",
}
WORKER_COLUMNS = ["state", "generation", "attempts", "due_at", "needs_reconcile", "lease_owner", "lease_expires_at",
                  "last_error", "paywall_payment_request_id", "accepted_at", "finished_at", "updated_at"]
EARLIEST, LATEST = 946_684_800_000, 4_102_444_800_000
STORED_COLUMNS = ["id", "command_key", "kind", "payload", "sale_key", "payment_request_id", "not_before", "deadline",
                  "created_at", "terminal"] + WORKER_COLUMNS


# ---------------------------------------------------------------------------------------------
# Values: (type, value) as sqlite_row_writer.py has them.

def null():
    return ("null", None)


def i(v):
    return ("int", int(v))


def real(v):
    return ("real", float(v))


def text(v):
    return ("text", v)


def text_hex(b):
    return ("text_hex", bytes(b))


def blob(b):
    return ("blob", bytes(b))


def bind(value):
    kind, v = value
    if kind == "text_hex":
        return "CAST(? AS TEXT)", v
    return "?", v


class Row:
    """An INSERT: ordered columns with values, a verb, RETURNING or not, and a note."""

    def __init__(self, columns, verb="insert", returning=False, note=""):
        self.columns = list(columns)
        self.verb = verb
        self.returning = returning
        self.note = note

    def statement(self):
        names = [n for n, _ in self.columns]
        marks, params = [], []
        for _, v in self.columns:
            m, p = bind(v)
            marks.append(m)
            params.append(p)
        if names:
            sql = VERBS[self.verb].format(cols=", ".join(names), vals=", ".join(marks))
        else:
            sql = VERBS[self.verb].replace("({cols}) VALUES ({vals})", "DEFAULT VALUES")
        if self.returning:
            sql += " RETURNING id"
        return sql, params

    def describe(self):
        shown = []
        for n, (t, v) in self.columns:
            if isinstance(v, (bytes, str)) and len(v) > 80:
                v = "%r... (%d long)" % (v[:60], len(v))
            shown.append("%s=%s:%r" % (n, t, v))
        return "%s%s %s [%s]" % (self.verb, " RETURNING" if self.returning else "", ", ".join(shown), self.note)


# ---------------------------------------------------------------------------------------------
# Valid rows and mutations.

def as_columns(row):
    out = []
    for name in T.PRODUCER_COLUMNS:
        if name in row:
            v = row[name]
            out.append((name, i(v) if isinstance(v, int) else text(v)))
    return out


def set_col(columns, name, value):
    """A copy of columns with `name` set to `value` (None: left out)."""
    out = [(n, v) for n, v in columns if n != name]
    if value is not None:
        out.append((name, value))
    return out


def get_text(columns, name):
    for n, (t, v) in columns:
        if n == name and t == "text":
            return v
    return None


def full_width(s):
    return "".join(chr(ord(c) - 0x30 + 0xFF10) if "0" <= c <= "9" else c for c in s)


def guid_variants(g, rng):
    """(value, note) for a GUID column or a GUID payload field: valid spellings and malformed ones."""
    other = T.guid(rng)
    return [
        (text(g), "as is"), (text(g.upper()), "upper case"), (text(" " + g), "padded"),
        (text(g + " "), "trailing space"), (text(g + "\n"), "+ newline"), (text(g + "\x00"), "+ NUL"),
        (text(g + "\x00tail"), "+ NUL + tail"), (text(g[:-1] + "\x00"), "35 chars + NUL"),
        (text("\x00" + g), "NUL first"), (text(g.replace("a", "\u0430")), "Cyrillic a"),
        (text(full_width(g)), "full-width digits"), (text(g[:8] + "\u200b" + g[8:]), "zero-width space"),
        (text("\u202e" + g), "bidi override"), (text(g[:-1]), "35 chars"), (text(g + "0"), "37 chars"),
        (text(g.replace("-", "")), "no hyphens"), (text(g.replace("-", "_")), "underscores"),
        (text("00000000-0000-0000-0000-000000000000"), "zero GUID"), (text(other), "another GUID"),
        (text("g" + g[1:]), "non-hex letter"), (text(g[:8] + "-" + g[9:]), "hyphen doubled"),
        (text(""), "empty"), (null(), "NULL"), (None, "left out"), (i(42), "INTEGER"), (real(1.5), "REAL"),
        (text("12"), "digits as text"), (blob(g.encode()), "GUID as a BLOB"),
        (blob(b"\xff\xfe\x00\xc3\x28"), "BLOB not UTF-8"),
        (text_hex(g.encode()[:-2] + b"\xc3\x28"), "TEXT not UTF-8"),
        (text_hex(g.encode()), "GUID through CAST(blob AS TEXT)"),
        (text_hex(g.encode() + b"\x00"), "CAST GUID + NUL"),
        (text(g + "0" * 2000), "2 KB key"),
    ]


def time_variants(now):
    return [
        (i(now), "now"), (i(EARLIEST), "2000-01-01 exactly"), (i(EARLIEST - 1), "just before 2000"),
        (i(LATEST - 1), "just before 2100"), (i(LATEST), "2100-01-01 exactly"), (i(now // 1000), "seconds"),
        (i(now * 1000), "microseconds"), (i(0), "0"), (i(-1), "-1"), (i(-(2 ** 63)), "Int64.min"),
        (i(2 ** 63 - 1), "Int64.max"), (real(now + 0.5), "REAL with a fraction"), (real(float(now)), "REAL whole"),
        (real(float("inf")), "REAL inf"), (real(float("-inf")), "REAL -inf"), (text(str(now)), "digits as TEXT"),
        (text(" %d" % now), "digits padded"), (text("2026-11-21T10:00:00Z"), "ISO text"), (text(""), "empty text"),
        (blob(b"\x01\x02"), "BLOB"), (null(), "NULL"), (None, "left out"), (text(str(now) + "\x00"), "digits + NUL"),
    ]


# JSON values a field may get: (raw JSON text, note).
JSON_EDGES = [
    ('""', "empty string"), ('null', "null"), ('true', "true"), ('false', "false"), ('0', "0"), ('1', "1"),
    ('-1', "-1"), ('-0', "-0"), ('0.00', "0.00"), ('22.10', "22.10"), ('10.005', "3 decimals"),
    ('0.1000000000000000055511151231257827', "many decimals"), ('1e1', "1e1"), ('1.5E+2', "1.5E+2"),
    ('2.2e-1', "2.2e-1"), ('1e400', "1e400"), ('1e-400', "1e-400"), ('-1e400', "-1e400"),
    ('99999999999999999999999.99', "beyond 64 bits"), ('9223372036854775807', "Int64.max"),
    ('9223372036854775808', "2^63"), ('-9223372036854775809', "below Int64.min"), ('"10.00"', "number as a string"),
    ('"abc"', "a word"), ('[1]', "an array"), ('{}', "an object"), ('{"a":1}', "an object with a member"),
    ('[[[[[[[[[[1]]]]]]]]]]', "nested arrays"), ('"\\u0000"', "escaped NUL"), ('"x\\u0000y"', "escaped NUL inside"),
    ('"\\ud800"', "lone surrogate escape"), ('"\\u00e9"', "escaped e-acute"), ('"Caf\u00e9"', "raw e-acute"),
    ('"\\/x\\""', "escaped slash and quote"), ('" "', "a space"),
]
# Not JSON at all, put where a value belongs.
JSON_BROKEN = [('00.5', "leading zero"), ('NaN', "NaN"), ('.5', "no leading digit"), ('1.', "trailing dot"),
               ("'x'", "single quotes"), ('"unterminated', "unterminated string"), ('tru', "truncated true")]


def render(members):
    return "{" + ",".join('"%s":%s' % (k, v) for k, v in members) + "}"


def payload_members(kind, key, rng):
    """The JSON members of the valid payload of `kind` (raw JSON values), and whether it is a sale."""
    if kind == "async_sale":
        return [("TerminalTagCode", '"STORE1-TILL2"'), ("MerchantUniqueCode", '"%s"' % key), ("Amount", "22.10"),
                ("CurrencyId", "1"), ("DisplayCode", '"R-1042"'),
                ("Products", '[{"Name":"Coffee","TaxGroupId":10,"UnitCodeId":1,"Amount":11.05,"Quantity":2}]')]
    if kind == "sync_sale":
        return [("TerminalId", '"0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40"'), ("MerchantUniqueCode", '"%s"' % key),
                ("Amount", "150"), ("CurrencyId", "1"), ("SendNotificationDeviceDisconnected", "true"),
                ("Products", '[{"Name":"Haircut","TaxGroupId":20,"UnitCodeId":4,"Amount":150,"Quantity":1}]')]
    if kind == "sync_cancel":
        return [("SendNotificationDeviceDisconnected", "true")]
    if kind in ("async_cancel", "sync_sale_rollback", "sync_cancel_rollback"):
        return []
    if kind == "async_pair_request":
        return [("TerminalTagCode", '"STORE1-TILL2"')]
    if kind == "async_pair_confirm":
        return [("PairAsyncRequestId", '"%s"' % T.guid(rng))]
    if kind == "sync_pair_request":
        return [("TerminalId", '"0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40"')]
    if kind == "marketplace_approve":
        return [("PaymentId", "48213")]
    raise ValueError(kind)


def base_row(kind, rng):
    """A valid row of `kind` (columns) and its payload members."""
    row = T.valid_row(kind, rng)
    members = payload_members(kind, row["command_key"], rng)
    row["payload"] = render(members)
    return as_columns(row), members


def payload_mutations(kind, members, key, rng):
    """(members or raw payload value, note): one payload field changed at a time."""
    out = []
    names = [k for k, _ in members]
    fields = set(names) | {"MerchantUniqueCode", "Amount", "TerminalId", "TerminalTagCode", "PaymentRequestId"}
    for field in sorted(fields):
        for value, note in JSON_EDGES + JSON_BROKEN:
            m = [(k, value if k == field else v) for k, v in members]
            if field not in names:
                m.append((field, value))
            out.append((m, "%s = %s" % (field, note)))
        if field in names:
            out.append(([(k, v) for k, v in members if k != field], "%s removed" % field))
            first = [(k, v) for k, v in members if k == field][0]
            out.append((members + [(field, '"dup"')], "%s twice (second a string)" % field))
            out.append(([(field, '"dup"')] + members, "%s twice (first a string)" % field))
            out.append((members + [first], "%s twice, same value" % field))
            out.append(([(k, v) for k, v in members if k != field] + [("Nested", render([first]))],
                        "%s only nested" % field))
            out.append(([(k.lower() if k == field else k, v) for k, v in members], "%s in lower case" % field))
            esc = "\\u%04x" % ord(field[0]) + field[1:]
            out.append(([(esc if k == field else k, v) for k, v in members], "%s name escaped" % field))
    # The sale's MerchantUniqueCode in other spellings.
    if kind.endswith("_sale"):
        for value, note in guid_variants(key, rng):
            if value is None or value[0] not in ("text",):
                continue
            out.append(([(k, json.dumps(value[1]) if k == "MerchantUniqueCode" else v) for k, v in members],
                        "MerchantUniqueCode %s" % note))
        esc = "".join("\\u%04x" % ord(c) for c in key[:4]) + key[4:]
        out.append(([(k, '"%s"' % esc if k == "MerchantUniqueCode" else v) for k, v in members],
                    "MerchantUniqueCode with escaped digits"))
        out.append(([(k, '"%s\\u0000"' % key if k == "MerchantUniqueCode" else v) for k, v in members],
                    "MerchantUniqueCode + escaped NUL"))
        out.append(([(k, '"%s\\u0000x"' % key.upper() if k == "MerchantUniqueCode" else v) for k, v in members],
                    "MerchantUniqueCode upper + escaped NUL + x"))
        out.append(([(k, v) for k, v in members if k not in ("TerminalId", "TerminalTagCode")]
                    + [("TerminalId", '"0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40"'), ("TerminalTagCode", '"T"')],
                    "both terminal fields"))
        out.append(([(k, v) for k, v in members if k not in ("TerminalId", "TerminalTagCode")],
                    "no terminal field"))
        out.append(([(k, v) for k, v in members if k not in ("TerminalId", "TerminalTagCode")]
                    + [("TerminalId", "null"), ("TerminalTagCode", '"T"')], "TerminalId null, TerminalTagCode set"))
    # Whole payloads.
    text_payload = render(members)
    for raw, note in [("", "empty"), ("{", "not JSON"), ("[]", "an array"), ("null", "null"), ('"{}"', "a string"),
                      ("{}", "empty object"), (" " + text_payload, "leading space"),
                      (text_payload + " \n\t", "trailing whitespace"), ("\ufeff" + text_payload, "after a BOM"),
                      (text_payload + "\x00garbage", "+ NUL + garbage"), (text_payload + "x", "+ trailing x"),
                      (text_payload + text_payload, "twice"), ("[" + text_payload + "]", "in an array"),
                      ("1", "a number")]:
        out.append((text(raw), "payload %s" % note))
    out.append((blob(text_payload.encode()), "payload as a UTF-8 BLOB"))
    out.append((blob(b"\x7b\x22\xc3\x28"), "payload BLOB not UTF-8"))
    out.append((text_hex(text_payload[:-1].encode() + b',"Note":"\xff\xfe\x41"}'), "payload TEXT not UTF-8 in a member"))
    out.append((text_hex(text_payload[:-1].encode() + b',"Note":"\xed\xa0\x80"}'), "payload TEXT with an encoded surrogate"))
    if kind.endswith("_sale"):
        k = key.encode()
        out.append((text_hex(text_payload.encode().replace(k, k[:9] + b"\xff" + k[10:])),
                    "payload TEXT with a byte not UTF-8 in MerchantUniqueCode"))
    out.append((i(7), "payload INTEGER"))
    out.append((real(-0.0), "payload REAL"))
    out.append((null(), "payload NULL"))
    out.append((None, "payload left out"))
    # Sizes around the 65536-byte limit (in bytes of UTF-8).
    for size, note in [(65536, "exactly 65536 bytes"), (65537, "65537 bytes"), (65535, "65535 bytes")]:
        head = text_payload[:-1] + (',"Filler":"' if members else '"Filler":"')
        fill = size - len(head.encode()) - 2
        out.append((text(head + "x" * fill + '"}'), "payload %s" % note))
        if fill > 2:
            # the same byte count with a 2-byte character: 1 character fewer
            out.append((text(head + "\u00e9" + "x" * (fill - 2) + '"}'), "payload %s with a 2-byte character" % note))
    big = text_payload[:-1] + (',"Filler":"' if members else '"Filler":"') + "x" * 200_000 + '"}'
    out.append((text(big), "payload of 200 KB"))
    return out


def mutations(kind, rng, now):
    """(columns, note) for one valid row of `kind` and its single mutations."""
    columns, members = base_row(kind, rng)
    key = get_text(columns, "command_key")
    out = [(columns, "valid")]
    # command_key (for a sale the payload follows, so the row differs only in the key column).
    for value, note in guid_variants(key, rng):
        out.append((set_col(columns, "command_key", value), "command_key %s" % note))
    # kind
    for value, note in [(text(kind.upper()), "upper case"), (text(" " + kind), "padded"), (text(kind + "\x00x"), "+ NUL"),
                        (text(kind + "\x00"), "+ NUL at end"), (text("async_refund"), "unknown"), (text(""), "empty"),
                        (null(), "NULL"), (None, "left out"), (i(1), "INTEGER"), (blob(kind.encode()), "BLOB"),
                        (text_hex(kind.encode()), "CAST of its bytes"), (text_hex(kind.encode()[:-1] + b"\xff"), "not UTF-8")]:
        out.append((set_col(columns, "kind", value), "kind %s" % note))
    for other in T.KINDS:
        if other != kind:
            out.append((set_col(columns, "kind", text(other)), "kind %s with this payload" % other))
    # payload
    for value, note in payload_mutations(kind, members, key, rng):
        if isinstance(value, list):
            value = text(render(value))
        out.append((set_col(columns, "payload", value), note))
    # sale_key, payment_request_id
    ref = T.guid(rng)
    for col in ("sale_key", "payment_request_id"):
        for value, note in guid_variants(ref, rng):
            out.append((set_col(set_col(columns, "sale_key", None), "payment_request_id", None) + (
                [(col, value)] if value is not None else []), "%s %s (the other left out)" % (col, note)))
    out.append((set_col(set_col(columns, "sale_key", text(ref)), "payment_request_id", text(T.guid(rng))),
                "both sale_key and payment_request_id"))
    out.append((set_col(set_col(columns, "sale_key", null()), "payment_request_id", null()), "both NULL"))
    out.append((set_col(set_col(columns, "sale_key", text(ref)), "payment_request_id", text("x")),
                "sale_key and a bad payment_request_id"))
    # times
    for col in ("created_at", "not_before", "deadline"):
        for value, note in time_variants(now):
            out.append((set_col(columns, col, value), "%s %s" % (col, note)))
    for nb, dl, note in [(now + 1, now, "not_before 1 ms after deadline"), (now, now, "not_before = deadline"),
                         (LATEST - 1, EARLIEST, "not_before 2100, deadline 2000"),
                         (LATEST, EARLIEST - 1, "both out of range, not_before later")]:
        out.append((set_col(set_col(columns, "not_before", i(nb)), "deadline", i(dl)), note))
    # worker columns: the defaults (allowed) and other values
    for col in WORKER_COLUMNS:
        defaults = {"state": text("pending"), "generation": i(1), "attempts": i(0), "due_at": i(0),
                    "needs_reconcile": i(0)}
        if col in defaults:
            out.append((columns + [(col, defaults[col])], "worker column %s at its default" % col))
            out.append((columns + [(col, text(str(defaults[col][1])))], "worker column %s default as text" % col))
        out.append((columns + [(col, null())], "worker column %s NULL" % col))
        for value in (i(1), i(2), text("succeeded"), text("in_flight"), blob(b"\x01"), real(1.0)):
            out.append((columns + [(col, value)], "worker column %s = %r" % (col, value[1])))
    # id
    for value, note in [(i(1), "1"), (i(0), "0"), (i(-1), "-1"), (i(-7), "-7"), (i(2 ** 63 - 1), "Int64.max"),
                        (i(10 ** 6), "10^6"), (text("abc"), "text"), (text("5"), "digits as text"), (real(2.5), "REAL"),
                        (real(3.0), "REAL whole"), (null(), "NULL"), (blob(b"\x01"), "BLOB")]:
        out.append(([("id", value)] + columns, "id %s" % note))
    # column order shuffled, and nothing at all
    shuffled = list(columns)
    rng.shuffle(shuffled)
    out.append((shuffled, "columns shuffled"))
    out.append(([], "DEFAULT VALUES"))
    return out


def key_spellings(k):
    """The spellings of key k that mutations derive (longest first), for rekey()."""
    esc = "".join("\\u%04x" % ord(c) for c in k[:4]) + k[4:]
    return [esc, k.upper(), full_width(k), k.replace("a", "\u0430"), k[:8] + "\u200b" + k[8:],
            k.replace("-", "_"), k.replace("-", ""), k, k[:-1]]


def rekey(columns, old, new):
    """columns with every spelling of key `old` (in any text or bytes value) replaced by the same
    spelling of `new`: each mutation gets a key of its own, so it is judged on its own merits
    rather than as a repeat of the valid row."""
    pairs = list(zip(key_spellings(old), key_spellings(new)))
    out = []
    for n, (t, v) in columns:
        if isinstance(v, str):
            for a, b in pairs:
                v = v.replace(a, b)
        elif isinstance(v, bytes):
            for a, b in pairs:
                v = v.replace(a.encode(), b.encode())
        out.append((n, (t, v)))
    return out


def sale_key_pairs(rng):
    """Sales whose command_key and payload MerchantUniqueCode are spelled apart in small ways
    (each with keys of its own): the same GUID in other cases, one digit off, escapes, NULs."""
    out = []

    def mixed(g):
        return "".join(c.upper() if n % 2 else c for n, c in enumerate(g))

    def bump(g, at):
        c = g[at]
        return g[:at] + ("0" if c != "0" else "1") + g[at + 1:]

    pairs = [
        (lambda g: g, lambda g: g.upper(), "MerchantUniqueCode upper case"),
        (lambda g: g.upper(), lambda g: g, "command_key upper case"),
        (lambda g: mixed(g), lambda g: g, "command_key mixed case"),
        (lambda g: g, lambda g: mixed(g).swapcase(), "MerchantUniqueCode mixed case"),
        (lambda g: g, lambda g: bump(g, 35), "last digit differs"),
        (lambda g: g, lambda g: bump(g, 0), "first digit differs"),
        (lambda g: g, lambda g: bump(g, 20), "a middle digit differs"),
        (lambda g: g, lambda g: g[:-1], "MerchantUniqueCode 35 characters"),
        (lambda g: g[:-1] + "g", lambda g: g, "command_key not hex (refused first)"),
        (lambda g: g, lambda g: g + "\x00", "MerchantUniqueCode + NUL"),
        (lambda g: g.upper(), lambda g: g + "\x00", "upper key, MerchantUniqueCode + NUL"),
        (lambda g: g, lambda g: g[:-1] + "\x00", "MerchantUniqueCode 35 characters + NUL"),
        (lambda g: g, lambda g: g + " ", "MerchantUniqueCode + space"),
        (lambda g: g, lambda g: "\u212a" + g[1:], "MerchantUniqueCode with a Kelvin sign"),
        (lambda g: g, lambda g: g.replace("-", "\u2010"), "MerchantUniqueCode with Unicode hyphens"),
    ]
    for kind in ("async_sale", "sync_sale"):
        for key_of, muc_of, note in pairs:
            g = T.guid(rng)
            columns, members = base_row(kind, rng)
            members = [(k, json.dumps(muc_of(g)) if k == "MerchantUniqueCode" else v) for k, v in members]
            columns = set_col(set_col(columns, "command_key", text(key_of(g))), "payload", text(render(members)))
            out.append((kind, columns, note))
            # The same with the MerchantUniqueCode's first characters written as JSON escapes.
            g = T.guid(rng)
            columns, members = base_row(kind, rng)
            quoted = json.dumps(muc_of(g))
            esc = '"' + "".join("\\u%04x" % ord(c) for c in muc_of(g)[:3]) + quoted[4:]
            members = [(k, esc if k == "MerchantUniqueCode" else v) for k, v in members]
            columns = set_col(set_col(columns, "command_key", text(key_of(g))), "payload", text(render(members)))
            out.append((kind, columns, note + ", escaped"))
        # MerchantUniqueCode bytes that are not UTF-8, through CAST(blob AS TEXT).
        g = T.guid(rng)
        columns, members = base_row(kind, rng)
        raw = render([(k, '"%s"' % g if k == "MerchantUniqueCode" else v) for k, v in members]).encode()
        for bad, note in [(g.encode()[:35] + b"\xff", "last byte 0xFF"), (g.encode() + b"\xc3", "a truncated sequence after it")]:
            out.append((kind, set_col(set_col(columns, "command_key", text(g)), "payload",
                                      text_hex(raw.replace(g.encode(), bad))), "MerchantUniqueCode " + note))
    return out


def verb_for(rng):
    return rng.choice(list(VERBS))


def generated_rows(seed, target):
    rng = random.Random(seed)
    now = 1_790_000_000_000
    singles = []
    for kind in T.KINDS:
        base = None
        for columns, note in mutations(kind, rng, now):
            if base is None:
                base = get_text(columns, "command_key")
            else:
                columns = rekey(columns, base, T.guid(rng))
            singles.append((kind, columns, note))
    singles += sale_key_pairs(rng)
    rows = []
    for kind, columns, note in singles:
        rows.append(Row(columns, verb_for(rng), rng.random() < 0.3, "%s: %s" % (kind, note)))
    # Repeats under a key already used: identical, other verbs, other case, changed.
    stored = [r for r in rows if r.note.endswith(": valid")]
    for r in stored:
        for verb in VERBS:
            for returning in (False, True):
                rows.append(Row(r.columns, verb, returning, r.note + " again (%s)" % verb))
        key = get_text(r.columns, "command_key")
        rows.append(Row(set_col(r.columns, "command_key", text(key.upper())), "insert", False,
                        r.note + " again, key upper case"))
        for verb in VERBS:
            changed = set_col(r.columns, "payload", text(get_text(r.columns, "payload") + " "))
            rows.append(Row(changed, verb, False, r.note + " again with a changed payload (%s)" % verb))
            rows.append(Row(set_col(r.columns, "deadline", i(now + 5)), verb, False,
                            r.note + " again with another deadline (%s)" % verb))
            rows.append(Row(set_col(r.columns, "created_at", text("yesterday")), verb, False,
                            r.note + " again with a text created_at (%s)" % verb))
            rows.append(Row(r.columns + [("state", text("succeeded"))], verb, False,
                            r.note + " again setting state (%s)" % verb))
            rows.append(Row([("id", i(1))] + r.columns, verb, False, r.note + " again with id 1 (%s)" % verb))
            other_kind = "async_pair_request" if "sale" in r.note else "marketplace_approve"
            rows.append(Row(set_col(r.columns, "kind", text(other_kind)), verb, False,
                            r.note + " again as %s (%s)" % (other_kind, verb)))
    # Random combinations of two or three single mutations of the same kind, some reusing keys.
    by_kind = {}
    for kind, columns, note in singles:
        by_kind.setdefault(kind, []).append((columns, note))
    keys = [get_text(r.columns, "command_key") for r in stored]
    while len(rows) < target:
        kind = rng.choice(T.KINDS)
        picks = rng.sample(by_kind[kind], rng.choice([2, 3]))
        merged = dict()
        order = []
        notes = []
        for columns, note in picks:
            for n, v in columns:
                if n not in merged:
                    order.append(n)
                merged[n] = v
            notes.append(note)
        columns = [(n, merged[n]) for n in order]
        if rng.random() < 0.15:
            columns = set_col(columns, "command_key", text(rng.choice(keys)))
            notes.append("an earlier key")
        rows.append(Row(columns, verb_for(rng), rng.random() < 0.3, "%s: %s" % (kind, " + ".join(notes))))
    return rows


# ---------------------------------------------------------------------------------------------

def sql_statements(path):
    with open(path, encoding="utf-8") as f:
        text_ = f.read()
    text_ = "\n".join(l for l in text_.splitlines() if not l.startswith("."))
    return [s for s in T.split_sql(text_) if re.search(r"\bINSERT\b", s, re.I)]


def outcome(conn, sql, params=()):
    try:
        rows = conn.execute(sql, params).fetchall()
        return ("ok", conn.execute("SELECT changes()").fetchone()[0], [tuple(r) for r in rows])
    except sqlite3.Error as e:
        return ("error", getattr(e, "sqlite_errorname", type(e).__name__), str(e))
    except (OverflowError, ValueError) as e:
        return ("python", type(e).__name__, str(e))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rows", type=int, default=8000, help="generated rows, at least (default 8000)")
    ap.add_argument("--try", dest="try_file", help="compare 006 with 006 + this SQL file instead of the latest schema")
    ap.add_argument("--show", type=int, default=10, help="differences to print (default 10)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every message seen with its count")
    args = ap.parse_args()

    latest = T.latest_version()
    if not args.try_file and latest <= 6:
        sys.exit("refusal-equivalence: there is no schema after 006 to compare")
    with tempfile.TemporaryDirectory(prefix="refusal-equivalence-") as d:
        a_path, b_path = os.path.join(d, "before.db"), os.path.join(d, "after.db")
        T.build(a_path, upto=6)
        if args.try_file:
            T.build(b_path, upto=6, extra_sql=open(args.try_file, encoding="utf-8").read())
            b_name = "006 + " + args.try_file
        else:
            T.build(b_path)
            b_name = "%03d" % latest
        a, b = T.producer_connection(a_path), T.producer_connection(b_path)

        cases = []  # (label, sql, params)
        for n, s in enumerate(sql_statements(os.path.join(T.ROOT, "Tests", "Fixtures", "poison-rows.sql")), 1):
            cases.append(("poison-rows.sql #%d" % n, s, ()))
        n_poison = len(cases)
        examples = sql_statements(os.path.join(T.SCHEMA_DIR, "examples", "insert-one-of-each.sql"))
        for run in (1, 2):
            for n, s in enumerate(examples, 1):
                cases.append(("insert-one-of-each.sql #%d (run %d)" % (n, run), s, ()))
        n_examples = len(cases) - n_poison
        generated = generated_rows(args.seed, args.rows)
        for n, r in enumerate(generated, 1):
            sql, params = r.statement()
            cases.append(("generated #%d: %s" % (n, r.describe()), sql, params))

        started_ms = int(time.time() * 1000)
        differences = []
        seen = {}
        accepted = ignored = 0
        for label, sql, params in cases:
            ra, rb = outcome(a, sql, params), outcome(b, sql, params)
            if ra != rb:
                differences.append((label, ra, rb))
            if ra[0] == "ok":
                if ra[1]:
                    accepted += 1
                else:
                    ignored += 1
            else:
                seen[ra[2]] = seen.get(ra[2], 0) + 1
        # The stored rows, every column (the generated `terminal` included).
        # Times SQLite filled in during the run (created_at's default, the examples' julianday('now')
        # + n) differ between the two files by the milliseconds between their INSERTs.
        now_ms = int(time.time() * 1000)
        dump = ("SELECT *, CASE WHEN created_at BETWEEN %d AND %d THEN 'now' ELSE created_at END, "
                "CASE WHEN not_before BETWEEN %d AND %d THEN 'now' ELSE not_before END, "
                "CASE WHEN deadline BETWEEN %d AND %d THEN 'now' ELSE deadline END FROM outbox ORDER BY id"
                % ((started_ms - 1000, now_ms + 300_000) * 3))
        dump = dump.replace("SELECT *,", "SELECT %s," % ", ".join(
            c for c in STORED_COLUMNS if c not in ("created_at", "not_before", "deadline")))
        for conn in (a, b):
            conn.text_factory = lambda data: ("text", data)  # TEXT that is not UTF-8 included; BLOBs stay bytes
        stored_a, stored_b = a.execute(dump).fetchall(), b.execute(dump).fetchall()
        stored_same = stored_a == stored_b

    print("refusal-equivalence: schema 006 vs %s, SQLite %s, seed %d" % (b_name, sqlite3.sqlite_version, args.seed))
    print("  rows fed: %d (poison-rows.sql %d, insert-one-of-each.sql twice %d, generated %d)"
          % (len(cases), n_poison, n_examples, len(generated)))
    print("  results in 006: %d inserted, %d ignored (same key), %d refused with %d distinct errors"
          % (accepted, ignored, sum(seen.values()), len(seen)))
    if args.verbose:
        for msg, count in sorted(seen.items(), key=lambda kv: -kv[1]):
            print("    %5d  %s" % (count, msg[:150]))
    print("  stored outbox rows: %d in 006, %d in %s: %s" % (len(stored_a), len(stored_b), b_name,
                                                             "identical" if stored_same else "DIFFERENT"))
    if differences:
        print("  DIFFERENT results: %d rows" % len(differences))
        for label, ra, rb in differences[:args.show]:
            print("    %s\n      006: %r\n      new: %r" % (label[:400], ra, rb))
    else:
        print("  identical results for every row")
    sys.exit(1 if differences or not stored_same else 0)


if __name__ == "__main__":
    main()
