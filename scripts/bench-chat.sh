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

# shellcheck source=scripts/lib/bench-run.sh
source scripts/lib/bench-run.sh
bench_prepare bench-chat "${BENCH_CHAT_NO_BUILD:-0}"

.venv/bin/python Benchmarks/bench_chat.py --metachat "$bench_bin/metachat" --data-dir "$bench_data_dir" "$@"
