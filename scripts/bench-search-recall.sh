#!/usr/bin/env bash
# scripts/bench-search-recall.sh — recall@10 of the knowledge base's vector search under the
# tenant filter at 100,000 chunks over 20 tenants: the exact scan the retriever uses for tenants
# up to 20,000 chunks beside the HNSW index at ef_search 100 and 1000 (Benchmarks/bench_search_recall.py).
#
# Usage: scripts/bench-search-recall.sh [-- DRIVER OPTIONS]
# PostgreSQL (with pgvector) runs from a throwaway data dir (scripts/lib/services.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${1:-} == -- ]] && shift
[[ -x .venv/bin/python ]] || scripts/setup.sh

# shellcheck source=lib/services.sh
source scripts/lib/services.sh
mkdir -p .data
data_dir="$(mktemp -d "$PWD/.data/bench-recall-XXXXXX")"
cleanup() {
  services_stop || true
  rm -rf "$data_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
services_start "$data_dir" ephemeral

.venv/bin/python Benchmarks/bench_search_recall.py --database-url "$METACHAT_PG_SUPERUSER_URL" "$@"
