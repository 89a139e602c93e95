"""Writes outbox rows through SQLite's C API (Python's sqlite3 module) in a process of its own,
as a producer in another language would. Used by the row fuzz test (Tests/WorkerCommandTests/
RowFuzzTests.swift); it can also be fed by hand.

Usage: sqlite_row_writer.py DB

Reads one JSON object per line on stdin and answers one JSON line on stdout, in order:

  in:  {"verb": "insert" | "insert_or_ignore" | "on_conflict_do_nothing" | "insert_or_replace",
        "columns": [["command_key", {"t": "text", "v": "..."}], ["created_at", {"t": "int", "v": "1790000000000"}], ...]}
  out: {"ok": true, "id": 12}            inserted, with its row id
       {"ok": true, "id": null}          nothing inserted (OR IGNORE / DO NOTHING skipped it)
       {"ok": false, "error": "outbox: ...", "name": "SQLITE_CONSTRAINT_TRIGGER"}

Values are bound as parameters, never spliced into SQL: "null"; "int" (decimal text, any 64-bit
value); "real" (text Python's float() reads: "1.5", "inf", "-0.0"); "text" (any Unicode text,
NULs included); "text_hex" (hex bytes bound as a BLOB and CAST to TEXT, so TEXT that is not
UTF-8); "blob" (hex bytes). A column left out takes its DEFAULT. Each statement is its own
transaction with busy_timeout set, as the README asks of producers.
"""
import json
import sqlite3
import sys

VERBS = {
    "insert": "INSERT INTO outbox ({cols}) VALUES ({vals}) RETURNING id",
    "insert_or_ignore": "INSERT OR IGNORE INTO outbox ({cols}) VALUES ({vals}) RETURNING id",
    "on_conflict_do_nothing": "INSERT INTO outbox ({cols}) VALUES ({vals}) ON CONFLICT (command_key) DO NOTHING RETURNING id",
    "insert_or_replace": "INSERT OR REPLACE INTO outbox ({cols}) VALUES ({vals}) RETURNING id",
}
# Only names from this list are ever put into SQL text.
COLUMNS = {
    "id", "command_key", "kind", "payload", "sale_key", "payment_request_id", "not_before", "deadline",
    "created_at", "state", "generation", "attempts", "due_at", "needs_reconcile", "lease_owner",
    "lease_expires_at", "last_error", "paywall_payment_request_id", "accepted_at", "finished_at", "updated_at",
}


def bind(value):
    kind, text = value["t"], value.get("v")
    if kind == "null":
        return "?", None
    if kind == "int":
        return "?", int(text)
    if kind == "real":
        return "?", float(text)
    if kind == "text":
        return "?", text
    if kind == "text_hex":
        return "CAST(? AS TEXT)", bytes.fromhex(text)
    if kind == "blob":
        return "?", bytes.fromhex(text)
    raise ValueError("unknown value type %r" % kind)


def main():
    conn = sqlite3.connect(sys.argv[1], timeout=30.0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        names, marks, params = [], [], []
        for name, value in request["columns"]:
            if name not in COLUMNS:
                raise ValueError("unknown column %r" % name)
            mark, param = bind(value)
            names.append(name)
            marks.append(mark)
            params.append(param)
        sql = VERBS[request["verb"]].format(cols=", ".join(names), vals=", ".join(marks))
        if not names:
            sql = sql.replace("({cols}) VALUES ({vals})".format(cols="", vals=""), "DEFAULT VALUES")
        try:
            rows = conn.execute(sql, params).fetchall()
            answer = {"ok": True, "id": rows[0][0] if rows else None}
        except sqlite3.Error as error:
            answer = {"ok": False, "error": str(error), "name": getattr(error, "sqlite_errorname", type(error).__name__)}
        except (OverflowError, ValueError) as error:  # Python refused to bind it: SQLite never saw it
            answer = {"ok": False, "error": str(error), "name": "python:" + type(error).__name__}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
