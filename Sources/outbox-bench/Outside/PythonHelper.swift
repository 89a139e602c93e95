/// The Python side of `outbox-bench outside`, written to the run's scratch directory and run with
/// the benchmark's virtual environment: producers (the standard library's sqlite3, as a merchant's
/// Python code would write), the litequeue peer and huey's idle consumer. Each subcommand prints
/// one JSON object on stdout.
enum PythonHelper {
    static let fileName = "outside_helper.py"

    static let source = #"""
        """Helper processes for `outbox-bench outside` (generated; see Sources/outbox-bench/Outside)."""
        import http.client
        import json
        import sqlite3
        import sys
        import time
        import uuid


        def now_ms():
            return time.time_ns() // 1_000_000


        def now_us():
            return time.time_ns() // 1_000


        def connect(path, sync="NORMAL"):
            # As the README tells producers: autocommit (one statement, one transaction), a busy timeout.
            conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA synchronous = %s" % sync)
            return conn


        def sale_payload(muc):
            return ('{"TerminalTagCode":"BENCH-1","MerchantUniqueCode":"%s","Amount":22.10,"CurrencyId":1,'
                    '"Products":[{"Name":"Bench","TaxGroupId":20,"UnitCodeId":4,"Amount":22.10,"Quantity":1}]}' % muc)


        INSERT = ("INSERT INTO {table} (command_key, kind, payload, deadline) VALUES (?, 'async_sale', ?, ?) "
                  "ON CONFLICT (command_key) DO NOTHING")


        def fill(db, n, batch, deadline_ms):
            """A backlog: n valid sales in transactions of `batch` rows, deadline now + deadline_ms."""
            conn = connect(db)
            sql = INSERT.format(table="outbox")
            deadline = now_ms() + deadline_ms
            start = time.perf_counter()
            done = 0
            while done < n:
                rows = []
                for _ in range(min(batch, n - done)):
                    muc = str(uuid.uuid4())
                    rows.append((muc, sale_payload(muc), deadline))
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(sql, rows)
                conn.execute("COMMIT")
                done += len(rows)
            return {"inserted": n, "seconds": time.perf_counter() - start}


        def trickle(db, n, rate, deadline_ms):
            """n single-row INSERTs at `rate` per second; each sale's commit time in wall-clock µs."""
            conn = connect(db)
            sql = INSERT.format(table="outbox")
            sent = []
            start = time.perf_counter()
            for i in range(n):
                muc = str(uuid.uuid4())
                conn.execute(sql, (muc, sale_payload(muc), now_ms() + deadline_ms))
                sent.append((muc, now_us()))
                delay = start + (i + 1) / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            return {"sent": sent}


        def insert_rate(db, n, sync, table):
            """n single-row INSERTs as fast as one client goes (payloads made before the clock starts)."""
            conn = connect(db, sync)
            sql = INSERT.format(table=table)
            deadline = now_ms() + 3_600_000
            rows = []
            for _ in range(n + 1):
                muc = str(uuid.uuid4())
                rows.append((muc, sale_payload(muc), deadline))
            conn.execute(sql, rows.pop())  # prepares the statement, warms the cache
            clock = time.perf_counter_ns
            each = []
            start = clock()
            for row in rows:
                before = clock()
                conn.execute(sql, row)
                each.append(clock() - before)
            seconds = (clock() - start) / 1e9
            each.sort()
            # The rate includes WAL checkpoints and other stalls; the median INSERT does not, so
            # it is the steadier figure for what a trigger or an index costs.
            return {"rate": n / seconds, "seconds": seconds, "median_us": each[n // 2] / 1000,
                    "p99_us": each[min(n - 1, int(n * 0.99))] / 1000}


        def insert_compare(n, sync, chunk, targets):
            """n single-row INSERTs into each target (path:table), interleaved `chunk` rows at a time
            in rotating order, so load drift on a shared machine hits every target alike."""
            conns = []
            deadline = now_ms() + 3_600_000
            for target in targets:
                path, table = target.rsplit(":", 1)
                conn = connect(path, sync)
                sql = INSERT.format(table=table)
                muc = str(uuid.uuid4())
                conn.execute(sql, (muc, sale_payload(muc), deadline))  # prepares, warms the cache
                conns.append((conn, sql))
            clock = time.perf_counter_ns
            each = [[] for _ in targets]
            spent = [0] * len(targets)
            done = 0
            round_ = 0
            while done < n:
                k = min(chunk, n - done)
                for j in range(len(targets)):
                    i = (j + round_) % len(targets)
                    conn, sql = conns[i]
                    rows = []
                    for _ in range(k):
                        muc = str(uuid.uuid4())
                        rows.append((muc, sale_payload(muc), deadline))
                    start = clock()
                    for row in rows:
                        before = clock()
                        conn.execute(sql, row)
                        each[i].append(clock() - before)
                    spent[i] += clock() - start
                done += k
                round_ += 1
            results = []
            for i in range(len(targets)):
                times = sorted(each[i])
                # The rate includes WAL checkpoints and other stalls; the median INSERT does not, so
                # it is the steadier figure for what a trigger or an index costs.
                results.append({"rate": n / (spent[i] / 1e9), "median_us": times[n // 2] / 1000,
                                "p99_us": times[min(n - 1, int(n * 0.99))] / 1000})
            return {"results": results}


        def trigger_groups(db):
            """The validation trigger's statements, grouped by the comment line above them."""
            conn = connect(db)
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'outbox_validate_insert'").fetchone()[0]
            head, _, body = sql.partition("\nBEGIN\n")
            body = body.rstrip()
            if body.endswith("END"):
                body = body[:-3]
            groups, group, statement = [], "first", []
            for line in body.split("\n"):
                stripped = line.strip()
                if not statement and stripped.startswith("--"):
                    group = stripped.lstrip("- ").split(":")[0].split(".")[0].split(" (")[0].strip().lower()
                    continue
                if not stripped and not statement:
                    continue
                statement.append(line)
                if stripped.endswith(";"):
                    groups.append((group, "\n".join(statement)))
                    statement = []
            return head, groups


        def make_variant(db, variant):
            """Changes a scratch copy of the schema: drop the validation trigger, one group of its
            statements, or the secondary indexes on outbox."""
            conn = connect(db)
            if variant == "schema":
                return {"variant": variant}
            if variant == "no-validation":
                conn.execute("DROP TRIGGER outbox_validate_insert")
                return {"variant": variant}
            if variant == "no-secondary-indexes":
                names = [r[0] for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' AND sql IS NOT NULL")]
                for name in names:
                    conn.execute("DROP INDEX %s" % name)
                return {"variant": variant, "dropped": names}
            if variant.startswith("no-group:"):
                drop = variant.split(":", 1)[1]
                head, groups = trigger_groups(db)
                kept = [s for g, s in groups if g != drop]
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DROP TRIGGER outbox_validate_insert")
                conn.execute(head + "\nBEGIN\n" + "\n".join(kept) + "\nEND")
                conn.execute("COMMIT")
                return {"variant": variant, "dropped_statements": len(groups) - len(kept)}
            raise SystemExit("unknown variant " + variant)


        def list_groups(db):
            _, groups = trigger_groups(db)
            counts = {}
            for g, _ in groups:
                counts[g] = counts.get(g, 0) + 1
            return {"groups": [[g, c] for g, c in counts.items()]}


        def plain_table(db):
            """A table with the outbox's columns and nothing else: no CHECK, no trigger, no
            secondary index (command_key stays UNIQUE: the producer's ON CONFLICT needs it)."""
            conn = connect(db)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("""CREATE TABLE IF NOT EXISTS plain (
                id INTEGER PRIMARY KEY, command_key TEXT NOT NULL UNIQUE COLLATE NOCASE, kind TEXT NOT NULL,
                payload TEXT NOT NULL, sale_key TEXT COLLATE NOCASE, payment_request_id TEXT COLLATE NOCASE,
                not_before INTEGER, deadline INTEGER,
                created_at INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
                state TEXT NOT NULL DEFAULT 'pending', generation INTEGER NOT NULL DEFAULT 1,
                attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER NOT NULL DEFAULT 0,
                needs_reconcile INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_expires_at INTEGER,
                last_error TEXT, paywall_payment_request_id TEXT, accepted_at INTEGER, finished_at INTEGER,
                updated_at INTEGER)""")
            return {"table": "plain"}


        def prefill_finished(db, n):
            """n finished sales with their attempt and inbox rows, written directly (the validation
            trigger is dropped for the fill and put back as it was)."""
            conn = connect(db)
            conn.execute("PRAGMA trusted_schema = ON")
            conn.create_function("outbox_product_connection", 0, lambda: 1, deterministic=True)
            start = time.perf_counter()
            trigger = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'outbox_validate_insert'").fetchone()[0]
            t = now_ms() - 86_400_000
            done = 0
            while done < n:
                k = min(100_000, n - done)
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DROP TRIGGER outbox_validate_insert")
                conn.execute("""
                    INSERT INTO outbox (command_key, kind, payload, created_at, state, attempts, finished_at, updated_at,
                                        paywall_payment_request_id, accepted_at)
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?),
                         g(k) AS (SELECT lower(substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-' || substr(h, 13, 4) || '-' ||
                                               substr(h, 17, 4) || '-' || substr(h, 21, 12))
                                    FROM (SELECT hex(randomblob(16)) AS h FROM n))
                    SELECT k, 'async_sale',
                           '{"TerminalTagCode":"BENCH-1","MerchantUniqueCode":"' || k || '","Amount":22.10,"CurrencyId":1,"Products":[{"Name":"Bench","TaxGroupId":20,"UnitCodeId":4,"Amount":22.10,"Quantity":1}]}',
                           ?, 'succeeded', 1, ?, ?, '7e1f3a5c-9b2d-4f6e-8a0c-3d5b7f9e1a2c', ?
                      FROM g""", (k, t, t, t, t))
                conn.execute(trigger)
                first = conn.execute("SELECT max(id) FROM outbox").fetchone()[0] - k
                conn.execute("""INSERT INTO attempt (outbox_id, generation, worker, started_at, duration_ms, http_status,
                                                     outcome, request)
                                SELECT id, 1, 'prefill', ?, 3, 200, 'succeeded', 'send' FROM outbox WHERE id > ?""", (t, first))
                conn.execute("""INSERT INTO inbox (outbox_id, command_key, kind, generation, event, outcome, payment_request_id,
                                                   payment_status_id, raw_response, http_status, created_at)
                                SELECT id, command_key, kind, 1, 'outcome', 'succeeded', paywall_payment_request_id, 2,
                                       '{"Result":{"PaymentRequestId":"7e1f3a5c-9b2d-4f6e-8a0c-3d5b7f9e1a2c","PaymentStatus":2},"ErrorCode":0,"Succeeded":true,"Failed":false}',
                                       200, ? FROM outbox WHERE id > ?""", (t, first))
                conn.execute("COMMIT")
                done += k
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return {"finished": n, "seconds": time.perf_counter() - start}


        HEADERS = {"Content-Type": "application/json", "apikeyprivate": "bench", "apiclientprivate": "bench"}


        def post(conn, body):
            conn.request("POST", "/api/payment/async/sale", body=body, headers=HEADERS)
            response = conn.getresponse()
            answer = json.loads(response.read())
            if response.status != 200 or not answer.get("Succeeded"):
                raise RuntimeError("stand-in refused: %s" % answer)


        def lq_init(db):
            from litequeue import LiteQueue
            LiteQueue(db)
            return {"ok": True}


        def lq_drain(db, n, port):
            """The peer: litequeue (its defaults: WAL, synchronous NORMAL) filled with n sales, then
            drained by one consumer sending each to the stand-in over one keep-alive connection."""
            from litequeue import LiteQueue
            queue = LiteQueue(db)
            start = time.perf_counter()
            for _ in range(n):
                queue.put(sale_payload(str(uuid.uuid4())))
            fill_seconds = time.perf_counter() - start
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            cpu = time.process_time()
            start = time.perf_counter()
            handled = 0
            while True:
                message = queue.pop()
                if message is None:
                    break
                post(client, message.data)
                queue.done(message.message_id)
                handled += 1
            seconds = time.perf_counter() - start
            return {"handled": handled, "seconds": seconds, "rate": handled / seconds,
                    "cpu_seconds": time.process_time() - cpu, "fill_seconds": fill_seconds}


        def lq_consume(db, n, port, poll_ms):
            """A litequeue consumer for the latency run: pops (sleeping poll_ms when empty), sends, marks done."""
            from litequeue import LiteQueue
            queue = LiteQueue(db)
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            cpu = time.process_time()
            handled = 0
            while handled < n:
                message = queue.pop()
                if message is None:
                    time.sleep(poll_ms / 1000)
                    continue
                post(client, message.data)
                queue.done(message.message_id)
                handled += 1
            return {"handled": handled, "cpu_seconds": time.process_time() - cpu}


        def lq_produce(db, n, rate):
            from litequeue import LiteQueue
            queue = LiteQueue(db)
            sent = []
            start = time.perf_counter()
            for i in range(n):
                muc = str(uuid.uuid4())
                queue.put(sale_payload(muc))
                sent.append((muc, now_us()))
                delay = start + (i + 1) / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            return {"sent": sent}


        def huey_consumer(db):
            """huey's consumer with its defaults (one worker thread, polling from 0.1 s backing off to
            10 s, a scheduler tick every second), on an empty SqliteHuey queue, until killed."""
            from huey import SqliteHuey
            SqliteHuey(filename=db).create_consumer().run()
            return {}


        def versions():
            out = {"python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version}
            for name in ("litequeue", "huey"):
                try:
                    module = __import__(name)
                    out[name] = getattr(module, "__version__", "?")
                except Exception as error:  # noqa: BLE001 - reported, not fatal
                    out[name] = None
            return out


        COMMANDS = {
            "fill": lambda a: fill(a[0], int(a[1]), int(a[2]), int(a[3])),
            "trickle": lambda a: trickle(a[0], int(a[1]), float(a[2]), int(a[3])),
            "insert-rate": lambda a: insert_rate(a[0], int(a[1]), a[2], a[3]),
            "insert-compare": lambda a: insert_compare(int(a[0]), a[1], int(a[2]), a[3:]),
            "variant": lambda a: make_variant(a[0], a[1]),
            "groups": lambda a: list_groups(a[0]),
            "plain-table": lambda a: plain_table(a[0]),
            "prefill-finished": lambda a: prefill_finished(a[0], int(a[1])),
            "lq-init": lambda a: lq_init(a[0]),
            "lq-drain": lambda a: lq_drain(a[0], int(a[1]), int(a[2])),
            "lq-consume": lambda a: lq_consume(a[0], int(a[1]), int(a[2]), float(a[3])),
            "lq-produce": lambda a: lq_produce(a[0], int(a[1]), float(a[2])),
            "huey-consumer": lambda a: huey_consumer(a[0]),
            "versions": lambda a: versions(),
        }

        if __name__ == "__main__":
            print(json.dumps(COMMANDS[sys.argv[1]](sys.argv[2:])))
        """#
}
