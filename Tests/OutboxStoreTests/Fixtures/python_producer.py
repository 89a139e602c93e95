"""A producer as the README recommends: busy_timeout, one INSERT per command, ON CONFLICT DO NOTHING.

Usage: python_producer.py DB COUNT. Inserts COUNT sales (each inserted twice, as a producer
retrying after its own crash would) and exits 3 if SQLite ever reported "database is locked".
"""
import sqlite3
import sys
import uuid

db, count = sys.argv[1], int(sys.argv[2])
conn = sqlite3.connect(db, timeout=10.0, isolation_level=None)  # autocommit: one statement, one transaction
conn.execute("PRAGMA busy_timeout = 10000")
conn.execute("PRAGMA synchronous = NORMAL")
busy = 0
for _ in range(count):
    key = str(uuid.uuid4())
    payload = '{"MerchantUniqueCode":"%s","Amount":22.10,"CurrencyId":1,"TerminalTagCode":"PY-1"}' % key
    for _ in range(2):
        try:
            conn.execute(
                "INSERT INTO outbox (command_key, kind, payload) VALUES (?, 'async_sale', ?) "
                "ON CONFLICT (command_key) DO NOTHING",
                (key, payload),
            )
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                busy += 1
            else:
                raise
print("busy", busy)
sys.exit(3 if busy else 0)
