#!/usr/bin/env python3
"""Prints where each payment ended, from the inbox's payment_status rows. Standard library only.

    python3 examples/payments.py outbox.sqlite

One line per activity that has a final row (or an unresolved one): its command key, the activity
and what it means for the merchant: paid, declined, rolled back, cancelled, cancel failed,
cancel rolled back, unresolved.
"""
import sqlite3
import sys

WORDS = {
    ("sale", 4): "paid", ("sale", 5): "declined", ("sale", 12): "rolled back",
    ("cancel", 4): "cancelled", ("cancel", 5): "cancel failed", ("cancel", 12): "cancel rolled back",
}

conn = sqlite3.connect(sys.argv[1], timeout=10.0)
conn.row_factory = sqlite3.Row
ended = {}
for row in conn.execute("SELECT * FROM inbox WHERE event = 'payment_status' ORDER BY id"):
    activity = (row["command_key"], row["activity"])
    if row["final"] == 1:
        ended[activity] = WORDS.get((row["activity"], row["payment_status_id"]), "final status %s" % row["payment_status_id"])
    elif row["reason"] == "unresolved" and activity not in ended:
        ended[activity] = "unresolved"
for (key, activity), words in ended.items():
    print("%s %s %s" % (key, activity, words))
