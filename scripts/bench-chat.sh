#!/usr/bin/env bash
# scripts/bench-chat.sh — the chat orchestrator's cost: time to first delta through MetaChat beside
# a zero-latency fake OpenAI server asked directly, and an open loop of SendMessage on the offline
# `local` provider beside the same loop of GetConversation; the method is in
# Benchmarks/bench_chat.py.
#
# Usage: scripts/bench-chat.sh [-- DRIVER OPTIONS]
#   BENCH_CHAT_NO_BUILD=1 uses the release binary already built.
#   Options after `--` go to the driver (python3 Benchmarks/bench_chat.py --help).
#
# PostgreSQL and Redis are started from a throwaway data dir (scripts/lib/services.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${1:-} == -- ]] && shift

log() { printf 'bench-chat: %s\n' "$*" >&2; }

# shellcheck source=lib/release-build.sh
source scripts/lib/release-build.sh
[[ -x .venv/bin/python ]] || scripts/setup.sh

if [[ ${BENCH_CHAT_NO_BUILD:-0} != 1 ]]; then
  log "building metachat (release)"
  release_build --product metachat
fi
bin="$(swift build -c release --show-bin-path)"

# shellcheck source=lib/services.sh
source scripts/lib/services.sh
mkdir -p .data
data_dir="$(mktemp -d "$PWD/.data/bench-chat-XXXXXX")"
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

.venv/bin/python Benchmarks/bench_chat.py --metachat "$bin/metachat" --data-dir "$data_dir" "$@"
