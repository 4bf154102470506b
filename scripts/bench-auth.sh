#!/usr/bin/env bash
# scripts/bench-auth.sh — what authentication and rate limiting cost, and the tenant read they
# guard: the RPC benchmark's echo-server without and with the production auth + rate-limit
# interceptors (`echo-server --auth`), and `metachat serve` answering GetTenant over gRPC (h2load)
# and GET /api/tenants/{id} over REST (wrk), all with a tenant key, in one interleaved run.
#
# Usage: scripts/bench-auth.sh [ROUNDS]        (default 3; also ROUNDS=N in the environment)
#   BENCH_AUTH_NO_BUILD=1 uses the release binaries already built.
#   Options after `--` go to the driver (python3 Benchmarks/bench_auth.py --help).
#
# PostgreSQL and Redis are started from a throwaway data dir (scripts/lib/services.sh) and pinned
# with the load generator to CPU 0; servers run pinned to CPU 1. Logs and raw results go to
# Benchmarks/.build/bench-auth/runs/<time>/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds=${ROUNDS:-3}
if [[ $# -gt 0 && $1 != -- ]]; then
  rounds=$1
  shift
fi
[[ ${1:-} == -- ]] && shift

log() { printf 'bench-auth: %s\n' "$*" >&2; }

# shellcheck source=lib/debian-packages.sh
source scripts/lib/debian-packages.sh
# shellcheck source=lib/release-build.sh
source scripts/lib/release-build.sh
ensure_debian_packages bench-auth nghttp2-client wrk curl
[[ -x .venv/bin/python ]] || scripts/setup.sh

if [[ ${BENCH_AUTH_NO_BUILD:-0} != 1 ]]; then
  log "building metachat and echo-server (release)"
  release_build --product metachat
  release_build --product echo-server
fi
bin="$(swift build -c release --show-bin-path)"

# shellcheck source=lib/services.sh
source scripts/lib/services.sh
mkdir -p .data
data_dir="$(mktemp -d "$PWD/.data/bench-auth-XXXXXX")"
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
"$bin/metachat" migrate >/dev/null

.venv/bin/python Benchmarks/bench_auth.py --metachat "$bin/metachat" --echo-server "$bin/echo-server" \
  --data-dir "$data_dir" --rounds "$rounds" "$@"
