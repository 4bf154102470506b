#!/usr/bin/env bash
# scripts/bench-conversations.sh — the conversation event stream's fan-out across two nodes
# (2,000 SSE watchers on one, 200 events/s produced on the other) beside plain Redis pub/sub
# carrying the same messages, and ListConversations / ListMessages at 1M messages beside pgbench
# running the same statements; the method is in Benchmarks/bench_conversations.py.
#
# Usage: scripts/bench-conversations.sh [-- DRIVER OPTIONS]
#   BENCH_CONVERSATIONS_NO_BUILD=1 uses the release binary already built.
#   Options after `--` go to the driver (python3 Benchmarks/bench_conversations.py --help).
#
# PostgreSQL and Redis are started from a throwaway data dir (scripts/lib/services.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${1:-} == -- ]] && shift

# shellcheck source=scripts/lib/bench-run.sh
source scripts/lib/bench-run.sh
bench_prepare bench-conversations "${BENCH_CONVERSATIONS_NO_BUILD:-0}" wrk
# Every watcher is a connection on both ends.
ulimit -n 20000

.venv/bin/python Benchmarks/bench_conversations.py --metachat "$bench_bin/metachat" --data-dir "$bench_data_dir" "$@"
