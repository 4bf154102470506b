#!/usr/bin/env bash
# scripts/bench-retention.sh — agent replies' latency while `metachat retention run` deletes
# expired messages and API-log rows, beside the same load with no run; the method is in
# Benchmarks/bench_retention.py (docs/benchmarks.md, "Retention while chatting").
#
# Usage: scripts/bench-retention.sh [-- DRIVER OPTIONS]
#   BENCH_RETENTION_NO_BUILD=1 uses the release binary already built.
#   Options after `--` go to the driver (python3 Benchmarks/bench_retention.py --help).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${1:-} == -- ]] && shift

# shellcheck source=scripts/lib/bench-run.sh
source scripts/lib/bench-run.sh
bench_prepare bench-retention "${BENCH_RETENTION_NO_BUILD:-0}" wrk
.venv/bin/python Benchmarks/bench_retention.py --metachat "$bench_bin/metachat" --data-dir "$bench_data_dir" "$@"
