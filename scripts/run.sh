#!/usr/bin/env bash
# scripts/run.sh — start MetaChat locally with everything it needs.
#
#   scripts/run.sh           serves a release build (the project's release flags, cross-module
#                            optimisation included: what an operator runs); the first one takes
#                            about 10 minutes on 2 cores, later ones seconds to minutes
#   scripts/run.sh --debug   serves a debug build (quicker to rebuild while iterating)
#
#   1. scripts/setup.sh (packages + .venv)
#   2. PostgreSQL (+pgvector) and Redis from the persistent dir .data/dev
#   3. the build (release_build from scripts/lib/release-build.sh, or swift build)
#   4. metachat migrate; metachat seed-admin --email admin@localhost --label
#      bootstrap (each run rotates that key and prints the new one); API_KEY_PEPPER
#      is generated once into .data/dev/pepper (mode 0600) and exported, and so is
#      SECRETS_ENCRYPTION_KEY (.data/dev/secrets-key), which seals stored provider keys
#   5. metachat serve in the foreground; Ctrl-C stops the server, PostgreSQL
#      and Redis.
#
# Environment: PORT (default 3000), HOST (default 127.0.0.1).
# Testing hooks: METACHAT_SKIP_BUILD=1 skips step 3; METACHAT_BIN overrides
# the binary (default .build/release/metachat, or .build/debug/metachat with --debug).
#
# While it runs, `source .data/dev/env` in another shell gives you
# DATABASE_URL / REDIS_URL / METACHAT_PG_BIN. A newly created admin API key is
# also saved to .data/dev/admin-api-key (mode 0600).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NOT_IMPLEMENTED=64
DATA_DIR=.data/dev
CONFIGURATION=release
for argument in "$@"; do
  case "$argument" in
    --debug) CONFIGURATION=debug ;;
    --release) CONFIGURATION=release ;;
    -h | --help)
      sed -n '2,9p' "$0"
      exit 0
      ;;
    *)
      echo "run.sh: unknown argument '$argument' (use --debug or --release)" >&2
      exit 64
      ;;
  esac
done
BIN="${METACHAT_BIN:-.build/$CONFIGURATION/metachat}"

scripts/setup.sh

# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh
# shellcheck source=scripts/lib/embedding.sh
source scripts/lib/embedding.sh

server_pid=""
stopping=0

# Wait (bounded: 15s) for the server to exit, then SIGKILL it.
await_server_exit() {
  local i
  for ((i = 0; i < 150; i++)); do
    kill -0 "$server_pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "run.sh: server did not stop within 15s, killing it" >&2
  kill -KILL "$server_pid" 2>/dev/null || true
}

# shellcheck disable=SC2317  # invoked from a trap
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    await_server_exit
    wait "$server_pid" 2>/dev/null || true
  fi
  embedding_stop
  services_stop
}
trap cleanup EXIT

# shellcheck disable=SC2317  # invoked from a trap
on_signal() {
  local code="$1"
  if [[ -z "$server_pid" ]]; then
    exit "$code"
  fi
  if ((stopping)); then
    echo "run.sh: second interrupt, killing server" >&2
    kill -KILL "$server_pid" 2>/dev/null || true
  else
    stopping="$code"
    echo "run.sh: stopping server..." >&2
    kill -TERM "$server_pid" 2>/dev/null || true
  fi
}
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

services_start "$DATA_DIR" persistent

# The offline embedding model, unless an embeddings API is configured (EMBEDDING_BASE_URL,
# or OPENAI_BASE_URL / OPENAI_API_KEY): documents get real vectors with no network.
if [[ -z "${EMBEDDING_BASE_URL:-}${OPENAI_BASE_URL:-}${OPENAI_API_KEY:-}" ]]; then
  embedding_start "$DATA_DIR/embedding"
  export EMBEDDING_BASE_URL="$EMBEDDING_SERVER_URL" EMBEDDING_MODEL="${EMBEDDING_MODEL:-all-MiniLM-L6-v2}"
fi
export STORAGE_PATH="${STORAGE_PATH:-$DATA_DIR/storage}"

if [[ "${METACHAT_SKIP_BUILD:-}" != 1 ]]; then
  if [[ "$CONFIGURATION" == release ]]; then
    # shellcheck source=scripts/lib/release-build.sh
    source scripts/lib/release-build.sh
    echo "run.sh: building a release binary (the first build takes about 10 minutes; --debug is quicker)"
    release_build --product metachat
  else
    swift build --product metachat
  fi
fi
if [[ ! -x "$BIN" ]]; then
  echo "run.sh: $BIN not found or not executable" >&2
  exit 1
fi

# run_step <name> <args...>: runs the binary; tolerates "not implemented".
# Stdout of the step is left in $step_out.
step_out=""
run_step() {
  local name="$1" rc=0
  shift
  step_out="$("$BIN" "$@")" || rc=$?
  if ((rc == NOT_IMPLEMENTED)); then
    echo "run.sh: notice: 'metachat $name' is not implemented yet (exit $NOT_IMPLEMENTED); continuing"
    step_out=""
    return 0
  fi
  if ((rc != 0)); then
    [[ -n "$step_out" ]] && printf '%s\n' "$step_out"
    echo "run.sh: 'metachat $name' failed with exit code $rc" >&2
    exit "$rc"
  fi
}

run_step migrate migrate
[[ -n "$step_out" ]] && printf '%s\n' "$step_out"

# The pepper for API-key hashes: made once, kept with the data it protects.
if [[ ! -s "$DATA_DIR/pepper" ]]; then
  (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$DATA_DIR/pepper")
fi
API_KEY_PEPPER="$(<"$DATA_DIR/pepper")"
export API_KEY_PEPPER
# The key that seals stored secrets (provider keys, channel tokens, webhook secrets) at rest:
# made once, kept beside the pepper; an operator's own SECRETS_ENCRYPTION_KEY wins.
if [[ -z "${SECRETS_ENCRYPTION_KEY:-}" ]]; then
  if [[ ! -s "$DATA_DIR/secrets-key" ]]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' >"$DATA_DIR/secrets-key")
  fi
  SECRETS_ENCRYPTION_KEY="$(<"$DATA_DIR/secrets-key")"
fi
export SECRETS_ENCRYPTION_KEY

seed_rc=0
step_out="$("$BIN" seed-admin --email admin@localhost --label bootstrap --json)" || seed_rc=$?
if ((seed_rc != 0)); then
  [[ -n "$step_out" ]] && printf '%s\n' "$step_out"
  echo "run.sh: 'metachat seed-admin' failed with exit code $seed_rc" >&2
  exit "$seed_rc"
fi
api_key=""
if [[ -n "$step_out" ]]; then
  api_key="$(printf '%s\n' "$step_out" | python3 -c '
import json, sys
key = ""
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    try:
        obj = json.loads(line)
    except ValueError:
        continue
    if isinstance(obj, dict) and isinstance(obj.get("apiKey"), str):
        key = obj["apiKey"]
print(key)
')"
  if [[ -z "$api_key" ]]; then
    printf '%s\n' "$step_out"
  fi
fi
if [[ -n "$api_key" ]]; then
  (umask 077 && printf '%s\n' "$api_key" >"$DATA_DIR/admin-api-key")
  echo
  echo "================================================================"
  echo "  Admin API key (shown once; also saved to $DATA_DIR/admin-api-key):"
  echo
  echo "      $api_key"
  echo "================================================================"
  echo
fi

export PORT="${PORT:-3000}"
export HOST="${HOST:-127.0.0.1}"
export DATABASE_URL REDIS_URL
echo "run.sh: starting metachat serve on http://$HOST:$PORT (Ctrl-C to stop)"

# Run as a child (not exec) so our traps can stop the server and then the
# services. Background jobs of a non-interactive shell ignore SIGINT, so the
# INT from Ctrl-C is forwarded as TERM by on_signal.
"$BIN" serve </dev/null &
server_pid=$!

rc=0
while true; do
  wait "$server_pid" && rc=0 || rc=$?
  if ! kill -0 "$server_pid" 2>/dev/null; then
    break
  fi
  # wait was interrupted by a signal (on_signal sent TERM); give the server
  # a bounded grace period, then loop to collect its exit status.
  await_server_exit
done
server_pid=""

if ((rc == NOT_IMPLEMENTED)); then
  echo "run.sh: notice: 'metachat serve' is not implemented yet (exit $NOT_IMPLEMENTED)"
fi
if ((stopping)); then
  exit "$stopping"
fi
exit "$rc"
