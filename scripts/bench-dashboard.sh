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

log() { printf 'bench-dashboard: %s\n' "$*" >&2; }

# shellcheck source=lib/release-build.sh
source scripts/lib/release-build.sh
[[ -x .venv/bin/python ]] || scripts/setup.sh

if [[ ${BENCH_DASHBOARD_NO_BUILD:-0} != 1 ]]; then
  log "building metachat (release)"
  release_build --product metachat
fi
bin="$(swift build -c release --show-bin-path)"

# shellcheck source=lib/services.sh
source scripts/lib/services.sh
mkdir -p .data
data_dir="$(mktemp -d "$PWD/.data/bench-dashboard-XXXXXX")"
cleanup() {
  services_stop || true
  rm -rf "$data_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
services_start "$data_dir" ephemeral
API_KEY_PEPPER="$(openssl rand -hex 32)"
export API_KEY_PEPPER
export DATABASE_URL REDIS_URL
"$bin/metachat" migrate >/dev/null
ulimit -n 20000

.venv/bin/python Benchmarks/bench_dashboard.py --metachat "$bin/metachat" --log-dir "$data_dir" "$@"
