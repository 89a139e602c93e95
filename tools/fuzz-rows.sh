#!/usr/bin/env bash
# The row fuzz test (Tests/WorkerCommandTests/RowFuzz) for longer than CI runs it: random producer
# rows written through SQLite's C API from a Python process, against the schema and against a
# running `worker --simulator`. Builds first (under the shared build lock when there is one).
#
#   tools/fuzz-rows.sh                      # 5,000 rows against the worker, 5,000 for the contract
#   tools/fuzz-rows.sh 20000                # more
#   OUTBOX_FUZZ_SEED=123 tools/fuzz-rows.sh # the same rows again (the seed is printed)
#   OUTBOX_FUZZ_KEEP=1 tools/fuzz-rows.sh   # keep the database and worker.log even when it passes
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-${OUTBOX_FUZZ_ROWS:-5000}}
export OUTBOX_FUZZ_ROWS=$rows
export OUTBOX_FUZZ_CONTRACT_ROWS=${OUTBOX_FUZZ_CONTRACT_ROWS:-$rows}
lock=()
if command -v flock >/dev/null && [ -e /tmp/swift-build.lock ]; then lock=(flock /tmp/swift-build.lock); fi
"${lock[@]}" swift build --build-tests
"${lock[@]}" swift test --skip-build --filter RowFuzzTests
