# shellcheck shell=bash
# ops/lib-compose.sh — sourced by bootstrap-stack.sh and run-migrations.sh.
#
# COMPOSE (default "docker compose") is the compose command; the stack is
# docker/docker-compose.yml with the environment file ENV_FILE (default .env at the repository
# root). Every compose call is printed before it runs.

OPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where compose's bind mounts (../storage, ../postgres-data, ...) land: the repository root.
OPS_DATA_ROOT="${OPS_DATA_ROOT:-$OPS_ROOT}"
ENV_FILE="${ENV_FILE:-$OPS_ROOT/.env}"
read -r -a OPS_COMPOSE <<<"${COMPOSE:-docker compose}"

ops_die() {
  printf '%s: ERROR: %s\n' "${OPS_TOOL:-ops}" "$*" >&2
  exit 1
}

# ops_compose <arguments...> — the compose command on the stack, printed first.
ops_compose() {
  local -a command=("${OPS_COMPOSE[@]}" --env-file "$ENV_FILE" -f "$OPS_ROOT/docker/docker-compose.yml" "$@")
  printf '+ %s\n' "${command[*]}" >&2
  "${command[@]}" || ops_die "failed: ${command[*]}"
}

# ops_env_value <name> — the value of NAME= in ENV_FILE (the last one wins), or empty.
ops_env_value() {
  local name=$1 line value=""
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" == "$name="* ]] && value="${line#*=}"
  done <"$ENV_FILE"
  value="${value%\"}"
  value="${value#\"}"
  printf '%s\n' "$value"
}

# ops_check_env — ENV_FILE exists, is not world-readable, and has the secrets compose needs.
ops_check_env() {
  [[ -f "$ENV_FILE" ]] || ops_die "$ENV_FILE does not exist: cp .env.example .env and fill in the secrets"
  if [[ "$(stat -c %a "$ENV_FILE")" =~ [1-7]$ ]]; then
    ops_die "$ENV_FILE is readable by others: chmod 600 $ENV_FILE"
  fi
  local missing=() name
  for name in DB_PASSWORD METACHAT_DB_PASSWORD API_KEY_PEPPER RABBITMQ_PASS GRAFANA_ADMIN_PASSWORD; do
    [[ -n "$(ops_env_value "$name")" ]] || missing+=("$name")
  done
  ((${#missing[@]} == 0)) || ops_die "set ${missing[*]} in $ENV_FILE"
  local pepper
  pepper="$(ops_env_value API_KEY_PEPPER)"
  ((${#pepper} >= 32)) || ops_die "API_KEY_PEPPER in $ENV_FILE is shorter than 32 characters (openssl rand -hex 32)"
}
