#!/usr/bin/env python3
"""Reads the inbox by cursor and prints each new row as a JSON line. Standard library only.

    python3 examples/consumer.py outbox.sqlite cursor.txt

The cursor (the last inbox id handled) is kept in a file; keep it wherever your own state lives,
and update it in the same transaction as your own reaction to the row if you can.
"""
import json
import os
import sqlite3
import sys

db, cursor_file = sys.argv[1], sys.argv[2]
cursor = int(open(cursor_file).read()) if os.path.exists(cursor_file) else 0

conn = sqlite3.connect(db, timeout=10.0, isolation_level=None)
conn.execute("PRAGMA busy_timeout = 10000")
conn.row_factory = sqlite3.Row
while True:
    rows = conn.execute("SELECT * FROM inbox WHERE id > ? ORDER BY id LIMIT 100", (cursor,)).fetchall()
    if not rows:
        break
    for row in rows:
        if row["event"] not in ("outcome", "payment_status"):
            pass  # a newer schema may add event types: skip what you do not know
        print(json.dumps({key: row[key] for key in row.keys() if key != "raw_response"}))
        cursor = row["id"]
    with open(cursor_file, "w") as f:
        f.write(str(cursor))
