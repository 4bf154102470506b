#!/usr/bin/env bash
# scripts/bench-search.sh — knowledge-base search latency at 100,000 chunks of 384 dimensions
# with 8 concurrent clients and precomputed query vectors: p50/p95 of each mode (text, vector,
# hybrid) through the REST API beside the same SQL run directly by pgbench. The method is in
# Benchmarks/bench_search.py; the results are in docs/benchmarks.md.
#
# Usage: scripts/bench-search.sh [-- DRIVER OPTIONS]
#   BENCH_SEARCH_NO_BUILD=1 uses the release binary already built.
#   Options after `--` go to the driver (e.g. `-- --tenants 1` for one tenant of 100,000 chunks;
#   .venv/bin/python Benchmarks/bench_search.py --help).
#
# PostgreSQL (with pgvector) and Redis (scripts/lib/services.sh) are started from a throwaway
# data dir.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${1:-} == -- ]] && shift

log() { printf 'bench-search: %s\n' "$*" >&2; }

# shellcheck source=lib/release-build.sh
source scripts/lib/release-build.sh
[[ -x .venv/bin/python ]] || scripts/setup.sh

if [[ ${BENCH_SEARCH_NO_BUILD:-0} != 1 ]]; then
  log "building metachat (release)"
  release_build --product metachat
fi
bin="$(swift build -c release --show-bin-path)"

# shellcheck source=lib/services.sh
source scripts/lib/services.sh
mkdir -p .data
data_dir="$(mktemp -d "$PWD/.data/bench-search-XXXXXX")"
cleanup() {
  services_stop || true
  rm -rf "$data_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
services_start "$data_dir" ephemeral
API_KEY_PEPPER="$(openssl rand -hex 32)"
SECRETS_ENCRYPTION_KEY="$(openssl rand -hex 32)"
export API_KEY_PEPPER SECRETS_ENCRYPTION_KEY
export STORAGE_PATH="$data_dir/storage"
"$bin/metachat" migrate >/dev/null

.venv/bin/python Benchmarks/bench_search.py --metachat "$bin/metachat" --data-dir "$data_dir" \
  --database-url "$DATABASE_URL" --superuser-url "$METACHAT_PG_SUPERUSER_URL" "$@"
