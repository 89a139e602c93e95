#!/usr/bin/env python3
"""What a producer's INSERT costs in our schema, against a plain table (issue 11: "Producer INSERT
into the schema >= 0.7x a plain table with the same client and settings").

    nice -n 10 python3 tools/insert-cost.py                   # N=100 rows of each kind, 5 rounds
    nice -n 10 python3 tools/insert-cost.py --n 200 --rounds 7
    nice -n 10 python3 tools/insert-cost.py --by-check        # + what each trigger, check group and index costs
    nice -n 10 python3 tools/insert-cost.py --try exp=FILE.sql  # + 001..006 followed by FILE.sql
    nice -n 10 python3 tools/insert-cost.py --instructions --n 30 [--by-check]
                                                              # instructions per INSERT (valgrind)

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
INSERT trigger on outbox, each group of checks inside the validation trigger (groups are its
`-- ` comment headings: groups of statements in schema 003, groups of WHEN clauses in 007), each
index of outbox, and the table's CHECK (state IN (...)) rewritten as ORs (an IN list of more than
two constants costs an ephemeral table per INSERT; schema text edited in the scratch copy only;
schema 008 made that rewrite for real, so `after` has no such piece from then on). A piece's cost is the
median over turns of (the turn's median with it - the same turn's median without it).
"""
import argparse
import os
import random
import re
import sqlite3
import statistics
import subprocess
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
        table_sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").fetchone()[0]
        conn.close()
    pieces = []
    for name, sql in triggers:
        pieces.append(("trigger %s" % name, "DROP TRIGGER %s;" % name))
        groups = trigger_groups(sql)
        if len(groups) > 1:
            for group, _ in groups:
                pieces.append(("  %s: %s" % (name, group), "DROP TRIGGER %s;\n%s;" % (name, without_group(sql, group))))
    for (name,) in indexes:
        pieces.append(("index %s" % name, "DROP INDEX %s;" % name))
    # The table's CHECK (state IN (... eight states ...)): SQLite evaluates an IN list of more than
    # two constants by building an ephemeral table, on every INSERT. Measured by rewriting it as
    # ORs in the scratch copy's schema text (PRAGMA writable_schema; measurement only).
    in_list = re.search(r"state IN \(([^)]*)\)", table_sql)
    if in_list:
        ors = "(" + " OR ".join("state = %s" % v.strip() for v in in_list.group(1).split(",")) + ")"
        new_sql = table_sql.replace(in_list.group(0), ors)
        pieces.append(("CHECK (state IN (...)) as ORs [scratch only]",
                       "PRAGMA writable_schema = ON;\nUPDATE sqlite_master SET sql = '%s' "
                       "WHERE type = 'table' AND name = 'outbox';\nPRAGMA writable_schema = OFF;"
                       % new_sql.replace("'", "''")))
    return pieces


HEADING = re.compile(r"^(\s*)--\s*(.*)$")


def trigger_groups(sql):
    """The groups of checks of a trigger: [(label, [line numbers of sql])], where a group is what
    follows a `-- ` comment heading. Statement level (schema 003: one statement per check, a
    heading above each group of statements): from the heading to the next one. Inside a
    statement (schema 007: a CASE per statement, headings above groups of WHEN clauses): from the
    heading to the next heading at the same indentation or the END closing the CASE at that
    indentation; these finer groups are used when there are any. Lines before the first heading
    belong to no group."""
    lines = sql.splitlines(keepends=True)
    begin = next(n for n, l in enumerate(lines) if re.search(r"\bBEGIN\s*$", l, re.I))
    end = max(n for n, l in enumerate(lines) if l.strip().upper().startswith("END"))
    outer, inner = [], []
    buf, n = "", begin + 1
    while n < end:
        line = lines[n]
        m = HEADING.match(line)
        if m and not buf.strip():
            # A heading between statements: its group runs to the next such heading.
            start = n
            while n < end and HEADING.match(lines[n]):
                n += 1
            outer.append([label(m.group(2)), list(range(start, n))])
            continue
        if m and not (n > 0 and HEADING.match(lines[n - 1])):
            indent = m.group(1)
            start, n = n, n + 1
            while n < end:
                l = lines[n]
                h = HEADING.match(l)
                if h and h.group(1) == indent and not HEADING.match(lines[n - 1]):
                    break
                if l.startswith(indent) and not l[len(indent)].isspace() and l.strip().upper() == "END":
                    break
                n += 1
            inner.append((label(m.group(2)), list(range(start, n))))
            buf += "".join(lines[start:n])
            continue
        buf += line
        if outer:
            outer[-1][1].append(n)
        if sqlite3.complete_statement(buf):
            buf = ""
        n += 1
    groups = [(l, g) for l, g in outer if any(not HEADING.match(lines[i]) for i in g)]
    return inner if inner else groups


def label(heading):
    """A group's name: the heading's first sentence (up to its colon, unless it names a schema)."""
    first = re.split(r"\.(\s|$)", heading)[0]
    if ":" in first and not first.startswith("Schema"):
        first = first.split(":")[0]
    return first.strip()[:48]


def without_group(sql, name):
    """The CREATE TRIGGER text with group `name`'s lines left out."""
    lines = sql.splitlines(keepends=True)
    drop = set(next(g for l, g in trigger_groups(sql) if l == name))
    return "".join(l for n, l in enumerate(lines) if n not in drop)


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


def child(path, n, kinds, seed, synchronous):
    """--child: insert n rows of each kind into the database at path (run under valgrind)."""
    rows = make_rows(n, kinds, random.Random(seed))
    conn = T.producer_connection(path, synchronous)
    # A checkpoint falls on a different INSERT in each variant (their WALs grow at different
    # rates) and costs millions of instructions: left out, as the timed medians leave it out.
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    for sql, params in (statement(r) for r in rows):
        conn.execute(sql, params)
    conn.close()


def instructions(variants, args, workdir):
    """{name: user-space instructions per INSERT}: each variant's database is built by this
    process, then a child process inserts N rows of each kind under valgrind (cachegrind, no
    cache simulation), and again with 0 rows; the difference over the row count is what an INSERT
    costs, Python's own work per statement included (the same in every variant), WAL checkpoints
    left out (see child()). Deterministic: no other process on the machine changes it."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = {}
    for name, builder in variants:
        counts = []
        for n in (args.n, 0):
            path = os.path.join(workdir, "ir.db")
            builder(path)
            cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
                   sys.executable, os.path.abspath(__file__), "--child", path, str(n), ",".join(args.kinds),
                   str(args.seed), args.synchronous]
            res = subprocess.run(cmd, capture_output=True, text=True, env=env)
            m = re.search(r"I\s+refs:\s+([\d,]+)", res.stderr)
            if res.returncode != 0 or not m:
                raise SystemExit("valgrind run failed for %s:\n%s" % (name, res.stderr[-2000:]))
            counts.append(int(m.group(1).replace(",", "")))
        out[name] = (counts[0] - counts[1]) / (args.n * len(args.kinds))
        print("  %-60s %9.0f instructions per INSERT" % (name, out[name]), file=sys.stderr)
    return out


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
    ap.add_argument("--instructions", action="store_true",
                    help="count user-space instructions per INSERT under valgrind instead of timing (needs "
                         "valgrind; deterministic whatever else runs; about 5 s per variant with --n 30)")
    ap.add_argument("--dir", help="where the databases go (default: a fresh temporary directory)")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        path, n, kinds, seed, synchronous = args.child
        child(path, int(n), kinds.split(","), int(seed), synchronous)
        return
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
    if args.instructions:
        report_instructions(variants, bases, pieces, args, workdir)
        cleanup(args, workdir)
        return
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
    cleanup(args, workdir)


def cleanup(args, workdir):
    if not args.dir:
        for f in os.listdir(workdir):
            os.remove(os.path.join(workdir, f))
        os.rmdir(workdir)


def report_instructions(variants, bases, pieces, args, workdir):
    started = time.time()
    ir = instructions(variants, args, workdir)
    print("insert-cost --instructions: python %s, SQLite %s, synchronous %s, WAL; N=%d rows of each of %d kinds, "
          "seed %d, valgrind cachegrind (%.0f s)"
          % (sys.version.split()[0], sqlite3.sqlite_version, args.synchronous, args.n, len(args.kinds), args.seed,
             time.time() - started))
    print()
    print("%-44s %12s %9s" % ("variant", "instr/INSERT", "vs plain"))
    for name, _ in variants:
        if name in ["plain"] + bases:
            print("%-44s %12.0f %8.2f×" % (name, ir[name], ir["plain"] / ir[name]))
    print("(user-space instructions per INSERT, Python's share included, WAL checkpoints left out; "
          "vs plain: plain's / the variant's)")
    for base in pieces:
        print()
        print("%s: what each piece costs (instructions per INSERT: with it - without it)" % base)
        for label, _ in pieces[base]:
            name = "%s - %s" % (base, label.strip())
            print("  %-60s %8.0f" % (label, ir[base] - ir[name]))


if __name__ == "__main__":
    main()
