#!/usr/bin/env python3
"""Chaos run for paywall-outbox (issue 9, "Proof"). Python 3.11 standard library only.

    python3 tools/chaos.py --short                 # CI: a few hundred commands, under a minute
    python3 tools/chaos.py                         # 2,000 commands, about 5 minutes
    python3 tools/chaos.py --commands 5000 --seconds 600 --seed 7 --keep
    python3 tools/chaos.py --short --postgres      # the same on a PostgreSQL outbox (issue 14)

What it does, in one temp directory (binaries copied there first, so a rebuild cannot change them
mid-run):

1. starts `paywall-sim` on a loopback port with seeded faults (500, 503 and 429 with Retry-After,
   slow answers, lost answers = drop_after_processing) and creates the outbox with
   `outbox migrate --yes`;
2. queues mixed commands of every kind through the `sqlite3` module, as README's producer does
   (autocommit, busy_timeout 10000, synchronous FULL): async and sync sales, cancels and
   rollbacks by sale_key (some queued right after their sale, some later) or by
   payment_request_id (read from the inbox), cancel rollbacks, pair requests and confirms,
   marketplace approvals; some with short deadlines; a few sales whose MerchantUniqueCode the
   simulator already holds with another amount;
3. runs `worker` processes against the simulator, SIGKILLs each after 1-3 s and starts new ones
   (sometimes two at once on the same file); injects outages (a burst of lost answers, the port
   closed); then turns faults off, runs one worker to settle (bounded), and
4. checks the database (outbox, attempt, inbox) against the simulator's request log and final
   state, prints a summary and exits 1 on any violation (0 when clean, 2 when the run itself
   could not be carried out).

With --postgres the outbox is a PostgreSQL database on a throwaway cluster of this run's own
(Debian's postgresql package; initdb as the `postgres` user when root): `outbox migrate` creates
the schema, every worker gets `--db postgres://...` (so several workers, each SIGKILLed, share
one database as if on several machines), producers INSERT through libpq (tools/pgclient.py), and
the same checks run on the same tables. The database's rows are kept as outbox.json for
--recheck.

Every tolerance is a named constant below and printed with the summary.
"""
from __future__ import annotations

import argparse
import bisect
import collections
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgclient import PG, LibPQ, PGError, start_cluster  # noqa: E402

# ------------------------------------------------------------------------------------------------
# Tolerances (milliseconds). The worker's times (attempt, inbox) and the simulator's receive
# times come from the same host clock; tolerances only absorb scheduling delays on a busy machine.
# ------------------------------------------------------------------------------------------------
# A send the worker decided before the deadline may reach the simulator this much later.
SEND_TRANSIT_TOLERANCE_MS = 1000
# After a 429/503 is answered, requests already on their way may still arrive for this long.
RETRY_AFTER_INFLIGHT_MS = 300
# The end of a Retry-After hold is shortened by this much (second granularity, clock reading).
RETRY_AFTER_END_TOLERANCE_MS = 100
# A hold written by one worker reaches the others through the database: sends started this soon
# after a worker had the 429/503 are not counted (judged on the worker's recorded send start).
# The design's bound: the worker writing the hold after the answer, plus the others reading
# holds at most 100 ms before a send starts (README); 100 ms alone was exceeded by 8 ms once.
RETRY_AFTER_PROPAGATION_MS = 250
# Matching a 429/503 in the simulator's log to the worker's attempt row that recorded it.
ATTEMPT_MATCH_TOLERANCE_MS = 50
# The rollback window is judged on the simulator's own clock (acceptance and receipt): exact.
ROLLBACK_WINDOW_MS = 5000
# "No progress" allowance on top of deadline + backoff cap: a killed worker's lease must expire,
# plus scheduling slack.
PROGRESS_SLACK_MS = 2000
# The worker's grace before a payment-list scan counts as proof that a possibly-landed send did
# not land (worker --landing-grace, passed below), on top of the request timeout; added to the
# "no progress" limit of commands with such a send.
LANDING_GRACE_MS = 3000
# After an outage or a lost answer every worker pauses (issue 9 item 8) and probes with backoff
# (the worker's default breaker backoff: 1 s doubling); the "no progress" limit of a command is
# extended by the time such pauses, and Retry-After holds, overlapped its longest gap.
BREAKER_RECOVERY_MS = 8000

SIM_CREDENTIALS = {
    "PAYWALL_PRIVATE_API_KEY": "sim-private-key",
    "PAYWALL_PRIVATE_API_CLIENT": "sim-private-client",
    "PAYWALL_PUBLIC_API_KEY": "sim-public-key",
    "PAYWALL_PUBLIC_API_CLIENT": "sim-public-client",
}
USER_AGENT = "paywall-outbox-chaos/1"
SETTLE_MIN_S = 38.0
KINDS = [
    "async_sale", "sync_sale", "async_cancel", "sync_cancel", "sync_sale_rollback", "sync_cancel_rollback",
    "async_pair_request", "async_pair_confirm", "sync_pair_request", "marketplace_approve",
]
SALE_KINDS = ("async_sale", "sync_sale")
FOLLOW_UP_KINDS = ("async_cancel", "sync_cancel", "sync_sale_rollback", "sync_cancel_rollback")
SEND_ROUTES = set(KINDS) | {"marketplace_approve_payment", "marketplace_approve_pw", "marketplace_approve_self"}
READ_ROUTES = {"payment_inquiry", "payment_list", "payment_activities", "marketplace_approval_report"}
OFFLINE_TERMINAL = "CHAOS-OFF"  # never takes a command: rollbacks of its sales can succeed
TILLS = ["STORE1-TILL1", "STORE1-TILL2", "STORE2-TILL1", "STORE2-TILL2"]
SYNC_TERMINAL_IDS = ["0b9d2f4e-7a1c-4e3b-8d5f-2c6a9e1b7d40", "5a8c1e3f-2b4d-4f6a-9c8e-1d3b5f7a9c2e"]


def now_ms() -> int:
    return int(time.time() * 1000)


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------
# Simulator access
# ------------------------------------------------------------------------------------------------
class Sim:
    def __init__(self, base: str):
        self.base = base

    def call(self, method: str, path: str, body=None, headers=None, timeout: float = 60.0):
        return self.call_raw(method, path, None if body is None else json.dumps(body), headers, timeout)

    def call_raw(self, method: str, path: str, text=None, headers=None, timeout: float = 60.0):
        data = None if text is None else text.encode()
        request = urllib.request.Request(
            self.base + path, data=data, method=method,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def admin(self, method: str, path: str, body=None, timeout: float = 60.0):
        status, raw = self.call(method, "/_sim" + path, body, timeout=timeout)
        if status != 200:
            raise RuntimeError(f"{method} /_sim{path}: HTTP {status}: {raw[:300]!r}")
        return json.loads(raw)


class RequestLog:
    """The simulator keeps its last 10,000 requests only, with no paging: poll it often enough
    that nothing falls out between two polls (adaptive), merge by sequence, and report gaps."""

    def __init__(self, sim: Sim):
        self.sim = sim
        self.by_seq: dict[int, dict] = {}
        self.lock = threading.Lock()
        self.polls = 0
        self.failed_polls = 0
        self.gaps: list[tuple[int, int]] = []

    def poll(self) -> int:
        try:
            items = self.sim.admin("GET", "/requests", timeout=120)
        except Exception:  # offline window, or busy: try again later
            self.failed_polls += 1
            return -1
        with self.lock:
            self.polls += 1
            before = max(self.by_seq) if self.by_seq else 0
            if items and before and items[0]["sequence"] > before + 1:
                self.gaps.append((before + 1, items[0]["sequence"] - 1))
            for item in items:
                self.by_seq[item["sequence"]] = item  # later polls carry the final answer
            after = max(self.by_seq) if self.by_seq else 0
        return after - before

    def run(self, stop: threading.Event) -> None:
        interval = 3.0
        while not stop.wait(interval):
            start = time.monotonic()
            new = self.poll()
            elapsed = max(time.monotonic() - start, 0.1)
            if new > 0:
                rate = new / (interval + elapsed)
                interval = max(2.0, min(30.0, 4000.0 / max(rate, 1.0)))

    def all(self) -> list[dict]:
        with self.lock:
            return [self.by_seq[k] for k in sorted(self.by_seq)]


# ------------------------------------------------------------------------------------------------
# The producer: plans commands, INSERTs them on time, and queues inbox-dependent follow-ups
# ------------------------------------------------------------------------------------------------
def is_postgres(db: str) -> bool:
    return db.startswith(("postgres://", "postgresql://"))


class PgRows:
    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return self.rows

    def __iter__(self):
        return iter(self.rows)


class PgConnection:
    """The calls this tool makes of a sqlite3 connection, on PostgreSQL: `?` placeholders,
    autocommit, tuples (dicts once `row_factory` is set), integers as int."""
    libpq = None

    def __init__(self, url: str):
        if PgConnection.libpq is None:
            PgConnection.libpq = LibPQ()
        self.pg = PG(PgConnection.libpq, url, typed=True)
        self.row_factory = None

    def execute(self, sql: str, params=()):
        numbers = iter(range(1, 10_000))
        rows, _ = self.pg.execute(re.sub(r"\?", lambda _: f"${next(numbers)}", sql), list(params))
        if self.row_factory is not None:
            return PgRows([dict(zip(self.pg.columns, row)) for row in rows])
        return PgRows([tuple(row) for row in rows])

    def close(self) -> None:
        self.pg.close()


def connect(path: str):
    """The outbox at `path`: a SQLite file, or a postgres:// URL (a PgConnection)."""
    if is_postgres(path):
        return PgConnection(path)
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)  # autocommit
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA trusted_schema = ON")
    return conn


def guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def cents_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class Command:
    __slots__ = ("key", "kind", "payload", "sale_key", "payment_request_id", "deadline", "at", "inserted_at",
                 "tags", "tag", "payment_id", "pair_request_key", "pair_async_request_id", "follow_plan", "amount")

    def __init__(self, key, kind, payload, at, sale_key=None, payment_request_id=None, deadline_rel=None):
        self.key, self.kind, self.payload, self.at = key, kind, payload, at
        self.sale_key, self.payment_request_id = sale_key, payment_request_id
        self.deadline = deadline_rel  # relative (ms after insert) until inserted, then absolute
        self.inserted_at = None
        self.tags: set[str] = set()
        self.tag = None
        self.payment_id = None
        self.pair_request_key = None
        self.pair_async_request_id = None
        self.follow_plan = None
        self.amount = None


class Producer:
    def __init__(self, db: str, rng: random.Random, total: int, load_ms: int, short_deadline_share: float):
        self.db, self.rng, self.total, self.load_ms = db, rng, total, load_ms
        self.short_share = short_deadline_share
        self.commands: dict[str, Command] = {}  # key (lowercase) → command, every one planned
        self.inserted: list[Command] = []
        self.refused: list[tuple[Command, str]] = []
        self.conflicts: dict[str, str] = {}  # sale key → amount the simulator already holds
        self.schedule: list[Command] = []
        self.deferred: list[tuple[str, str]] = []  # (kind, sale key): needs the sale's PaymentRequestId
        self.confirm_wanted: set[str] = set()  # async pair request keys to confirm once known
        self.used_payment_ids: set[int] = set()
        self.pair_seq = 0
        self.errors: list[str] = []

    # -- planning ------------------------------------------------------------------------------
    def short_deadline(self):
        return self.rng.randint(3000, 10000) if self.rng.random() < self.short_share else None

    def plan(self) -> None:
        rng = self.rng
        planned = 0
        while planned < self.total:
            at = rng.uniform(0, self.load_ms * 0.9)
            r = rng.random()
            if r < 0.62:
                planned += self.plan_sale(at)
            elif r < 0.70:
                planned += self.plan_pair("async_pair_request", at)
            elif r < 0.76:
                planned += self.plan_pair("sync_pair_request", at)
            elif r < 0.78:
                # A confirm of a pair request Paywall never issued: a definite refusal.
                c = self.add(Command(guid(rng), "async_pair_confirm",
                                     json.dumps({"PairAsyncRequestId": guid(rng)}), at,
                                     deadline_rel=self.short_deadline()))
                c.tags.add("unknown_pair_request")
                planned += 1
            else:
                planned += self.plan_approve(at)
        self.schedule.sort(key=lambda c: c.at)

    def add(self, command: Command, schedule: bool = True) -> Command:
        self.commands[command.key.lower()] = command
        if schedule:
            self.schedule.append(command)
        return command

    def plan_sale(self, at: float) -> int:
        rng = self.rng
        kind = rng.choice(SALE_KINDS)
        key = guid(rng)
        lines = []
        total = 0
        for i in range(rng.randint(1, 3)):
            unit = rng.randint(50, 5000)
            qty = rng.randint(1, 3)
            total += unit * qty
            lines.append((unit, qty))
        declined = rng.random() < 0.05
        if declined:  # by_amount: cents .13 are declined by the terminal; make the total end in .13
            fix = (13 - total % 100) % 100
            lines.append((fix or 100, 1))
            total += fix or 100
        if kind == "sync_sale" and rng.random() < 0.3:
            terminal = {"TerminalId": rng.choice(SYNC_TERMINAL_IDS)}
        else:
            terminal = {"TerminalTagCode": OFFLINE_TERMINAL if rng.random() < 0.25 else rng.choice(TILLS)}
        payload = dict(terminal)
        payload.update({"MerchantUniqueCode": key, "Amount": "AMOUNT", "CurrencyId": 1,
                        "DisplayCode": f"R-{rng.randint(1, 99999)}",
                        "Products": [{"Name": f"Item {i}", "TaxGroupId": rng.choice([0, 1, 10, 20]),
                                      "UnitCodeId": rng.randint(1, 10), "Amount": f"UNIT{i}", "Quantity": q}
                                     for i, (u, q) in enumerate(lines)]})
        if kind == "sync_sale":
            payload["SendNotificationDeviceDisconnected"] = True
        text = json.dumps(payload).replace('"AMOUNT"', cents_text(total))
        for i, (u, q) in enumerate(lines):
            text = text.replace(f'"UNIT{i}"', cents_text(u))
        sale = self.add(Command(key, kind, text, at, deadline_rel=self.short_deadline()))
        sale.amount = cents_text(total)
        if declined:
            sale.tags.add("declined_amount")
        if rng.random() < 0.015:
            # Paywall already holds this MerchantUniqueCode with another amount (issue 9 item 4).
            self.conflicts[key.lower()] = cents_text(total + 100)
            sale.tags.add("code_conflict")
            return 1
        count = 1
        r = rng.random()
        soon = lambda: at + rng.uniform(0, 200)  # noqa: E731 - queued with the sale (often unsent yet)
        later = lambda: at + rng.uniform(1000, 15000)  # noqa: E731
        cancel_kind = "async_cancel" if kind == "async_sale" else "sync_cancel"
        if r < 0.14:
            self.add(Command(guid(rng), cancel_kind, "{}", soon() if rng.random() < 0.3 else later(), sale_key=key,
                             deadline_rel=self.short_deadline()))
            count += 1
        elif r < 0.20:
            self.deferred.append((cancel_kind, key))  # by payment_request_id, once the inbox has it
            sale.follow_plan = cancel_kind
        elif kind == "sync_sale" and r < 0.34:
            self.add(Command(guid(rng), "sync_sale_rollback", "{}",
                             soon() if rng.random() < 0.3 else at + rng.uniform(500, 9000), sale_key=key,
                             deadline_rel=self.short_deadline()))
            count += 1
        elif kind == "sync_sale" and r < 0.44:
            t = later()
            self.add(Command(guid(rng), "sync_cancel", '{"SendNotificationDeviceDisconnected":true}', t, sale_key=key))
            self.add(Command(guid(rng), "sync_cancel_rollback", "{}", t + rng.uniform(0, 9000), sale_key=key))
            count += 2
            if rng.random() < 0.5:  # a later cancel of the same sale after the cancel rollback (item 13)
                self.add(Command(guid(rng), "async_cancel", "{}", t + rng.uniform(7000, 14000), sale_key=key))
                count += 1
        return count

    def plan_pair(self, kind: str, at: float) -> int:
        self.pair_seq += 1
        tag = f"PAIR-{self.pair_seq:06d}-{self.rng.randint(0, 0xFFFF):04X}"  # one terminal per command
        c = self.add(Command(guid(self.rng), kind, json.dumps({"TerminalTagCode": tag}), at,
                             deadline_rel=self.short_deadline()))
        c.tag = tag
        if kind == "async_pair_request" and self.rng.random() < 0.5:
            self.confirm_wanted.add(c.key.lower())
        return 1

    def plan_approve(self, at: float) -> int:
        if self.rng.random() < 0.05:
            pid = self.rng.randint(900_000_000, 999_999_999)  # unknown to Paywall: a definite refusal
        else:
            pid = self.rng.randint(1, 899_999_999)
        while pid in self.used_payment_ids:
            pid += 1
        self.used_payment_ids.add(pid)
        c = self.add(Command(guid(self.rng), "marketplace_approve", json.dumps({"PaymentId": pid}), at,
                             deadline_rel=self.short_deadline()))
        c.payment_id = pid
        if pid >= 900_000_000:
            c.tags.add("unknown_payment")
        return 1

    # -- inserting -----------------------------------------------------------------------------
    def insert(self, conn, c: Command) -> None:
        deadline = None if c.deadline is None else now_ms() + c.deadline
        cols, vals = ["command_key", "kind", "payload"], [c.key, c.kind, c.payload]
        if c.sale_key:
            cols.append("sale_key"); vals.append(c.sale_key)  # noqa: E702
        if c.payment_request_id:
            cols.append("payment_request_id"); vals.append(c.payment_request_id)  # noqa: E702
        if deadline is not None:
            cols.append("deadline"); vals.append(deadline)  # noqa: E702
        sql = (f"INSERT INTO outbox ({', '.join(cols)}) VALUES ({', '.join('?' * len(vals))}) "
               "ON CONFLICT (command_key) DO NOTHING")
        try:
            conn.execute(sql, vals)
        except (sqlite3.DatabaseError, PGError) as error:
            self.refused.append((c, str(error)))
            return
        c.inserted_at = now_ms()
        c.deadline = deadline
        self.inserted.append(c)

    def run(self, t0: float, stop: threading.Event) -> None:
        try:
            self._run(t0, stop)
        except Exception as error:  # reported in the summary
            self.errors.append(f"producer: {error!r}")

    def _run(self, t0: float, stop: threading.Event) -> None:
        conn = connect(self.db)
        cursor = 0
        pending = list(self.schedule)
        index = 0
        deferred = {sale.lower(): kind for kind, sale in self.deferred}
        confirm = set(self.confirm_wanted)
        next_inbox_read = 0.0
        while not stop.is_set():
            elapsed = (time.monotonic() - t0) * 1000
            while index < len(pending) and pending[index].at <= elapsed:
                self.insert(conn, pending[index])
                index += 1
            if elapsed >= next_inbox_read:
                next_inbox_read = elapsed + 500
                # A real producer reads the inbox by cursor and reacts: cancels by PaymentRequestId,
                # pair confirms with the PairAsyncRequestId the request returned.
                rows = conn.execute(
                    "SELECT id, command_key, outcome, payment_request_id, result FROM inbox "
                    "WHERE id > ? AND event = 'outcome' ORDER BY id LIMIT 500", (cursor,)).fetchall()
                for row_id, key, outcome, prid, result in rows:
                    cursor = row_id
                    key = key.lower()
                    if elapsed > self.load_ms:
                        continue
                    if key in deferred and outcome == "succeeded" and prid:
                        kind = deferred.pop(key)
                        c = self.add(Command(guid(self.rng), kind, "{}", elapsed, payment_request_id=prid),
                                     schedule=False)
                        self.insert(conn, c)
                    if key in confirm and outcome == "succeeded" and result:
                        confirm.discard(key)
                        try:
                            request_id = json.loads(result).get("PairAsyncRequestId")
                        except ValueError:
                            request_id = None
                        if request_id:
                            c = self.add(Command(guid(self.rng), "async_pair_confirm",
                                                 json.dumps({"PairAsyncRequestId": request_id}), elapsed),
                                         schedule=False)
                            c.pair_request_key = key
                            c.pair_async_request_id = request_id.lower()
                            self.insert(conn, c)
            if index >= len(pending) and elapsed > self.load_ms:
                break
            stop.wait(0.02)
        conn.close()


# ------------------------------------------------------------------------------------------------
# Workers
# ------------------------------------------------------------------------------------------------
class Workers:
    def __init__(self, bin_dir: str, db: str, base: str, logs: str, settings: list[str]):
        self.bin, self.db, self.base, self.logs, self.settings = bin_dir, db, base, logs, settings
        self.count = 0
        self.running: list[tuple[subprocess.Popen, str, object]] = []
        self.kills = 0
        self.exits: list[tuple[str, int]] = []  # workers that ended on their own, non-zero
        self.env = dict(os.environ, **SIM_CREDENTIALS)
        for name in list(self.env):
            if name.startswith("OUTBOX_") or (name.startswith("PAYWALL_") and name not in SIM_CREDENTIALS):
                del self.env[name]

    def args(self, worker_id: str) -> list[str]:
        return [os.path.join(self.bin, "worker"), "--db", self.db, "--physical-base-url", self.base,
                "--payment-base-url", self.base, "--allow-insecure-http", "--worker-id", worker_id] + self.settings

    def check_config(self) -> None:
        result = subprocess.run(self.args("chaos-check") + ["--check-config"], env=self.env,
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"worker --check-config failed ({result.returncode}):\n{result.stdout}{result.stderr}")

    def start(self) -> subprocess.Popen:
        self.count += 1
        worker_id = f"chaos-{self.count}"
        out = open(os.path.join(self.logs, f"worker-{self.count:04d}.log"), "wb")
        process = subprocess.Popen(self.args(worker_id), env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.running.append((process, worker_id, out))
        return process

    def reap(self) -> None:
        still = []
        for process, worker_id, out in self.running:
            code = process.poll()
            if code is None:
                still.append((process, worker_id, out))
                continue
            out.close()
            if code not in (0, -signal.SIGKILL):
                self.exits.append((worker_id, code))
        self.running = still

    def kill(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)  # only our own child, by its pid
            self.kills += 1
        process.wait()
        self.reap()

    def kill_all(self) -> None:
        for process, _, _ in list(self.running):
            self.kill(process)

    def stop_gracefully(self, process: subprocess.Popen, grace: float = 20.0) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill(process)
        self.reap()


def chaos_workers(workers: Workers, rng: random.Random, until: float, stop: threading.Event) -> None:
    """SIGKILL every worker 1-3 s after it started; sometimes two at once on the same file."""
    lives: list[tuple[float, subprocess.Popen]] = []
    while time.monotonic() < until and not stop.is_set():
        lives = [(t, p) for t, p in lives if p.poll() is None]
        if not lives:
            lives.append((time.monotonic() + rng.uniform(1.0, 3.0), workers.start()))
            if rng.random() < 0.3:
                time.sleep(rng.uniform(0.0, 0.5))
                lives.append((time.monotonic() + rng.uniform(1.0, 3.0), workers.start()))
        for t, p in lives:
            if time.monotonic() >= t:
                workers.kill(p)
        workers.reap()
        time.sleep(0.05)
    workers.kill_all()


def outages(sim: Sim, rng: random.Random, rates: dict, until: float, stop: threading.Event,
            windows: list[dict]) -> None:
    """Every 10-18 s (shorter in short runs): a burst of lost answers (every request processed, its connection closed
    unanswered) or the port closed (connection refused; open connections closed)."""
    kind = "lost_answers"
    span = until - time.monotonic()
    gap = (max(3.0, span * 0.25), max(4.0, min(18.0, span * 0.4)))
    while not stop.wait(rng.uniform(*gap)):
        duration = rng.uniform(2.0, 3.5)
        if time.monotonic() + duration + 0.5 > until:
            return
        try:
            if kind == "lost_answers":
                zero = {k: 0 for k in rates if k.endswith("Rate")}
                start = now_ms()
                sim.admin("POST", "/faults", dict(zero, dropAfterProcessingRate=1.0))
                time.sleep(duration)
                sim.admin("POST", "/faults", rates)
                windows.append({"kind": kind, "start": start, "end": now_ms()})
            else:
                start = now_ms()
                sim.admin("POST", "/offline", {"seconds": round(duration, 1)})
                windows.append({"kind": kind, "start": start, "end": start + int(duration * 1000)})
                time.sleep(duration + 0.5)
        except Exception as error:
            log(f"outage injection failed: {error}")
        kind = "port_closed" if kind == "lost_answers" else "lost_answers"


# ------------------------------------------------------------------------------------------------
# Reading the results
# ------------------------------------------------------------------------------------------------
def read_tables(db: str) -> dict:
    """The rows the checks read: every outbox and attempt row, the inbox's outcomes."""
    conn = connect(db)
    conn.row_factory = sqlite3.Row
    tables = {
        "outbox": [dict(r) for r in conn.execute("SELECT * FROM outbox ORDER BY id")],
        "attempt": [dict(r) for r in conn.execute("SELECT * FROM attempt ORDER BY id")],
        "inbox": [dict(r) for r in conn.execute(
            "SELECT id, outbox_id, command_key, kind, generation, outcome, reason, error_code, "
            "message, client_message, payment_request_id, payment_status_id, result, http_status, "
            "created_at FROM inbox WHERE event = 'outcome' ORDER BY id")],
    }
    conn.close()
    return tables


def load_db(db: str):
    """`db`: a SQLite file, a postgres:// URL, or the outbox.json a PostgreSQL run kept."""
    tables = json.load(open(db)) if db.endswith(".json") else read_tables(db)
    outbox = {r["command_key"].lower(): r for r in tables["outbox"]}
    attempts = collections.defaultdict(list)
    for r in tables["attempt"]:
        attempts[r["outbox_id"]].append(r)
    outcomes = collections.defaultdict(list)
    for r in tables["inbox"]:
        outcomes[(r["outbox_id"], r["generation"])].append(r)
    return outbox, attempts, outcomes


def body_json(text):
    try:
        value = json.loads(text) if text else None
        return value if isinstance(value, dict) else {}
    except ValueError:
        return {}


def client_message(request) -> str:
    body = body_json(request.get("responseBody"))
    return str(body.get("ClientMessage") or body.get("clientMessage") or body.get("Message") or "")


def is_ours(request) -> bool:
    return any(h[0].lower() == "user-agent" and h[1] == USER_AGENT for h in request.get("headers", []))


def processed(request) -> bool:
    """The simulator acted on it: not faulted away, and answered 200 or dropped after processing."""
    if request["fault"] not in ("none", "slow", "drop_after_processing"):
        return False
    return request["fault"] == "drop_after_processing" or request.get("responseStatus") == 200


def is_read_attempt(a) -> bool:
    """A lookup or inquiry row, not a send. Schema 4 says so in `attempt.request`; older
    databases are told apart by outcome and error text."""
    if a.get("request") is not None:
        return a["request"] in ("lookup", "inquiry")
    error = a.get("error") or ""
    return a["outcome"] in ("inquiry", "reconciled", "lookup") or error.startswith(
        ("payment lookup", "payment inquiry", "payment activities"))


def is_send_attempt(a) -> bool:
    """A send the worker started (not a read, not the bookkeeping row of an expired lease)."""
    if a.get("request") is not None:
        return a["request"] == "send"
    return not is_read_attempt(a) and a.get("worker") is not None


def fmt_t(t, base) -> str:
    return f"{(t - base) / 1000:+8.3f}s"


# ------------------------------------------------------------------------------------------------
# The checks
# ------------------------------------------------------------------------------------------------
class Report:
    def __init__(self):
        self.violations = collections.OrderedDict()
        self.notes = collections.OrderedDict()

    def violation(self, kind: str, key: str, text: str) -> None:
        self.violations.setdefault(kind, []).append((key, text))

    def note(self, kind: str, key: str, text: str) -> None:
        self.notes.setdefault(kind, []).append((key, text))


def analyse(producer: Producer, requests: list[dict], payments: list[dict], sale_counts: dict,
            approvals: dict, db: str, cfg: dict, windows: list[dict], end_ms: int, request_gaps) -> tuple:
    report = Report()
    outbox, attempts, outcomes = load_db(db)
    commands = {c.key.lower(): c for c in producer.inserted}
    pay_by_muc = {p["order"]["merchantUniqueCode"].lower(): p for p in payments}
    pay_by_id = {p["paymentRequestId"].lower(): p for p in payments}
    worker_requests = [r for r in requests if not is_ours(r)]
    kind_deadline = cfg["kind_deadline_ms"]
    cap = cfg["backoff_cap_ms"]

    # -- who sent what: map each Paywall request to the command it carries ----------------------
    sale_of = {}  # follow-up key → sale key
    follow_by = {}  # (route, sale key) → follow-up key
    by_tag, by_pid, by_pair_id = {}, {}, {}
    for key, c in commands.items():
        if c.kind in FOLLOW_UP_KINDS:
            sale_key = (c.sale_key or "").lower()
            if not sale_key and c.payment_request_id:
                p = pay_by_id.get(c.payment_request_id.lower())
                sale_key = p["order"]["merchantUniqueCode"].lower() if p else ""
            sale_of[key] = sale_key
            follow_by[(c.kind, sale_key)] = key
        if c.tag:
            by_tag[c.tag] = key
        if c.payment_id:
            by_pid[c.payment_id] = key
        if c.kind == "async_pair_confirm":
            pid = json.loads(c.payload)["PairAsyncRequestId"].lower()
            by_pair_id[pid] = key
    sent = collections.defaultdict(list)  # command key → its send requests
    unmapped = 0
    for r in worker_requests:
        route = r["route"]
        if route not in SEND_ROUTES:
            continue
        body = body_json(r["body"])
        key = None
        if route in SALE_KINDS:
            key = str(body.get("MerchantUniqueCode", "")).lower()
        elif route in FOLLOW_UP_KINDS:
            p = pay_by_id.get(str(body.get("PaymentRequestId", "")).lower())
            if p:
                key = follow_by.get((route, p["order"]["merchantUniqueCode"].lower()))
        elif route in ("async_pair_request", "sync_pair_request"):
            key = by_tag.get(body.get("TerminalTagCode"))
        elif route == "async_pair_confirm":
            key = by_pair_id.get(str(body.get("PairAsyncRequestId", "")).lower())
        elif route.startswith("marketplace_approve"):
            key = by_pid.get(body.get("PaymentId"))
        if key and key in commands:
            sent[key].append(r)
        else:
            unmapped += 1
    if unmapped:
        report.note("requests that name no queued command", "-", f"{unmapped} send requests")

    def deadline_of(c: Command, row) -> int:
        return row["deadline"] if row.get("deadline") is not None else row["created_at"] + kind_deadline[c.kind]

    def timeline(key: str, extra: list | None = None) -> str:
        c, row = commands[key], outbox.get(key)
        if row is None:
            return "    (not in the outbox)"
        base = row["created_at"]
        events = [(base, "outbox ", f"created {c.kind} key={c.key}"
                   + (f" sale_key={c.sale_key}" if c.sale_key else "")
                   + (f" payment_request_id={c.payment_request_id}" if c.payment_request_id else "")
                   + f"; deadline {fmt_t(deadline_of(c, row), base)}")]
        for a in attempts.get(row["id"], []):
            events.append((a["started_at"], "attempt", f"{a['outcome']} http={a['http_status']} "
                           f"took={a['duration_ms']}ms worker={a['worker']} {(a['error'] or '')[:110]}"))
        for r in sent.get(key, []):
            events.append((r["receivedAt"], "sim    ", f"#{r['sequence']} {r['route']} fault={r['fault']} "
                           f"status={r.get('responseStatus')} {client_message(r)[:70]}"))
        for o in outcomes.get((row["id"], row["generation"]), []):
            events.append((o["created_at"], "inbox  ", f"{o['outcome']} reason={o['reason']} "
                           f"prid={o['payment_request_id']} {(o['message'] or '')[:90]}"))
        for t, what, text in extra or []:
            events.append((t, what, text))
        events.sort(key=lambda e: e[0])
        return "\n".join(f"    {fmt_t(t, base)} {what} {text}" for t, what, text in events)

    # 1. exactly one inbox outcome per command ------------------------------------------------
    for key, c in commands.items():
        row = outbox.get(key)
        if row is None:
            report.violation("command without exactly one inbox outcome", key,
                             f"{c.kind}: the INSERT committed but the row is missing")
            continue
        n = len(outcomes.get((row["id"], row["generation"]), []))
        if n != 1:
            report.violation("command without exactly one inbox outcome", key,
                             f"{c.kind}: {n} outcomes; state={row['state']} attempts={row['attempts']} "
                             f"needs_reconcile={row['needs_reconcile']} last_error={(row['last_error'] or '')[:120]}")

    def outcome_of(key):
        row = outbox.get(key)
        if row is None:
            return None
        rows = outcomes.get((row["id"], row["generation"]), [])
        return rows[0] if rows else None

    # 2. a sale processed twice other than through a duplicate-code answer ---------------------
    duplicate_answers = 0
    for key, c in commands.items():
        if c.kind not in SALE_KINDS:
            continue
        counts = sale_counts.get(key, {"received": 0, "processed": 0, "accepted": 0})
        if counts["accepted"] > 1:
            report.violation("sale processed twice", key, f"{c.kind}: accepted {counts['accepted']} times")
        # The simulator refuses every later sale with a known code as a duplicate, so a processing
        # beyond the one acceptance is a duplicate-code answer (seen, or lost with a dropped answer).
        duplicate_answers += max(0, counts["processed"] - counts["accepted"])
        if counts["processed"] > counts["accepted"] and "code_conflict" not in c.tags:
            report.note("sales resent after Paywall had them (answered duplicate)", key,
                        f"{c.kind}: processed {counts['processed']}, accepted {counts['accepted']}")
    # Non-deduplicated kinds (issue 9 item 10): a pair request processed twice.
    for key, c in commands.items():
        if c.kind in ("async_pair_request", "sync_pair_request"):
            n = sum(1 for r in sent.get(key, []) if processed(r))
            if n > 1:
                report.violation("pair request processed twice (not deduplicated by Paywall)", key,
                                 f"{c.kind}: processed {n} times")

    # 3. rollbacks inside the 5 s window (simulator clock on both sides) ----------------------
    for r in worker_requests:
        if r["route"] not in ("sync_sale_rollback", "sync_cancel_rollback"):
            continue
        p = pay_by_id.get(str(body_json(r["body"]).get("PaymentRequestId", "")).lower())
        if not p:
            continue
        if r["route"] == "sync_sale_rollback":
            accepted = p["createdAt"]
        else:
            cancels = [a["at"] for a in p["activities"] if a["type"] == 2 and a["status"] == 2
                       and a["at"] <= r["receivedAt"]]
            if not cancels:
                continue
            accepted = max(cancels)
        if r["receivedAt"] - accepted < ROLLBACK_WINDOW_MS:
            key = follow_by.get((r["route"], p["order"]["merchantUniqueCode"].lower()), "?")
            report.violation("rollback inside its 5 s window", key,
                             f"{r['route']} #{r['sequence']} received {r['receivedAt'] - accepted} ms after "
                             f"Paywall accepted the command it revokes (fault={r['fault']}, "
                             f"answer={client_message(r)[:60]})")

    # 4. sends after the deadline ---------------------------------------------------------------
    for key, c in commands.items():
        row = outbox.get(key)
        if row is None:
            continue
        deadline = deadline_of(c, row)
        for r in sent.get(key, []):
            if r["receivedAt"] > deadline + SEND_TRANSIT_TOLERANCE_MS:
                report.violation("send received after the command's deadline", key,
                                 f"{r['route']} #{r['sequence']} received {r['receivedAt'] - deadline} ms after the "
                                 f"deadline (fault={r['fault']}, processed={processed(r)})")
        for a in attempts.get(row["id"], []):
            if is_send_attempt(a) and a["started_at"] > deadline and a["outcome"] != "invalid":
                report.violation("send started by the worker after the command's deadline", key,
                                 f"attempt {a['outcome']} started {a['started_at'] - deadline} ms after the deadline")

    # 5. requests inside a Retry-After hold ---------------------------------------------------
    ra_ms = cfg["retry_after_s"] * 1000
    all_attempts = sorted((a for rows in attempts.values() for a in rows), key=lambda a: a["started_at"])
    starts = [a["started_at"] for a in all_attempts]
    def attempt_for(r, status=None, rows=None):
        """The worker's attempt row that carried simulator request `r` (its send or read was in
        progress when the simulator received it), or None (e.g. the worker was killed first)."""
        t = r["receivedAt"]
        if rows is None:
            i = bisect.bisect_right(starts, t + ATTEMPT_MATCH_TOLERANCE_MS)
            rows = all_attempts[max(0, i - 400):i]
        best = None
        for a in rows:
            if status is not None and a["http_status"] != status:
                continue
            if a["started_at"] - ATTEMPT_MATCH_TOLERANCE_MS <= t <= \
                    a["started_at"] + (a["duration_ms"] or 0) + ATTEMPT_MATCH_TOLERANCE_MS:
                if best is None or a["started_at"] > best["started_at"]:
                    best = a
        return best

    # A hold starts when a worker had the 429/503 (its attempt row: started + duration); one that
    # reached a worker killed before recording it binds nobody.
    holds = {"private": [], "public": []}
    unseen_holds = 0
    for r in worker_requests:
        if r.get("responseStatus") in (429, 503):
            a = attempt_for(r, status=r["responseStatus"])
            if a:
                seen = max(r["receivedAt"], a["started_at"] + (a["duration_ms"] or 0))
                holds["public" if r["route"].startswith("marketplace") else "private"].append((seen, r))
            else:
                unseen_holds += 1
    for cls in holds:
        holds[cls].sort(key=lambda x: x[0])
    seen_times = {cls: [x[0] for x in v] for cls, v in holds.items()}
    sim_sorted = {cls: sorted(v, key=lambda x: x[1]["receivedAt"]) for cls, v in holds.items()}
    sim_times = {cls: [x[1]["receivedAt"] for x in v] for cls, v in sim_sorted.items()}
    key_of_seq = {x["sequence"]: k for k, rs in sent.items() for x in rs}
    offenders = {}
    for r in worker_requests:
        cls = "public" if r["route"].startswith("marketplace") else "private"
        key = key_of_seq.get(r["sequence"])
        row = outbox.get(key) if key else None
        mine = attempt_for(r, rows=[a for a in attempts.get(row["id"], []) if is_send_attempt(a)]) if row else None
        if mine:
            # Judged on the worker's clock: the send started after a worker had the answer.
            t = mine["started_at"]
            lo = bisect.bisect_right(seen_times[cls], t - ra_ms + RETRY_AFTER_END_TOLERANCE_MS)
            hi = bisect.bisect_left(seen_times[cls], t - RETRY_AFTER_PROPAGATION_MS)
            if lo < hi:
                offenders[r["sequence"]] = (r, holds[cls][lo][1], t - holds[cls][lo][0], "worker")
            continue
        # No attempt row (a read, or a killed worker's send): judged on the simulator's clock.
        t = r["receivedAt"]
        lo = bisect.bisect_right(sim_times[cls], t - ra_ms + RETRY_AFTER_END_TOLERANCE_MS)
        hi = bisect.bisect_left(sim_times[cls], t - RETRY_AFTER_INFLIGHT_MS)
        if lo < hi:
            h = sim_sorted[cls][lo][1]
            offenders[r["sequence"]] = (r, h, t - h["receivedAt"], "simulator")
    throttled_in_hold = sum(1 for r, *_ in offenders.values() if r.get("responseStatus") in (429, 503))
    by_route = collections.Counter(r["route"] for r, *_ in offenders.values())
    for seq in sorted(offenders):
        r, h, after, clock = offenders[seq]
        key = key_of_seq.get(seq, f"(read: {r['route']})")
        report.violation("request inside a Retry-After hold", key,
                         f"#{seq} {r['route']} {'started' if clock == 'worker' else 'received'} {after} ms after "
                         f"{'a worker had' if clock == 'worker' else 'the simulator sent'} the "
                         f"{h['responseStatus']} (Retry-After {cfg['retry_after_s']} s) of #{h['sequence']} "
                         f"{h['route']}; this one answered {r.get('responseStatus')}, fault={r['fault']} "
                         f"({clock} clock)")
    hold_summary = {"holds": sum(len(v) for v in holds.values()), "unseen_holds": unseen_holds,
                    "requests_in_hold": len(offenders), "of_which_throttled_again": throttled_in_hold,
                    "by_route": dict(by_route)}

    # 6. outcomes that contradict the simulator's final state -----------------------------------
    contradiction = "outcome contradicts the simulator's final state"
    for key, c in commands.items():
        o = outcome_of(key)
        if o is None:
            continue
        out = o["outcome"]
        if c.kind in SALE_KINDS:
            p = pay_by_muc.get(key)
            if "code_conflict" in c.tags:
                if out == "succeeded":
                    report.violation(contradiction, key,
                                     f"{c.kind} {c.amount}: Paywall holds this code for amount "
                                     f"{p['order']['amount'] if p else '?'}; inbox says succeeded "
                                     f"(prid {o['payment_request_id']}) instead of failed/merchant_unique_code_conflict")
                elif not (out == "failed" and o["reason"] == "merchant_unique_code_conflict"):
                    report.note("code-conflict sale not ended failed/merchant_unique_code_conflict", key,
                                f"{out}/{o['reason']}")
                continue
            if out == "succeeded":
                if p is None:
                    report.violation(contradiction, key, f"{c.kind}: inbox succeeded, the simulator has no such sale")
                elif o["payment_request_id"] and o["payment_request_id"].lower() != p["paymentRequestId"]:
                    report.violation(contradiction, key, f"{c.kind}: inbox PaymentRequestId {o['payment_request_id']}"
                                     f" but the simulator's is {p['paymentRequestId']}")
            elif out in ("failed", "expired", "revoked", "discarded") and p is not None:
                report.violation(contradiction, key, f"{c.kind}: inbox {out}/{o['reason']} but the simulator has the "
                                 f"sale (prid {p['paymentRequestId']}, status {p['statusName']})")
            elif out == "dead":
                report.note("sales ended dead (outcome unknown, allowed)", key,
                            f"{o['reason']}; simulator {'has it' if p else 'does not have it'}")
        elif c.kind in FOLLOW_UP_KINDS:
            p = pay_by_muc.get(sale_of.get(key, ""))
            route_requests = [r for r in sent.get(key, []) if processed(r)]
            if c.kind in ("async_cancel", "sync_cancel"):
                # The cancel activities this command created: one per processed, accepted request.
                done = p is not None and any(
                    a["type"] == 2 and a["status"] == 2 and any(0 <= a["at"] - r["receivedAt"] <= 1000
                                                                for r in route_requests)
                    for a in p["activities"])
                # "Already cancelled" is true when another cancel of the payment stood when the
                # outcome was written (a later cancel rollback may revoke it afterwards).
                t_out = o["created_at"]
                standing = p is not None and any(
                    a["type"] == 2 and a["status"] == 2 and a["at"] <= t_out
                    and not any(b["id"] == a["id"] and b["status"] == 12 and b["at"] <= t_out for b in p["activities"])
                    for a in p["activities"])
                if out == "succeeded" and not done and not standing:
                    report.violation(contradiction, key, f"{c.kind}: inbox succeeded ({o['reason']}) but the "
                                     "simulator has no cancel of the payment standing")
                if out in ("failed", "expired", "revoked") and done:
                    report.violation(contradiction, key, f"{c.kind}: inbox {out}/{o['reason']} but the simulator "
                                     "performed the cancel")
            elif c.kind == "sync_sale_rollback":
                rolled = p is not None and p["status"] == 12
                if out == "succeeded" and not rolled:
                    report.violation(contradiction, key, f"{c.kind}: inbox succeeded but the sale is "
                                     f"{p['statusName'] if p else 'absent'}")
                if out in ("failed", "expired", "revoked") and rolled:
                    report.violation(contradiction, key, f"{c.kind}: inbox {out}/{o['reason']} but the simulator "
                                     "rolled the sale back (status 12)")
            elif c.kind == "sync_cancel_rollback":
                rolled = p is not None and any(a["type"] == 2 and a["status"] == 12 for a in p["activities"])
                if out == "succeeded" and not rolled:
                    report.violation(contradiction, key, f"{c.kind}: inbox succeeded but no cancel was rolled back")
                if out in ("failed", "expired", "revoked") and rolled:
                    report.violation(contradiction, key, f"{c.kind}: inbox {out}/{o['reason']} but the simulator "
                                     "rolled the cancel back (status 12)")
        elif c.kind in ("async_pair_request", "sync_pair_request", "async_pair_confirm"):
            n = sum(1 for r in sent.get(key, []) if processed(r))
            if out == "succeeded" and n == 0:
                report.violation(contradiction, key, f"{c.kind}: inbox succeeded but the simulator processed none")
            if out in ("failed", "expired", "revoked") and n > 0 and "unknown_pair_request" not in c.tags:
                ok = [r for r in sent.get(key, []) if processed(r) and r["fault"] != "drop_after_processing"
                      and "NotFound" in client_message(r)]
                if len(ok) < n:
                    report.violation(contradiction, key, f"{c.kind}: inbox {out}/{o['reason']} but the simulator "
                                     f"processed it {n} time(s)")
        elif c.kind == "marketplace_approve":
            approved = approvals.get(c.payment_id)
            if approved is None:
                continue
            if out == "succeeded" and not approved:
                report.violation(contradiction, key, f"PaymentId {c.payment_id}: inbox succeeded, nothing approved")
            if out in ("failed", "expired", "revoked") and approved:
                report.violation(contradiction, key, f"PaymentId {c.payment_id}: inbox {out}/{o['reason']} but the "
                                 "simulator approved it")

    # 7. no progress for longer than the command's deadline plus the backoff cap ----------------
    # Time during which no command could progress: outages and lost answers (every worker pauses
    # until a probe gets an answer) and Retry-After holds. A gap is judged net of these.
    stalls = [(w["start"], w["end"] + BREAKER_RECOVERY_MS) for w in windows]
    stalls += [(r["receivedAt"], r["receivedAt"] + cfg["request_timeout_ms"] + BREAKER_RECOVERY_MS)
               for r in worker_requests if r.get("fault") == "drop_after_processing"]
    stalls += [(r["receivedAt"], r["receivedAt"] + cfg["retry_after_s"] * 1000 + RETRY_AFTER_INFLIGHT_MS)
               for r in worker_requests if r.get("responseStatus") in (429, 503)]
    stalls.sort()
    merged: list[list[int]] = []
    for lo, hi in stalls:
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])

    def stalled(a: int, b: int) -> int:
        return sum(max(0, min(b, hi) - max(a, lo)) for lo, hi in merged)

    for key, c in commands.items():
        row = outbox.get(key)
        if row is None:
            continue
        span = deadline_of(c, row) - row["created_at"]
        limit = span + cap + cfg["lease_ms"] + PROGRESS_SLACK_MS
        # A send that may have landed is resolved by a payment-list scan taken a grace period
        # after it (issue 9 item 1): the wait for that proof is not "no progress".
        maybe_landed = any(a["outcome"] == "unknown" for a in attempts.get(row["id"], [])) or any(
            r["fault"] in ("drop_after_processing", "slow") for r in sent.get(key, []))
        if maybe_landed:
            limit += cfg["request_timeout_ms"] + LANDING_GRACE_MS
        times = [row["created_at"]]
        for a in attempts.get(row["id"], []):
            times += [a["started_at"], a["started_at"] + (a["duration_ms"] or 0)]
        times += [r["receivedAt"] for r in sent.get(key, [])]
        o = outcome_of(key)
        finished = o is not None
        times.append(o["created_at"] if finished else end_ms)
        times.sort()
        gap, at, paused = max(((b - a - stalled(a, b), a, stalled(a, b)) for a, b in zip(times, times[1:])),
                              default=(0, 0, 0))
        if gap > limit:
            report.violation("no progress for longer than deadline + backoff cap", key,
                             f"{c.kind}: {gap / 1000:.1f} s without progress (besides {paused / 1000:.1f} s of "
                             f"pauses and holds) from {fmt_t(at, row['created_at'])} "
                             f"(limit {limit / 1000:.1f} s = deadline span {span / 1000:.1f} + cap {cap / 1000:.0f} "
                             f"+ lease {cfg['lease_ms'] / 1000:.0f} + slack"
                             + (" + request timeout + landing grace" if maybe_landed else "") + "); "
                             + ("finished " + o["outcome"] if finished else f"unfinished, state {row['state']}"))

    # -- sends exposed per outage ------------------------------------------------------------------
    exposure = []
    for w in windows:
        lo, hi = w["start"], w["end"] + RETRY_AFTER_INFLIGHT_MS
        lost = [r for r in worker_requests if lo <= r["receivedAt"] <= hi and r["fault"] == "drop_after_processing"]
        conn_fail = [a for rows in attempts.values() for a in rows
                     if lo <= a["started_at"] + (a["duration_ms"] or 0) <= hi + cfg["request_timeout_ms"]
                     and a["started_at"] <= hi and a["outcome"] in ("unknown", "unavailable")]
        if w["kind"] == "lost_answers":
            exposed = len(lost)
            sends = sum(1 for r in lost if r["route"] in SEND_ROUTES)
            # Started after a worker had seen the first lost answer (+ in-flight allowance).
            first_seen = min((a["started_at"] + (a["duration_ms"] or 0) for rows in attempts.values() for a in rows
                              if a["outcome"] == "unknown" and a.get("worker") and lo <= a["started_at"] <= hi),
                             default=None)
            after = sum(1 for r in lost if first_seen is not None
                        and r["receivedAt"] > first_seen + RETRY_AFTER_INFLIGHT_MS)
        else:
            exposed = len(conn_fail)
            sends = sum(1 for a in conn_fail if not is_read_attempt(a))
            first_seen = min((a["started_at"] + (a["duration_ms"] or 0) for a in conn_fail), default=None)
            # A pause reaches the other workers through the database (read at most every 100 ms
            # before a send), like a Retry-After hold.
            after = sum(1 for a in conn_fail if first_seen is not None
                        and a["started_at"] > first_seen + RETRY_AFTER_PROPAGATION_MS)
        exposure.append(dict(w, exposed=exposed, sends=sends, after_first=after, lost=len(lost),
                             unknown=sum(1 for a in conn_fail if a["outcome"] == "unknown"),
                             refused=sum(1 for a in conn_fail if a["outcome"] == "unavailable")))

    info = {"duplicate_answers": duplicate_answers, "hold": hold_summary, "exposure": exposure,
            "outbox": outbox, "outcomes": outcomes, "sent": sent, "request_gaps": request_gaps}
    return report, timeline, info


# ------------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=None, help="commands to queue (default 2000; --short: 300)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="wall-clock budget (default: 300 for 2000 commands, scaled; --short: 56)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the plan, the kills and the simulator's faults")
    parser.add_argument("--short", action="store_true", help="a few hundred commands, under a minute (CI)")
    parser.add_argument("--bin", default=".build/debug", help="directory of the built binaries (default .build/debug)")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory (db, logs, simulator dumps)")
    parser.add_argument("--recheck", metavar="DIR", help="run the checks again on a directory kept with --keep")
    parser.add_argument("--postgres", action="store_true",
                        help="the outbox in PostgreSQL: a throwaway cluster of this run's own (needs Debian's postgresql)")
    parser.add_argument("--postgres-port", type=int, default=None, help="that cluster's port (default: from the pid)")
    args = parser.parse_args()
    if args.recheck:
        return recheck(args.recheck)

    commands = args.commands or (300 if args.short else 2000)
    seconds = args.seconds or (56.0 if args.short else max(120.0, 60.0 + commands * 0.12))
    rng = random.Random(args.seed)
    # Phases (fractions of the budget): queue until `load`, chaos (kills, faults, outages) until
    # `chaos`, settle with one worker and no faults until `settle`; the rest is for the checks.
    # Settling needs at least the worker's landing grace (30 s) + request timeout + a lookup.
    settle_s = seconds * 0.93
    chaos_s = min(seconds * 0.52, settle_s - SETTLE_MIN_S)
    load_s = chaos_s * 0.8
    if chaos_s < 8:
        parser.error(f"--seconds {seconds:.0f} is too short: at least {SETTLE_MIN_S + 10:.0f} s are needed")
    short_kind = max(20, min(60, int(seconds * 0.2)))
    kind_deadline_ms = {k: short_kind * 1000 for k in KINDS}
    for k in FOLLOW_UP_KINDS:
        kind_deadline_ms[k] = int(short_kind * 1.5) * 1000
    cfg = {
        "kind_deadline_ms": kind_deadline_ms,
        "backoff_cap_ms": 2000 if seconds < 100 else 4000,
        "lease_ms": 4000 if seconds < 100 else 6000,
        "request_timeout_ms": 3000 if seconds < 100 else 4000,
        "retry_after_s": 2,
    }
    # Throttling is kept rare: every 429/503 holds every request on those keys for Retry-After.
    rates = {"serverErrorRate": 0.03, "serviceUnavailableRate": 0.004, "tooManyRequestsRate": 0.006,
             "retryAfterSeconds": cfg["retry_after_s"], "slowRate": 0.04, "slowDelayMillis": 1500,
             "dropAfterProcessingRate": 0.04}
    settings = [
        "--concurrency", "8", "--lease", f"{cfg['lease_ms']}ms", "--request-timeout", f"{cfg['request_timeout_ms']}ms",
        "--connect-timeout", "1s", "--backoff-base", "250ms", "--backoff-cap", f"{cfg['backoff_cap_ms']}ms",
        "--max-attempts", "8", "--max-age", f"{short_kind * 3}s", "--log-level", "info",
        "--landing-grace", f"{LANDING_GRACE_MS}ms",
    ] + [x for k in KINDS for x in ("--deadline", f"{k}={kind_deadline_ms[k] // 1000}s")]

    bin_src = os.path.abspath(args.bin)
    for name in ("paywall-sim", "worker", "outbox"):
        if not os.access(os.path.join(bin_src, name), os.X_OK):
            print(f"chaos: {os.path.join(bin_src, name)} not found or not executable (build first; --bin DIR)",
                  file=sys.stderr)
            return 2
    tmp = tempfile.mkdtemp(prefix="paywall-chaos-")
    bin_dir, logs = os.path.join(tmp, "bin"), os.path.join(tmp, "logs")
    os.makedirs(bin_dir)
    os.makedirs(logs)
    for name in ("paywall-sim", "worker", "outbox"):
        shutil.copy2(os.path.join(bin_src, name), os.path.join(bin_dir, name))
    db = os.path.join(tmp, "outbox.sqlite")
    stop_cluster = None
    if args.postgres:
        port = args.postgres_port or 20000 + os.getpid() % 10000
        try:
            dsn, stop_cluster, sock = start_cluster(port, name="paywall-chaos")
            admin = PG(LibPQ(), dsn)
            admin.execute("CREATE DATABASE chaos")
            admin.close()
        except Exception as error:
            print(f"chaos: could not start a PostgreSQL cluster: {error!r}", file=sys.stderr)
            if stop_cluster:
                stop_cluster()
            shutil.rmtree(tmp, ignore_errors=True)
            return 2
        db = f"postgres://postgres@localhost:{port}/chaos?host={sock}"
    built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(os.path.getmtime(os.path.join(bin_src, "worker"))))
    log(f"temp dir {tmp}; {commands} commands, budget {seconds:.0f} s, seed {args.seed}; worker built {built}")
    cfg["built"] = built

    sim_proc = None
    workers = None
    stop = threading.Event()
    try:
        sim_err = open(os.path.join(logs, "paywall-sim.log"), "wb")
        sim_proc = subprocess.Popen(
            [os.path.join(bin_dir, "paywall-sim"), "--port", "0", "--seed", str(args.seed), "--no-callbacks",
             "--offline-terminal", OFFLINE_TERMINAL, "--device-delay", "8", "--processing-time", "2",
             "--error-rate", str(rates["serverErrorRate"]), "--unavailable-rate", str(rates["serviceUnavailableRate"]),
             "--rate-limit-rate", str(rates["tooManyRequestsRate"]), "--retry-after", str(cfg["retry_after_s"]),
             "--slow-rate", str(rates["slowRate"]), "--slow-delay", str(rates["slowDelayMillis"] / 1000),
             "--drop-rate", str(rates["dropAfterProcessingRate"])],
            stdout=sim_err, stderr=subprocess.STDOUT)
        port = None
        for _ in range(200):
            text = open(os.path.join(logs, "paywall-sim.log"), errors="replace").read()
            if "sim.listener.port=" in text:
                port = int(text.split("sim.listener.port=")[1].split()[0])
                break
            if sim_proc.poll() is not None:
                break
            time.sleep(0.05)
        if not port:
            raise RuntimeError("paywall-sim did not start (see logs/paywall-sim.log)")
        base = f"http://127.0.0.1:{port}"
        sim = Sim(base)
        result = subprocess.run([os.path.join(bin_dir, "outbox"), "migrate", "--yes", "--db", db],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"outbox migrate failed: {result.stdout}{result.stderr}")
        workers = Workers(bin_dir, db, base, logs, settings)
        workers.check_config()

        producer = Producer(db, rng, commands, int(load_s * 1000), short_deadline_share=0.1)
        producer.plan()
        # Paywall already holds some MerchantUniqueCodes with another amount (issue 9 item 4).
        if producer.conflicts:
            sim.admin("POST", "/faults", {"script": ["none"] * len(producer.conflicts)})
            for key, amount in producer.conflicts.items():
                c = producer.commands[key]
                queued = json.loads(c.payload)
                payload = {k: queued[k] for k in ("TerminalId", "TerminalTagCode", "MerchantUniqueCode", "CurrencyId")
                           if k in queued}
                payload.update({"Amount": "X", "Products": [{"Name": "Other", "TaxGroupId": 20, "UnitCodeId": 4,
                                                             "Amount": "X", "Quantity": 1}]})
                route = "/api/payment/sync/sale" if c.kind == "sync_sale" else "/api/payment/async/sale"
                status, raw = sim.call_raw(
                    "POST", route, json.dumps(payload).replace('"X"', amount),
                    {"apikeyprivate": "sim-private-key", "apiclientprivate": "sim-private-client"})
                if status != 200 or not body_json(raw.decode()).get("Succeeded"):
                    raise RuntimeError(f"could not seed a conflicting sale: {status} {raw[:200]!r}")

        request_log = RequestLog(sim)
        windows: list[dict] = []
        t0 = time.monotonic()
        threads = [
            threading.Thread(target=producer.run, args=(t0, stop), daemon=True),
            threading.Thread(target=request_log.run, args=(stop,), daemon=True),
            threading.Thread(target=outages, args=(sim, random.Random(args.seed + 1), rates, t0 + chaos_s, stop,
                                                   windows), daemon=True),
        ]
        for t in threads:
            t.start()
        log(f"simulator on {base}; chaos until {chaos_s:.0f} s, settle until {settle_s:.0f} s")
        chaos_workers(workers, random.Random(args.seed + 2), t0 + chaos_s, stop)
        log(f"chaos over: {workers.count} workers started, {workers.kills} SIGKILLed; faults off, settling")
        threads[0].join(timeout=max(0.0, t0 + load_s + 5 - time.monotonic()))
        zero = {k: 0 for k in rates if k.endswith("Rate")}
        for _ in range(50):
            try:
                sim.admin("POST", "/faults", zero)
                break
            except Exception:
                time.sleep(0.2)  # the port may be closed for an outage still
        settle_at = now_ms()
        settler = workers.start()
        check = connect(db)
        while time.monotonic() < t0 + settle_s:
            left = check.execute("SELECT count(*) FROM outbox WHERE state IN ('pending', 'in_flight')").fetchone()[0]
            if left == 0 and not threads[0].is_alive():
                break
            if settler.poll() is not None:
                workers.reap()
                settler = workers.start()
            time.sleep(0.5)
        left = check.execute("SELECT count(*) FROM outbox WHERE state IN ('pending', 'in_flight')").fetchone()[0]
        check.close()
        stop.set()
        workers.stop_gracefully(settler)
        workers.kill_all()
        end_ms = now_ms()
        log(f"settled in {(end_ms - settle_at) / 1000:.1f} s; {left} commands still unfinished")
        for t in threads:
            t.join(timeout=10)
        request_log.poll()
        requests = request_log.all()
        payments = sim.admin("GET", "/payments", timeout=120)
        sale_counts = {k.lower(): v for k, v in sim.admin("GET", "/sales", timeout=120).items()}
        approvals = {}
        for c in producer.inserted:
            if c.kind == "marketplace_approve":
                status, raw = sim.call("GET", "/api/paywall/marketplace/report/approval",
                                       headers={"paymentid": str(c.payment_id), "apikeypublic": "sim-public-key",
                                                "apiclientpublic": "sim-public-client"})
                body = body_json(raw.decode())
                if body.get("ErrorCode") == 0 and isinstance(body.get("Body"), dict):
                    approvals[c.payment_id] = bool(body["Body"].get("Approved"))
                elif body.get("ErrorCode") == 32:
                    approvals[c.payment_id] = False
        with open(os.path.join(tmp, "sim-requests.json"), "w") as f:
            json.dump(requests, f)
        with open(os.path.join(tmp, "sim-payments.json"), "w") as f:
            json.dump(payments, f)

        wall = time.monotonic() - t0
        if is_postgres(db):
            with open(os.path.join(tmp, "outbox.json"), "w") as f:
                json.dump(read_tables(db), f)
        save_run(tmp, producer, workers, request_log, cfg, rates, seconds, commands, args, windows, end_ms,
                 sale_counts, approvals, wall)
        report, timeline, info = analyse(producer, requests, payments, sale_counts, approvals, db, cfg, windows,
                                         end_ms, request_log.gaps)
        status = summarise(report, timeline, info, producer, workers, requests, cfg, rates, seconds, commands, args,
                           wall, request_log, tmp)
        if status != 0:
            args.keep = True  # a failed run keeps its database, worker logs and simulator dumps
        return status
    except Exception as error:
        print(f"chaos: the run failed: {error!r} (temp dir {tmp})", file=sys.stderr)
        args.keep = True
        return 2
    finally:
        stop.set()
        if workers:
            workers.kill_all()
        if sim_proc and sim_proc.poll() is None:
            sim_proc.send_signal(signal.SIGTERM)
            try:
                sim_proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                sim_proc.kill()
                sim_proc.wait()
        if stop_cluster:
            stop_cluster()  # its rows are in outbox.json
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


COMMAND_FIELDS = ("key", "kind", "payload", "sale_key", "payment_request_id", "deadline", "at", "inserted_at", "tag",
                  "payment_id", "pair_request_key", "pair_async_request_id", "follow_plan", "amount")


def save_run(tmp, producer, workers, request_log, cfg, rates, seconds, commands, args, windows, end_ms, sale_counts,
             approvals, wall) -> None:
    """Everything the checks need besides the database and the simulator dumps, for --recheck."""
    run = {
        "commands": [dict({f: getattr(c, f) for f in COMMAND_FIELDS}, tags=sorted(c.tags)) for c in producer.inserted],
        "refused": [[c.key, why] for c, why in producer.refused], "producer_errors": producer.errors,
        "workers": {"count": workers.count, "kills": workers.kills, "exits": workers.exits},
        "request_gaps": request_log.gaps, "cfg": cfg, "rates": rates, "seconds": seconds, "planned": commands,
        "seed": args.seed, "bin": os.path.abspath(args.bin), "windows": windows, "end_ms": end_ms,
        "sale_counts": sale_counts, "approvals": {str(k): v for k, v in approvals.items()}, "wall": wall,
    }
    with open(os.path.join(tmp, "run.json"), "w") as f:
        json.dump(run, f)


def recheck(directory: str) -> int:
    """Runs the checks again on a kept run directory (run.json, outbox.sqlite, sim-*.json)."""
    from types import SimpleNamespace as NS
    run = json.load(open(os.path.join(directory, "run.json")))
    inserted = []
    for item in run["commands"]:
        c = Command(item["key"], item["kind"], item["payload"], item["at"])
        for f in COMMAND_FIELDS:
            setattr(c, f, item[f])
        c.tags = set(item["tags"])
        inserted.append(c)
    producer = NS(inserted=inserted, refused=[(NS(key=k), why) for k, why in run["refused"]],
                  errors=run["producer_errors"])
    workers = NS(**run["workers"])
    request_log = NS(gaps=[tuple(g) for g in run["request_gaps"]])
    cfg = run["cfg"]
    requests = json.load(open(os.path.join(directory, "sim-requests.json")))
    payments = json.load(open(os.path.join(directory, "sim-payments.json")))
    approvals = {int(k): v for k, v in run["approvals"].items()}
    args = NS(seed=run["seed"], bin=run["bin"], keep=True)
    kept = os.path.join(directory, "outbox.json")  # a PostgreSQL run's rows
    db = kept if os.path.exists(kept) else os.path.join(directory, "outbox.sqlite")
    report, timeline, info = analyse(producer, requests, payments, run["sale_counts"], approvals,
                                     db, cfg, run["windows"], run["end_ms"], request_log.gaps)
    return summarise(report, timeline, info, producer, workers, requests, cfg, run["rates"], run["seconds"],
                     run["planned"], args, run["wall"], request_log, directory)


def summarise(report, timeline, info, producer, workers, requests, cfg, rates, seconds, commands, args, wall,
              request_log, tmp) -> int:
    out = []
    p = out.append
    inserted = producer.inserted
    p("=" * 100)
    p(f"paywall-outbox chaos run: seed {args.seed}, {len(inserted)} commands queued (planned {commands}), "
      f"wall clock {wall:.0f} s (budget {seconds:.0f} s)")
    p(f"  binaries from {os.path.abspath(args.bin)} (worker built {cfg.get('built')})")
    p(f"  workers started {workers.count}, SIGKILLed {workers.kills}; "
      f"exited on their own with an error: {workers.exits or 'none'}")
    p(f"  faults during chaos: {json.dumps(rates)}; outages injected: {len(info['exposure'])}")
    p(f"  worker settings: lease {cfg['lease_ms']} ms, request timeout {cfg['request_timeout_ms']} ms, backoff cap "
      f"{cfg['backoff_cap_ms']} ms, deadlines " + ", ".join(f"{k}={v // 1000}s" for k, v in
                                                            cfg["kind_deadline_ms"].items()))
    p(f"  tolerances: send transit {SEND_TRANSIT_TOLERANCE_MS} ms after the deadline; Retry-After: requests within "
      f"{RETRY_AFTER_INFLIGHT_MS} ms of the 429/503 count as in flight (simulator clock; sends with an attempt row: "
      f"started > {RETRY_AFTER_PROPAGATION_MS} ms after a worker had the answer), hold end "
      f"-{RETRY_AFTER_END_TOLERANCE_MS} ms, only holds a worker recorded (attempt row) count; rollback window {ROLLBACK_WINDOW_MS} ms on the simulator's "
      f"clock, no tolerance; no progress: deadline span + backoff cap + lease + {PROGRESS_SLACK_MS} ms")
    if producer.refused:
        p(f"  producer INSERTs refused by the schema: {len(producer.refused)}, e.g. {producer.refused[0][1]}")
    if producer.errors:
        p(f"  producer errors: {producer.errors}")
    if request_log.gaps:
        missed = sum(b - a + 1 for a, b in request_log.gaps)
        p(f"  WARNING: {missed} simulator requests fell out of its 10,000-entry log between polls; "
          "checks that read the log are partial")
    kinds = collections.Counter(c.kind for c in inserted)
    outcome_table = collections.defaultdict(collections.Counter)
    outbox, outcomes = info["outbox"], info["outcomes"]
    for c in inserted:
        row = outbox.get(c.key.lower())
        rows = outcomes.get((row["id"], row["generation"]), []) if row else []
        label = f"{rows[0]['outcome']}/{rows[0]['reason'] or '-'}" if rows else "NO OUTCOME"
        outcome_table[c.kind][label] += 1
    p("")
    p("Outcomes by kind:")
    for kind in KINDS:
        if kinds[kind]:
            p(f"  {kind:22s} {kinds[kind]:5d}  " + ", ".join(f"{n} {label}" for label, n in
                                                           outcome_table[kind].most_common()))
    worker_requests = [r for r in requests if not is_ours(r)]
    faults = collections.Counter(r["fault"] for r in worker_requests)
    routes = collections.Counter(r["route"] for r in worker_requests)
    p("")
    p(f"Simulator: {len(worker_requests)} requests from workers; faults {dict(faults)}")
    p("  by route: " + ", ".join(f"{k} {v}" for k, v in routes.most_common()))
    p(f"  sale resends answered 'duplicate MerchantUniqueCode': {info['duplicate_answers']}")
    h = info["hold"]
    p(f"  Retry-After: {h['holds']} throttle answers seen by a worker ({h['unseen_holds']} more reached a worker "
      f"that died first); {h['requests_in_hold']} requests inside a hold, {h['of_which_throttled_again']} of them "
      f"throttled again; by route {h['by_route']}")
    p("")
    p("Sends exposed per outage (requests that got a lost answer or a connection failure in the window):")
    for w in info["exposure"]:
        p(f"  {w['kind']:13s} {(w['end'] - w['start']) / 1000:4.1f} s: exposed {w['exposed']:4d} "
          f"(command sends {w['sends']}; started after a worker had seen the first failure: {w['after_first']}; "
          f"lost answers {w['lost']}, worker 'unknown' {w['unknown']}, 'unavailable' {w['refused']})")
    if info["exposure"]:
        values = [w["exposed"] for w in info["exposure"]]
        later = [w["after_first"] for w in info["exposure"]]
        p(f"  per outage: mean {sum(values) / len(values):.1f}, max {max(values)}; started after the first failure "
          f"was seen: mean {sum(later) / len(later):.1f}, max {max(later)} (target: 0 — only sends already in "
          f"flight, at most concurrency 8 per worker)")
    for kind, items in report.notes.items():
        p(f"  note: {kind}: {len(items)}" + (f" (e.g. {items[0][0]}: {items[0][1]})" if items else ""))
    p("")
    total = sum(len(v) for v in report.violations.values())
    if not total:
        p("No violations.")
    else:
        p(f"VIOLATIONS: {total}")
        for kind, items in report.violations.items():
            real = items
            p("")
            p(f"--- {kind}: {len(real)}")
            shown = 0
            seen_keys = set()
            for key, text in real:
                if shown >= 2 or key in seen_keys:
                    continue
                seen_keys.add(key)
                p(f"  [{key}] {text}")
                if key in {c.key.lower() for c in inserted}:
                    p(timeline(key))
                shown += 1
            if len(real) > 2:
                where = os.path.join(tmp, "violations.txt")  # kept: a failed run keeps its directory
                p(f"  ... and {len(real) - shown} more ({where})")
    text = "\n".join(out)
    print(text)
    try:
        with open(os.path.join(tmp, "violations.txt"), "w") as f:
            for kind, items in report.violations.items():
                for key, line in items:
                    f.write(f"{kind}\t{key}\t{line}\n")
        with open(os.path.join(tmp, "summary.txt"), "w") as f:
            f.write(text + "\n")
    except OSError:
        pass
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
