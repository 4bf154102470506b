#!/usr/bin/env bash
# scripts/bench-outbox.sh — what writing the outbox row adds to a change's transaction (pgbench,
# with and without it), webhook delivery throughput to a local nginx beside wrk's rate against the
# same nginx, and RabbitMQ publishing with confirms beside pika; the method is in
# Benchmarks/bench_outbox.py.
#
# Usage: scripts/bench-outbox.sh [-- DRIVER OPTIONS]
#   BENCH_OUTBOX_NO_BUILD=1 uses the release binary already built.
#   Options after `--` go to the driver (python3 Benchmarks/bench_outbox.py --help).
#
# PostgreSQL and Redis (scripts/lib/services.sh) and RabbitMQ (scripts/lib/rabbitmq.sh) are
# started from a throwaway data dir.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${1:-} == -- ]] && shift

log() { printf 'bench-outbox: %s\n' "$*" >&2; }

# shellcheck source=lib/debian-packages.sh
source scripts/lib/debian-packages.sh
# shellcheck source=lib/release-build.sh
source scripts/lib/release-build.sh
ensure_debian_packages bench-outbox wrk nginx rabbitmq-server
[[ -x .venv/bin/python ]] || scripts/setup.sh

if [[ ${BENCH_OUTBOX_NO_BUILD:-0} != 1 ]]; then
  log "building metachat (release)"
  release_build --product metachat
fi
bin="$(swift build -c release --show-bin-path)"

# shellcheck source=lib/services.sh
source scripts/lib/services.sh
# shellcheck source=lib/rabbitmq.sh
source scripts/lib/rabbitmq.sh
mkdir -p .data
data_dir="$(mktemp -d "$PWD/.data/bench-outbox-XXXXXX")"
cleanup() {
  rabbitmq_stop "$data_dir/rabbitmq" || true
  services_stop || true
  rm -rf "$data_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
services_start "$data_dir" ephemeral
rabbitmq_start "$data_dir/rabbitmq" >/dev/null
# shellcheck disable=SC1091
source "$data_dir/rabbitmq/env"
export RABBITMQ_TEST_URL
API_KEY_PEPPER="$(openssl rand -hex 32)"
SECRETS_ENCRYPTION_KEY="$(openssl rand -hex 32)"
export API_KEY_PEPPER SECRETS_ENCRYPTION_KEY
"$bin/metachat" migrate >/dev/null

.venv/bin/python Benchmarks/bench_outbox.py --metachat "$bin/metachat" --data-dir "$data_dir" "$@"
