#!/usr/bin/env bash
# ops/ha/promote.sh — promotes the standby to primary and waits until it accepts writes
# (docs/ha.md, "Failover").
set -euo pipefail
# shellcheck source=ops/ha/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: promote.sh [--timeout SECONDS] [--help]

Promotes the standby it connects to (pg_promote) and waits until it accepts writes: it is out of
recovery and assigns a transaction id. Make sure the old primary is stopped and stays stopped
first: two primaries would both take writes. PgPool finds the new primary by itself; the old
primary comes back only as a standby of the new one (docs/ha.md).

Connects as a superuser through libpq's environment: PGHOST, PGPORT, PGUSER (default postgres),
PGDATABASE (default postgres), PGPASSWORD. In the HA compose stack:
  docker compose --env-file .env -f docker/docker-compose.yml -f ops/docker-compose.ha.yml \
    exec -u postgres pg-standby /opt/metachat-ha/promote.sh

Options:
  --timeout SECONDS  how long to wait for the promotion (1-3600, default 60)

Exit status: 0 promoted and writable, 1 failed (message on stderr), 2 bad command line.
USAGE
}

timeout=60
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --timeout)
      (($# >= 2)) || ha_usage_error "--timeout needs a number of seconds"
      timeout=$2
      shift 2
      ;;
    *) ha_usage_error "unknown argument '$1'" ;;
  esac
done
ha_integer --timeout "$timeout" 1 3600
ha_command psql
export PGUSER="${PGUSER:-postgres}" PGDATABASE="${PGDATABASE:-postgres}"
where="${PGHOST:-default socket}:${PGPORT:-5432}"

in_recovery="$(ha_psql -c 'SELECT pg_is_in_recovery()' 2>&1)" ||
  ha_die "cannot connect to PostgreSQL at ${where} as ${PGUSER}: ${in_recovery}"
[[ "$in_recovery" == t ]] || ha_die "${where} is not a standby (pg_is_in_recovery() is false): nothing to promote"

ha_log "promoting ${where} (waiting up to ${timeout} s)"
promoted="$(ha_psql -c "SELECT pg_promote(true, ${timeout})" 2>&1)" || ha_die "pg_promote failed on ${where}: ${promoted}"
[[ "$promoted" == t ]] || ha_die "${where} did not finish promotion within ${timeout} s (see its log)"

# Out of recovery; now prove a write goes through (a standby cannot assign transaction ids).
deadline=$((SECONDS + timeout))
until written="$(ha_psql -c 'SELECT pg_is_in_recovery(), txid_current() > 0' 2>&1)" && [[ "$written" == "f|t" ]]; do
  ((SECONDS < deadline)) || ha_die "${where} was promoted but does not accept writes within ${timeout} s: ${written}"
  sleep 0.2 # polling pace, bounded by the deadline
done
echo "promoted: ${where} is the primary and accepts writes"
