#!/usr/bin/env bash
# ops/ha/check-replication.sh — on the primary: is every standby streaming, and how far behind
# (docs/ha.md, "Checking replication").
set -euo pipefail
# shellcheck source=ops/ha/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: check-replication.sh [--min-standbys N] [--max-lag-bytes N] [--max-lag-seconds N] [--help]

Asks the primary (pg_stat_replication) which standbys stream from it and prints one line each:
  standby=<application_name> client=<address> state=streaming lag_bytes=<N> lag_seconds=<S>
lag_bytes: WAL the primary wrote that the standby has not replayed yet; lag_seconds: the
standby's replay lag as the primary measured it (0 when nothing is waiting). Then one line per
physical replication slot with the WAL it holds back: slot=<name> active=<t|f> retained_bytes=<N>.
Exits non-zero when fewer than --min-standbys standbys stream, or one is behind by more than a
given limit: cron it, or let the Prometheus alert PostgresReplicationLag watch the same.

Connects to the primary through libpq's environment: PGHOST, PGPORT, PGUSER (default
postgres; the replication role works too: it is a member of pg_monitor), PGDATABASE (default
postgres), PGPASSWORD.

Options:
  --min-standbys N     standbys that must be streaming (0-100, default 1)
  --max-lag-bytes N    fail when a standby is more bytes behind
  --max-lag-seconds N  fail when a standby is more seconds behind

Exit status: 0 healthy, 1 not (or cannot connect; message on stderr), 2 bad command line.
USAGE
}

min_standbys=1 max_bytes="" max_seconds=""
while (($#)); do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --min-standbys | --max-lag-bytes | --max-lag-seconds)
      (($# >= 2)) || ha_usage_error "$1 needs a number"
      case "$1" in
        --min-standbys) min_standbys=$2 ;;
        --max-lag-bytes) max_bytes=$2 ;;
        --max-lag-seconds) max_seconds=$2 ;;
      esac
      shift 2
      ;;
    *) ha_usage_error "unknown argument '$1'" ;;
  esac
done
ha_integer --min-standbys "$min_standbys" 0 100
if [[ -n "$max_bytes" ]]; then ha_integer --max-lag-bytes "$max_bytes" 0 999999999; fi
if [[ -n "$max_seconds" ]]; then ha_integer --max-lag-seconds "$max_seconds" 0 86400; fi
ha_command psql
export PGUSER="${PGUSER:-postgres}" PGDATABASE="${PGDATABASE:-postgres}"
where="${PGHOST:-default socket}:${PGPORT:-5432}"

in_recovery="$(ha_psql -c 'SELECT pg_is_in_recovery()' 2>&1)" ||
  ha_die "cannot connect to the primary at ${where} as ${PGUSER}: ${in_recovery}"
[[ "$in_recovery" == f ]] || ha_die "${where} is a standby: run check-replication.sh against the primary"

rows="$(ha_psql -F ' ' -c "
  SELECT coalesce(nullif(application_name, ''), 'unnamed'), coalesce(host(client_addr), 'local'), state,
         coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), -1)::bigint,
         round(coalesce(extract(epoch FROM replay_lag), 0)::numeric, 3)
  FROM pg_stat_replication ORDER BY 1, 2")"
slots="$(ha_psql -F ' ' -c "
  SELECT slot_name, active, coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint
  FROM pg_replication_slots WHERE slot_type = 'physical' ORDER BY 1")"

streaming=0 problems=()
while read -r name client state bytes seconds; do
  [[ -n "$name" ]] || continue
  echo "standby=${name} client=${client} state=${state} lag_bytes=${bytes} lag_seconds=${seconds}"
  if [[ "$state" != streaming ]]; then
    problems+=("${name} is ${state}, not streaming")
    continue
  fi
  streaming=$((streaming + 1))
  if [[ -n "$max_bytes" ]] && ((bytes > max_bytes)); then problems+=("${name} is ${bytes} bytes behind (limit ${max_bytes})"); fi
  if [[ -n "$max_seconds" ]] && awk -v s="$seconds" -v m="$max_seconds" 'BEGIN { exit !(s > m) }'; then
    problems+=("${name} is ${seconds} s behind (limit ${max_seconds})")
  fi
done <<<"$rows"
while read -r slot active retained; do
  [[ -n "$slot" ]] || continue
  echo "slot=${slot} active=${active} retained_bytes=${retained}"
done <<<"$slots"

if ((streaming < min_standbys)); then
  problems+=("${streaming} of the ${min_standbys} standby(s) required are streaming from ${where}")
fi
if ((${#problems[@]})); then
  for problem in "${problems[@]}"; do printf '%s: ERROR: %s\n' "$HA_SCRIPT" "$problem" >&2; done
  exit 1
fi
echo "ok: ${streaming} standby(s) streaming from ${where}"
