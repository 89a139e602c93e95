#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for benchmarks and manual tries (Debian's postgresql package):
# Unix socket only, in /tmp/outbox-bench-pg. Durable settings (fsync on): benchmark figures
# should be a real server's.
#   tools/pg-scratch-cluster.sh start   # prints the admin URL
#   tools/pg-scratch-cluster.sh stop
set -euo pipefail
dir=/tmp/outbox-bench-pg
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
run() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
user=$([ "$(id -u)" = 0 ] && echo postgres || id -un)
case "${1:-}" in
  start)
    mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown postgres "$dir"
    [ -d "$dir/data" ] || run "$bin/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 >/dev/null
    run "$bin/pg_ctl" -D "$dir/data" -o "-k $dir -c listen_addresses='' -c max_connections=200" \
        -l "$dir/log" -w start >/dev/null
    echo "postgres://$user@localhost/postgres?host=$dir" ;;
  stop)
    run "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null && rm -rf "$dir" ;;
  *) echo "usage: $0 start|stop" >&2; exit 64 ;;
esac
