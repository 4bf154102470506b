#!/usr/bin/env bash
# scripts/test.sh — the full check suite (what CI runs via .ci/run).
#
#   scripts/test.sh              run every phase
#   scripts/test.sh proto format run only the named phases (in suite order)
#
# Phases, in order, stopping at the first failure:
#   build      swift build --build-tests, plus the echo-server and interop-server products the
#              interop phase runs
#   test       swift test --skip-build; ten minutes without a line of output (TEST_STALL_SECONDS)
#              is a hang: the watchdog prints the test process's thread stacks and fails the phase
#   interop    pytest Tests/Interop: grpcio, curl, h2 and raw-socket clients against echo-server,
#              gRPC's interop cases (grpcio and the official Ruby client) against interop-server
#              (pytest's exit code 5, "no tests collected", fails the phase like any other)
#   ops        pytest Tests/Ops: the deployment's operations (docs/deployment.md) — backup, verify,
#              restore and rollback scripts against real PostgreSQL and Redis; promtool and amtool
#              on ops/monitoring; the metrics the alert rules name scraped from a live serve;
#              compose, .env.example, README and the binary's configuration agreeing
#   fuzz       scripts/fuzz.sh --replay: builds the libFuzzer targets (debug, fuzzer+address,
#              into .build-fuzz) and runs every committed corpus input once; any crash, leak or
#              broken invariant fails (docs/fuzzing.md)
#   proto      scripts/check-proto-python.sh
#   generated  scripts/check-generated.sh
#   format     swift format lint --strict over hand-written Swift files
#
# PostgreSQL and Redis run from a throwaway data dir (.data/test-XXXXXX) that
# is deleted on exit, beside the offline embedding model server
# (scripts/embedding-server.py). Exported for the tests: DATABASE_URL, REDIS_URL,
# METACHAT_TEST_DATABASE_URL, METACHAT_TEST_REDIS_URL, METACHAT_TEST_EMBEDDING_URL,
# METACHAT_PG_BIN, METACHAT_PG_SUPERUSER_URL.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ALL_PHASES=(build test interop ops fuzz proto generated format)

selected=()
if (($#)); then
  for want in "$@"; do
    ok=0
    for p in "${ALL_PHASES[@]}"; do [[ "$p" == "$want" ]] && ok=1; done
    if ((!ok)); then
      echo "test.sh: unknown phase '$want' (phases: ${ALL_PHASES[*]})" >&2
      exit 2
    fi
  done
  for p in "${ALL_PHASES[@]}"; do
    for want in "$@"; do [[ "$p" == "$want" ]] && selected+=("$p") && break; done
  done
else
  selected=("${ALL_PHASES[@]}")
fi

now_ms() { echo $(($(date +%s%N) / 1000000)); }
fmt_ms() { printf '%d.%01ds' $(($1 / 1000)) $((($1 % 1000) / 100)); }

suite_start="$(now_ms)"

scripts/setup.sh

# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh

# shellcheck source=scripts/lib/embedding.sh
source scripts/lib/embedding.sh
# shellcheck source=scripts/lib/stall-watchdog.sh
source scripts/lib/stall-watchdog.sh

DATA_DIR=""
cleanup() {
  embedding_stop
  services_stop
  if [[ -n "$DATA_DIR" && -d "$DATA_DIR" ]]; then
    rm -rf -- "$DATA_DIR"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p .data
# Remove throwaway dirs left by runs that were killed (kill -9, power loss):
# older than 10 minutes and no live postgres/redis working in them.
while IFS= read -r -d '' old; do
  if [[ -z "$(_svc_pids_with_cwd "$old/pg")$(_svc_pids_with_cwd "$old/redis")" ]]; then
    echo "test.sh: removing stale $old"
    rm -rf -- "$old"
  fi
done < <(find .data -mindepth 1 -maxdepth 1 -type d -name 'test-*' -mmin +10 -print0)
DATA_DIR="$(mktemp -d "$PWD/.data/test-XXXXXX")"
services_start "$DATA_DIR" ephemeral
export METACHAT_TEST_DATABASE_URL="$DATABASE_URL"
export METACHAT_TEST_REDIS_URL="$REDIS_URL"
# The offline embedding model the knowledge-base tests ingest and search with.
embedding_start "$DATA_DIR/embedding"
export METACHAT_TEST_EMBEDDING_URL="$EMBEDDING_SERVER_URL"
# Servers started by the tests hash API keys under a pepper made for this run.
API_KEY_PEPPER="$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(32))')"
export API_KEY_PEPPER
# The key sealing stored secrets, and loopback allowed for the tenant-supplied URLs of the local
# fake providers and webhook receivers the tests run.
SECRETS_ENCRYPTION_KEY="$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(32))')"
export SECRETS_ENCRYPTION_KEY
export OUTBOUND_ALLOW_CIDRS=127.0.0.0/8
# Many servers run at once in the suites: none opens the dashboard's fixed default port (3001);
# the dashboard's own tests give each server a free port of its own.
export DASHBOARD_PORT=off

phase_format() {
  local -a files
  # Generated code (*/Generated, Golden files) and C wire fixtures are not linted.
  mapfile -d '' -t files < <(
    find Sources Tests \
      \( -path 'Sources/*/Generated' -o -path 'Tests/*/Generated' -o -path 'Tests/*/Golden' -o -path 'Tests/CWireFixtures' \) -prune \
      -o -type f -name '*.swift' -print0 | sort -z
  )
  if [[ -f Package.swift ]]; then files+=(Package.swift); fi
  echo "linting ${#files[@]} Swift file(s)"
  swift format lint --strict "${files[@]}"
}

phase_interop() {
  local bin rc=0
  bin="$(swift build --show-bin-path)"
  # The servers the suite starts (metachat serve) run against the migrated test database.
  "$bin/metachat" migrate
  # The suite bounds every wait itself; the outer timeout only stops a wedged run.
  METACHAT_ECHO_SERVER="$bin/echo-server" METACHAT_INTEROP_SERVER="$bin/interop-server" \
    timeout --kill-after=30 1200 \
    .venv/bin/python -m pytest -q -p no:cacheprovider Tests/Interop || rc=$?
  if ((rc == 5)); then
    echo "interop: pytest collected no tests" >&2
  fi
  return "$rc"
}

phase_ops() {
  local bin rc=0
  bin="$(swift build --show-bin-path)"
  "$bin/metachat" migrate
  METACHAT_BINARY="$bin/metachat" METACHAT_ECHO_SERVER="$bin/echo-server" \
    timeout --kill-after=30 900 \
    .venv/bin/python -m pytest -q -p no:cacheprovider --import-mode=importlib Tests/Ops || rc=$?
  if ((rc == 5)); then
    echo "ops: pytest collected no tests" >&2
  fi
  return "$rc"
}

run_phase() {
  case "$1" in
    build) swift build --build-tests && swift build --product echo-server && swift build --product interop-server ;;
    test) run_with_stall_watchdog "${TEST_STALL_SECONDS:-600}" swift test --skip-build ;;
    interop) phase_interop ;;
    ops) phase_ops ;;
    fuzz) scripts/fuzz.sh --replay ;;
    proto) scripts/check-proto-python.sh ;;
    generated) scripts/check-generated.sh ;;
    format) phase_format ;;
  esac
}

results=()
failed=""
for phase in "${selected[@]}"; do
  echo "==> [$phase]"
  t0="$(now_ms)"
  set +e
  (set -e; run_phase "$phase")
  rc=$?
  set -e
  dt="$(fmt_ms $(($(now_ms) - t0)))"
  if ((rc == 0)); then
    echo "<== [$phase] ok ($dt)"
    results+=("$phase ok $dt")
  else
    echo "<== [$phase] FAILED with exit code $rc ($dt)"
    results+=("$phase FAILED $dt")
    failed="$phase"
    break
  fi
done

total="$(fmt_ms $(($(now_ms) - suite_start)))"
echo
echo "Phase durations:"
for r in "${results[@]}"; do
  read -r name status dur <<<"$r"
  printf '  %-10s %-7s %s\n' "$name" "$status" "$dur"
done
if [[ -n "$failed" ]]; then
  echo "test.sh: FAIL — phase '$failed' failed (${#results[@]}/${#selected[@]} phases run, total $total)"
  exit 1
fi
echo "test.sh: PASS — ${#selected[@]}/${#selected[@]} phases ok (total $total)"
