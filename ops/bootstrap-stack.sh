#!/usr/bin/env bash
# ops/bootstrap-stack.sh — brings the whole stack up in order (docs/deployment.md, phases 1-3):
#
#   ops/bootstrap-stack.sh [--seed-admin-email EMAIL [--seed-admin-label LABEL]] [--no-build] [--monitoring]
#
#   1. checks .env (exists, mode 600, the secrets compose needs are set) and creates the data
#      directories compose binds (postgres-data, redis-data, rabbitmq-data, storage: mode 0750,
#      storage owned by the API image's user 10001 when run as root);
#   2. builds the api and dashboard images (skipped with --no-build);
#   3. starts postgres, redis and rabbitmq and waits until their health checks pass;
#   4. runs the migrations (the one-shot `migrate` service);
#   5. with --seed-admin-email: creates that SUPER admin and prints its key once (`seed-admin`);
#   6. starts api and dashboard and waits until their health checks pass;
#   7. with --monitoring: starts loki, alloy and grafana (profile `monitoring`, Grafana on
#      127.0.0.1:3002) and waits until their health checks pass.
# Stops at the first step that fails, naming it. COMPOSE overrides the compose command
# (default "docker compose"), ENV_FILE the environment file (default .env).
set -euo pipefail
OPS_TOOL=bootstrap-stack.sh
# shellcheck source=ops/lib-compose.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-compose.sh"

build=1
monitoring=0
email=""
label=bootstrap
while (($#)); do
  case "$1" in
    --seed-admin-email) email="${2:?--seed-admin-email needs an address}"; shift ;;
    --seed-admin-label) label="${2:?--seed-admin-label needs a label}"; shift ;;
    --no-build) build=0 ;;
    --monitoring) monitoring=1 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) ops_die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
if [[ -n "$email" && ! "$email" =~ ^[^@[:space:]]+@[^@[:space:]]+$ ]]; then
  ops_die "--seed-admin-email '$email' is not an email address"
fi

ops_check_env
# The bind-mounted data directories beside the repository (docker-compose.yml): the API's
# document storage belongs to the image's user 10001 and is closed to others (guide step 1.5).
for data in postgres-data redis-data rabbitmq-data storage; do
  install -d -m 0750 "$OPS_DATA_ROOT/$data"
done
if [[ "$(id -u)" -eq 0 ]]; then
  chown 10001:10001 "$OPS_DATA_ROOT/storage"
fi
if ((build)); then
  ops_compose build api dashboard
fi
ops_compose up -d --wait postgres redis rabbitmq
ops_compose --profile ops run --rm migrate
if [[ -n "$email" ]]; then
  SEED_ADMIN_EMAIL="$email" SEED_ADMIN_LABEL="$label" ops_compose --profile ops run --rm seed-admin
fi
ops_compose up -d --wait api dashboard
if ((monitoring)); then
  ops_compose --profile monitoring up -d --wait loki alloy grafana
  echo "bootstrap-stack.sh: Grafana on 127.0.0.1:3002" >&2
fi
echo "bootstrap-stack.sh: the stack is up; API on 127.0.0.1:3000, dashboard on 127.0.0.1:3001" >&2
