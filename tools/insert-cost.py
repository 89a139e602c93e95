#!/usr/bin/env python3
"""What a producer's INSERT costs in our schema, against a plain table (issue 11: "Producer INSERT
into the schema >= 0.7x a plain table with the same client and settings").

    nice -n 10 python3 tools/insert-cost.py                   # N=100 rows of each kind, 5 rounds
    nice -n 10 python3 tools/insert-cost.py --n 200 --rounds 7
    nice -n 10 python3 tools/insert-cost.py --by-check        # + what each trigger, check group and index costs
    nice -n 10 python3 tools/insert-cost.py --try exp=FILE.sql  # + 001..006 followed by FILE.sql

Variants, each a fresh database file per round:
  plain   outbox's columns (defaults, collations, the generated column), its INTEGER PRIMARY KEY and
          UNIQUE command_key; no CHECK, trigger or other index
  before  Schema 001..006 (the refusals as released)
  after   Schema 001..latest (when there is a version after 006)

Each round inserts N valid rows of every kind (kinds interleaved; the payloads of README "One
INSERT per kind") into every variant, each INSERT its own transaction (autocommit) on a producer's
connection (busy_timeout 10000, synchronous NORMAL unless --synchronous, the file in WAL), the
same rows in every variant, 100 at a time per variant in turn (the order rotating), so a busy
machine slows all of them alike. Printed: the median microseconds per INSERT (over all rounds),
the spread of the per-round medians, and the speed ratio vs plain (plain's time / the variant's:
1.0 = as fast as a plain table).

--by-check adds scratch copies of `before` and `after` with one piece removed: each BEFORE/AFTER
INSERT trigger on outbox, each group of statements inside a validation trigger (groups are the
`-- ` comment headings inside the trigger body), each index of outbox. A piece's cost is the
median over turns of (the turn's median with it - the same turn's median without it).
"""
import argparse
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import outbox_testdb as T  # noqa: E402


# ---------------------------------------------------------------------------------------------
# Variants: (name, builder(path)).

def base_builders():
    latest = T.latest_version()
    out = [("plain", lambda p: T.build_plain(p)), ("before", lambda p: T.build(p, upto=6))]
    if latest > 6:
        out.append(("after", lambda p: T.build(p, upto=latest)))
    return out


def outbox_insert_pieces(upto):
    """What can be removed from a database at schema `upto`: [(label, sql that removes it)]."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "probe.db")
        T.build(path, upto=upto)
        conn = sqlite3.connect(path)
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'outbox' "
            "AND sql LIKE '%INSERT ON outbox%' ORDER BY rowid").fetchall()
        indexes = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox' AND sql IS NOT NULL "
            "ORDER BY rowid").fetchall()
        conn.close()
    pieces = []
    for name, sql in triggers:
        pieces.append(("trigger %s" % name, "DROP TRIGGER %s;" % name))
        groups = trigger_groups(sql)
        if len(groups) > 1:
            for label, _ in groups:
                pieces.append(("  %s: %s" % (name, label), "DROP TRIGGER %s;\n%s" % (name, without_group(sql, label))))
    for (name,) in indexes:
        pieces.append(("index %s" % name, "DROP INDEX %s;" % name))
    return pieces


HEADING = re.compile(r"^\s*--\s*(.*)$")


def trigger_groups(sql):
    """The statements of a trigger body grouped by their `-- ` comment headings:
    [(heading, [statement text, ...])]. Statements before any heading are grouped as '(first)'."""
    body = sql[sql.upper().index("BEGIN") + len("BEGIN"):sql.upper().rindex("END")]
    groups, label, buf, pending_heading = [], "(first)", "", None
    current = []
    for line in body.splitlines(keepends=True):
        m = HEADING.match(line)
        if m and not buf.strip():
            words = m.group(1).strip()
            if pending_heading is None:
                pending_heading = words
            continue
        if pending_heading is not None:
            if current:
                groups.append((label, current))
            label, current, pending_heading = short(pending_heading), [], None
        buf += line
        if sqlite3.complete_statement(buf):
            current.append(buf)
            buf = ""
    if current:
        groups.append((label, current))
    return groups


def short(heading):
    return heading.split(":")[0].rstrip(".").strip()[:40]


def without_group(sql, label):
    """CREATE TRIGGER text with group `label`'s statements left out."""
    head = sql[:sql.upper().index("BEGIN") + len("BEGIN")]
    kept = [s for l, stmts in trigger_groups(sql) if l != label for s in stmts]
    if not kept:
        kept = ["    SELECT 1;\n"]
    return head + "\n" + "".join(kept) + "END;"


# ---------------------------------------------------------------------------------------------
# Rows.

def make_rows(n_per_kind, kinds, rng):
    rows = []
    for i in range(n_per_kind):
        for kind in kinds:
            rows.append(T.valid_row(kind, rng))
    return rows


def statement(row):
    cols = list(row)
    return ("INSERT INTO outbox (%s) VALUES (%s)" % (", ".join(cols), ", ".join("?" * len(cols))),
            [row[c] for c in cols])


# ---------------------------------------------------------------------------------------------

def run(variants, args, workdir):
    clock = time.thread_time_ns if args.cpu else (lambda: 0)
    """Returns {name: [per-round list of µs per INSERT]}, {name: [median µs of each turn, in
    order]} and {name: {kind: [µs]}}. Turn i of every variant holds the same rows, run within
    milliseconds of each other."""
    times = {name: [] for name, _ in variants}
    turns = {name: [] for name, _ in variants}
    by_kind = {name: {} for name, _ in variants}
    rng = random.Random(args.seed)
    for r in range(args.rounds):
        rows = make_rows(args.n, args.kinds, rng)
        stmts = [statement(row) for row in rows]
        conns = {}
        for name, builder in variants:
            path = os.path.join(workdir, "%s.db" % re.sub(r"[^A-Za-z0-9_]+", "_", name))
            builder(path)
            conns[name] = T.producer_connection(path, args.synchronous)
        round_times = {name: [] for name, _ in variants}
        order = [name for name, _ in variants]
        for c, start in enumerate(range(0, len(stmts), args.chunk)):
            chunk = stmts[start:start + args.chunk]
            rot = c % len(order)
            for name in order[rot:] + order[:rot]:
                conn = conns[name]
                out = round_times[name]
                kinds = by_kind[name]
                for i, (sql, params) in enumerate(chunk):
                    c0 = clock()
                    t0 = time.perf_counter_ns()
                    conn.execute(sql, params)
                    t1 = time.perf_counter_ns()
                    c1 = clock()
                    us = ((c1 - c0) if args.cpu else (t1 - t0)) / 1000.0
                    out.append(us)
                    kinds.setdefault(rows[start + i]["kind"], []).append(us)
                turns[name].append(statistics.median(out[-len(chunk):]))
        for name, conn in conns.items():
            got = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
            if got != len(rows):
                raise SystemExit("%s stored %d of %d rows: a valid row was refused or ignored" % (name, got, len(rows)))
            conn.close()
            times[name].append(round_times[name])
    return times, turns, by_kind


def median_all(rounds):
    return statistics.median([x for r in rounds for x in r])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100, help="rows of each kind per round and variant (default 100)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--chunk", type=int, default=100, help="inserts per variant before the next one's turn")
    ap.add_argument("--kinds", default=",".join(T.KINDS), help="comma-separated kinds (default: all ten)")
    ap.add_argument("--synchronous", default="NORMAL", choices=["OFF", "NORMAL", "FULL"])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--cpu", action="store_true",
                    help="measure this thread's CPU time per INSERT instead of wall time (steadier on a busy machine)")
    ap.add_argument("--by-check", action="store_true", help="also the cost of each trigger, check group and index")
    ap.add_argument("--per-kind", action="store_true", help="also the median per kind")
    ap.add_argument("--try", dest="tries", action="append", default=[], metavar="NAME=FILE",
                    help="an extra variant: Schema 001..006, then FILE")
    ap.add_argument("--dir", help="where the databases go (default: a fresh temporary directory)")
    args = ap.parse_args()
    args.kinds = [k for k in args.kinds.split(",") if k]

    variants = base_builders()
    for t in args.tries:
        name, _, file = t.partition("=")
        sql = open(file, encoding="utf-8").read()
        variants.append((name, lambda p, sql=sql: T.build(p, upto=6, extra_sql=sql)))
    bases = [name for name, _ in variants if name != "plain"]
    pieces = {}
    if args.by_check:
        latest = T.latest_version()
        for base, upto in [("before", 6)] + ([("after", latest)] if latest > 6 else []):
            pieces[base] = outbox_insert_pieces(upto)
            for label, sql in pieces[base]:
                variants.append(("%s - %s" % (base, label.strip()),
                                 lambda p, upto=upto, sql=sql: T.build(p, upto=upto, extra_sql=sql)))

    workdir = args.dir or tempfile.mkdtemp(prefix="insert-cost-")
    os.makedirs(workdir, exist_ok=True)
    started = time.time()
    times, turns, by_kind = run(variants, args, workdir)
    elapsed = time.time() - started

    print("insert-cost: python %s, SQLite %s, synchronous %s, WAL; N=%d rows of each of %d kinds per round, "
          "%d rounds, %d-insert turns, seed %d, %s (%.0f s)"
          % (sys.version.split()[0], sqlite3.sqlite_version, args.synchronous, args.n, len(args.kinds),
             args.rounds, args.chunk, args.seed, "CPU time" if args.cpu else "wall time", elapsed))
    # Paired by turn: each variant's turn against plain's (or its base's) turn with the same rows,
    # run moments apart, so a load that comes and goes cancels out.
    plain_turns = turns["plain"]
    print()
    print("%-44s %9s %9s %17s %9s" % ("variant", "µs/INSERT", "per turn", "round medians", "vs plain"))
    for name, _ in variants:
        if args.by_check and name not in ["plain"] + bases:
            continue
        rmeds = [statistics.median(r) for r in times[name]]
        ratio = statistics.median([p / v for p, v in zip(plain_turns, turns[name])])
        print("%-44s %9.1f %9.1f %8.1f–%-8.1f %8.2f×"
              % (name, median_all(times[name]), statistics.median(turns[name]), min(rmeds), max(rmeds), ratio))
    print("(µs/INSERT: median of all INSERTs; per turn: median of the turns' medians; vs plain: median over "
          "turns of plain's turn median / the variant's)")
    if args.per_kind:
        print()
        print("median µs per INSERT by kind")
        shown = [n for n, _ in variants if not args.by_check or n in ["plain"] + bases]
        print("%-22s" % "kind" + "".join("%10s" % n[:10] for n in shown))
        for kind in args.kinds:
            print("%-22s" % kind + "".join("%10.1f" % statistics.median(by_kind[n][kind]) for n in shown))
    if args.by_check:
        for base in pieces:
            print()
            print("%s: what each piece costs (µs per INSERT: turn median with it - without it; "
                  "median over turns [quartiles])" % base)
            for label, _ in pieces[base]:
                name = "%s - %s" % (base, label.strip())
                diffs = [a - b for a, b in zip(turns[base], turns[name])]
                q = statistics.quantiles(diffs, n=4) if len(diffs) > 1 else [diffs[0]] * 3
                print("  %-56s %6.1f  [%5.1f, %5.1f]" % (label, statistics.median(diffs), q[0], q[2]))
    if not args.dir:
        for f in os.listdir(workdir):
            os.remove(os.path.join(workdir, f))
        os.rmdir(workdir)


if __name__ == "__main__":
    main()
