#!/usr/bin/env python3
"""A complete outbox producer: queue a sale and, later, its cancel. Standard library only.

    python3 examples/producer.py outbox.sqlite
"""
import decimal
import json
import sqlite3
import sys
import time
import uuid


def connect(path):
    # isolation_level=None: every statement is its own short transaction. Never wrap a read and a
    # write in a plain BEGIN: that is how producers collide with the worker (SQLITE_BUSY).
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")  # wait for the worker's short write locks
    conn.execute("PRAGMA synchronous = FULL")  # an acknowledged command survives a power cut
    return conn


def queue_sale(conn, terminal_tag, amount, display_code=None):
    """Queues a sale and returns its MerchantUniqueCode. `amount` is a decimal.Decimal or str."""
    amount = decimal.Decimal(amount)
    if amount <= 0:
        raise ValueError("amount must be positive")
    if amount.as_tuple().exponent < -2 or amount >= decimal.Decimal("1e16"):
        # The worker refuses (never sends) more than 2 decimals or 16 digits before the point.
        raise ValueError("amount must have at most 2 decimals and 16 digits before the point")
    muc = str(uuid.uuid4())  # generate once and keep it: it is the sale's only idempotency key
    body = {"TerminalTagCode": terminal_tag, "MerchantUniqueCode": muc, "Amount": "AMOUNT", "CurrencyId": 1,
            # Paywall requires Products (one line here: the whole amount, TaxGroupId 20, UnitCodeId 4 = piece).
            "Products": [{"Name": display_code or "Sale", "TaxGroupId": 20, "UnitCodeId": 4, "Amount": "AMOUNT",
                          "Quantity": 1}]}
    if display_code:
        body["DisplayCode"] = display_code
    # json cannot write a Decimal as a number: put the exact digits in place of the marker.
    payload = json.dumps(body).replace('"AMOUNT"', format(amount, "f"))
    conn.execute(
        "INSERT INTO outbox (command_key, kind, payload) VALUES (?, 'async_sale', ?) "
        "ON CONFLICT (command_key) DO NOTHING",
        (muc, payload),
    )
    return muc


def queue_cancel(conn, sale_muc, after_ms=60_000):
    """Queues a cancel of a sale queued earlier, not to be sent before `after_ms` from now; the
    worker sends it once the sale has an id. (Due at once while the sale is still unsent, a cancel
    withdraws both locally and neither reaches Paywall.)"""
    key = str(uuid.uuid4())
    not_before = int(time.time() * 1000) + after_ms
    conn.execute(
        "INSERT INTO outbox (command_key, kind, payload, sale_key, not_before) VALUES (?, 'async_cancel', '{}', ?, ?) "
        "ON CONFLICT (command_key) DO NOTHING",
        (key, sale_muc, not_before),
    )
    return key


if __name__ == "__main__":
    conn = connect(sys.argv[1])
    try:
        sale = queue_sale(conn, "STORE1-TILL2", "22.10", display_code="R-1042")
        cancel = queue_cancel(conn, sale)
    except sqlite3.IntegrityError as error:  # the schema refused the row; the message says why
        sys.exit(f"refused: {error}")
    print(json.dumps({"sale": sale, "cancel": cancel}))
