#!/usr/bin/env bash
# scripts/bench-upload.sh — a 100 MiB document uploaded through the multipart REST route and
# downloaded back, over HTTP/1.1 and HTTP/2, with the server's peak RSS; beside curl copying the
# same file on disk. The method is in Benchmarks/bench_upload.py (docs/benchmarks.md,
# "Knowledge base: a 100 MiB document upload, and the server's memory").
#
# Usage: scripts/bench-upload.sh [-- DRIVER OPTIONS]
#   BENCH_UPLOAD_NO_BUILD=1 uses the release binary already built.
#   Options after `--` go to the driver (python3 Benchmarks/bench_upload.py --help).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${1:-} == -- ]] && shift

# shellcheck source=scripts/lib/bench-run.sh
source scripts/lib/bench-run.sh
bench_prepare bench-upload "${BENCH_UPLOAD_NO_BUILD:-0}"
.venv/bin/python Benchmarks/bench_upload.py --metachat "$bench_bin/metachat" --data-dir "$bench_data_dir" "$@"
