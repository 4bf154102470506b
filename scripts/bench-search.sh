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

# shellcheck source=scripts/lib/bench-run.sh
source scripts/lib/bench-run.sh
bench_prepare bench-search "${BENCH_SEARCH_NO_BUILD:-0}"
SECRETS_ENCRYPTION_KEY="$(openssl rand -hex 32)"
export SECRETS_ENCRYPTION_KEY
export STORAGE_PATH="$bench_data_dir/storage"

.venv/bin/python Benchmarks/bench_search.py --metachat "$bench_bin/metachat" --data-dir "$bench_data_dir" \
  --database-url "$DATABASE_URL" --superuser-url "$METACHAT_PG_SUPERUSER_URL" "$@"
