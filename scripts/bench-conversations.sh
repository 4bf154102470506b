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

log() { printf 'bench-conversations: %s\n' "$*" >&2; }

# shellcheck source=lib/debian-packages.sh
source scripts/lib/debian-packages.sh
# shellcheck source=lib/release-build.sh
source scripts/lib/release-build.sh
ensure_debian_packages bench-conversations wrk
[[ -x .venv/bin/python ]] || scripts/setup.sh

if [[ ${BENCH_CONVERSATIONS_NO_BUILD:-0} != 1 ]]; then
  log "building metachat (release)"
  release_build --product metachat
fi
bin="$(swift build -c release --show-bin-path)"

# shellcheck source=lib/services.sh
source scripts/lib/services.sh
mkdir -p .data
data_dir="$(mktemp -d "$PWD/.data/bench-conversations-XXXXXX")"
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
# Every watcher is a connection on both ends.
ulimit -n 20000

.venv/bin/python Benchmarks/bench_conversations.py --metachat "$bin/metachat" --data-dir "$data_dir" "$@"
