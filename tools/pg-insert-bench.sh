#!/usr/bin/env bash
# What the PostgreSQL producer contract (Schema/postgres: the insert trigger, its JSON reading, the
# one-command-per-key lock and lookup) costs one producer INSERT, against plain tables with the
# same columns: `bare` (columns and defaults only) and `indexed` (also the same indexes, unique
# key and CHECKs, no trigger). pgbench, one client, prepared statements, single-row INSERTs in
# autocommit; the tables take turns, ROUNDS times, so a busy machine slows all of them alike.
#
#   tools/pg-insert-bench.sh                       # PG* environment variables
#   PGHOST=/tmp/sock PGPORT=54329 PGUSER=postgres tools/pg-insert-bench.sh 2000 5
#   SYNC=off tools/pg-insert-bench.sh              # synchronous_commit=off: the CPU cost alone
#
# Prints the median microseconds per INSERT of each table and the contract's ratio to each.
# Needs a role that may CREATE DATABASE; creates and drops outbox_insert_bench_$$.
set -euo pipefail
cd "$(dirname "$0")/.."
per=${1:-2000}
rounds=${2:-5}
sync=${SYNC:-on}
db=outbox_insert_bench_$$
work=$(mktemp -d /tmp/pg-insert-bench.XXXXXX)
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db"
for f in Schema/postgres/[0-9][0-9][0-9]_*.sql; do
  psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d "$db" -f "$f"
done
psql -X -q -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
CREATE TABLE outbox_bare (LIKE outbox INCLUDING DEFAULTS INCLUDING IDENTITY);
CREATE TABLE outbox_indexed (LIKE outbox INCLUDING ALL);
SQL

# The producer statements of README: a sale (every check: JSON, GUIDs, Amount, terminal) and a
# cancel naming its sale. Keys are drawn by the server, the same way for every table.
for table in outbox outbox_bare outbox_indexed; do
  cat > "$work/sale-$table.sql" <<SQL
INSERT INTO $table (command_key, kind, payload)
SELECT k, 'async_sale', '{"TerminalTagCode":"STORE1-TILL2","MerchantUniqueCode":"' || k || '","Amount":22.10,"CurrencyId":1,"DisplayCode":"R-1042","Products":[{"Name":"Coffee","TaxGroupId":10,"UnitCodeId":1,"Amount":11.05,"Quantity":2}]}'
  FROM (SELECT gen_random_uuid()::text AS k) AS s;
SQL
  cat > "$work/cancel-$table.sql" <<SQL
INSERT INTO $table (command_key, kind, payload, sale_key, not_before)
SELECT gen_random_uuid()::text, 'async_cancel', '{}', gen_random_uuid()::text, (floor(extract(epoch FROM statement_timestamp()) * 1000))::bigint + 60000;
SQL
done

run() {  # statement table -> microseconds per INSERT
  PGOPTIONS="-c synchronous_commit=$sync" pgbench -n -M prepared -c 1 -t "$per" -f "$work/$1-$2.sql" "$db" 2>/dev/null \
    | awk '/^tps = /{printf "%.1f\n", 1e6 / $3}'
}
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "pg-insert-bench: $per single-row INSERTs per table per round, $rounds rounds, synchronous_commit=$sync"
printf "%-7s %10s %10s %10s %12s %14s\n" stmt "contract" bare indexed "x bare" "x indexed"
for stmt in sale cancel; do
  for table in outbox outbox_bare outbox_indexed; do : > "$work/$stmt-$table.times"; done
  for ((r = 1; r <= rounds; r++)); do
    for table in outbox outbox_bare outbox_indexed; do
      run "$stmt" "$table" >> "$work/$stmt-$table.times"
    done
  done
  c=$(median < "$work/$stmt-outbox.times")
  b=$(median < "$work/$stmt-outbox_bare.times")
  i=$(median < "$work/$stmt-outbox_indexed.times")
  awk -v s="$stmt" -v c="$c" -v b="$b" -v i="$i" \
    'BEGIN { printf "%-7s %8.1fus %8.1fus %8.1fus %11.2fx %13.2fx\n", s, c, b, i, c / b, c / i }'
done
psql -X -q -At -d "$db" -c "SELECT 'rows: contract ' || (SELECT count(*) FROM outbox) || ', bare ' || (SELECT count(*) FROM outbox_bare) || ', indexed ' || (SELECT count(*) FROM outbox_indexed)"
