#!/usr/bin/env bash
# scripts/bench-dashboard.sh — the dashboard's inbox render with 500 open conversations while
# 50 events/s are written (server-side p95 beside the API's own listing), and the memory of 200
# connected dashboard sessions (beside 200 API event-stream watchers); the method is in
# Benchmarks/bench_dashboard.py.
#
# Usage: scripts/bench-dashboard.sh [-- DRIVER OPTIONS]
#   BENCH_DASHBOARD_NO_BUILD=1 uses the release binary already built.
#   Options after `--` go to the driver (python3 Benchmarks/bench_dashboard.py --help).
#
# PostgreSQL and Redis are started from a throwaway data dir (scripts/lib/services.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${1:-} == -- ]] && shift

# shellcheck source=scripts/lib/bench-run.sh
source scripts/lib/bench-run.sh
bench_prepare bench-dashboard "${BENCH_DASHBOARD_NO_BUILD:-0}"
export DATABASE_URL REDIS_URL
ulimit -n 20000

.venv/bin/python Benchmarks/bench_dashboard.py --metachat "$bench_bin/metachat" --log-dir "$bench_data_dir" "$@"
