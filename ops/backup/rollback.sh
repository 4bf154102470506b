#!/usr/bin/env bash
# ops/backup/rollback.sh — a controlled return to a backup: stop, verify, restore, start, check.
#
#   BACKUP_ROOT=... BACKUP_DATABASE_URL=... ops/backup/rollback.sh --dry-run [DIR|latest]
#   BACKUP_ROOT=... BACKUP_DATABASE_URL=... ops/backup/rollback.sh --yes     [DIR|latest]
#
# Steps (each printed as "step N: what — command" before it runs; --dry-run prints them all
# and changes nothing: no service is stopped, no database created, no file written):
#   1. verify the backup (verify_backups.sh DIR: checksums, scratch restore, Redis and storage)
#   2. stop the API and the dashboard          ROLLBACK_STOP_COMMAND
#   3. stop Redis                               ROLLBACK_REDIS_STOP_COMMAND (skipped when unset)
#   4. restore PostgreSQL, storage and Redis    restore.sh --yes DIR
#   5. start Redis                              ROLLBACK_REDIS_START_COMMAND (skipped when unset)
#   6. start the API and the dashboard          ROLLBACK_START_COMMAND
#   7. wait until the API is ready              metachat healthcheck --url ROLLBACK_HEALTH_URL,
#                                               polled up to ROLLBACK_HEALTH_TIMEOUT seconds (120)
# Defaults for the compose deployment (run from the repository root):
#   ROLLBACK_STOP_COMMAND   docker compose -f docker/docker-compose.yml stop api dashboard
#   ROLLBACK_START_COMMAND  docker compose -f docker/docker-compose.yml up -d api dashboard
#   ROLLBACK_HEALTH_URL     http://127.0.0.1:3000/api/health/ready
#   METACHAT_BINARY         metachat (on PATH)
# Weekly rehearsal, as the deployment guide suggests:
#   0 3 * * 0 BACKUP_ROOT=... BACKUP_DATABASE_URL=... .../ops/backup/rollback.sh --dry-run
set -euo pipefail
BACKUP_TOOL=rollback.sh
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ops/backup/lib.sh
source "$here/lib.sh"

mode=""
which=latest
while (($#)); do
  case "$1" in
    --dry-run) mode=dry ;;
    --yes) mode=real ;;
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) backup_die "unknown option '$1' (see --help)" ;;
    *) which=$1 ;;
  esac
  shift
done
[[ -n "$mode" ]] || backup_die "say --dry-run to rehearse or --yes to roll back"

backup_require_url BACKUP_DATABASE_URL
dir="$(backup_resolve "$which")"
stop_command="${ROLLBACK_STOP_COMMAND:-docker compose -f docker/docker-compose.yml stop api dashboard}"
start_command="${ROLLBACK_START_COMMAND:-docker compose -f docker/docker-compose.yml up -d api dashboard}"
redis_stop="${ROLLBACK_REDIS_STOP_COMMAND:-}"
redis_start="${ROLLBACK_REDIS_START_COMMAND:-}"
health_url="${ROLLBACK_HEALTH_URL:-http://127.0.0.1:3000/api/health/ready}"
health_timeout="${ROLLBACK_HEALTH_TIMEOUT:-120}"
[[ "$health_timeout" =~ ^[0-9]+$ ]] || backup_die "ROLLBACK_HEALTH_TIMEOUT must be a whole number of seconds"
metachat="${METACHAT_BINARY:-metachat}"
if [[ "$mode" == real ]]; then
  command -v "$metachat" >/dev/null 2>&1 || backup_die "metachat binary '$metachat' not found (set METACHAT_BINARY)"
fi

step_number=0
# step <description> <command...> — prints the step; runs the command unless rehearsing.
step() {
  local description=$1
  shift
  step_number=$((step_number + 1))
  printf 'step %d: %s — %s\n' "$step_number" "$description" "$*"
  if [[ "$mode" == real ]]; then
    "$@" || backup_die "step $step_number ($description) failed"
  fi
}

# wait_healthy — polls the readiness URL until it answers or the time is up.
wait_healthy() {
  local deadline=$((SECONDS + health_timeout))
  until "$metachat" healthcheck --url "$health_url" --timeout 5 >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { backup_log "$health_url not ready after ${health_timeout}s"; return 1; }
    sleep 1
  done
  backup_log "$health_url is ready"
}

printf 'rollback to %s%s\n' "$dir" "$([[ "$mode" == dry ]] && printf ' (dry run: nothing is changed)')"
step "verify the backup" "$here/verify_backups.sh" "$dir"
step "stop the API and the dashboard" bash -c "$stop_command"
if [[ -n "$redis_stop" ]]; then step "stop Redis" bash -c "$redis_stop"; fi
step "restore PostgreSQL, storage and Redis" "$here/restore.sh" --yes "$dir"
if [[ -n "$redis_start" ]]; then step "start Redis" bash -c "$redis_start"; fi
step "start the API and the dashboard" bash -c "$start_command"
step "wait until the API is ready ($health_url)" wait_healthy
printf 'rollback %s\n' "$([[ "$mode" == dry ]] && printf 'rehearsed' || printf 'done')"
