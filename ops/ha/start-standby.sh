#!/usr/bin/env bash
# ops/ha/start-standby.sh — makes a streaming standby by cloning the primary with pg_basebackup -R
# into an empty data directory (docs/ha.md).
set -euo pipefail
# shellcheck source=ops/ha/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: start-standby.sh [--help]

Clones the primary into PGDATA with `pg_basebackup -R -X stream -S REPLICATION_SLOT`: a copy of
every database plus standby.signal and primary_conninfo (application_name = the slot's name), so
PostgreSQL started on PGDATA is a hot standby streaming from the primary through the slot.
PGDATA must be absent or empty: the script never overwrites a data directory (move an old one
away first, e.g. an old primary being re-added as a standby: docs/ha.md). It does not start
PostgreSQL: start it on PGDATA as usual (the HA compose stack's pg-standby does).

Run it on the standby's host as the user PostgreSQL runs as (not root: the files must be
PostgreSQL's), after ops/ha/init-primary.sh ran on the primary.

Environment:
  PGDATA                the new standby's data directory, absent or empty         (required)
  PRIMARY_HOST          the primary's address                                     (required)
  REPLICATION_PASSWORD  the replication role's password                           (required)
  PRIMARY_PORT          (default 5432)
  REPLICATION_USER      (default replicator)
  REPLICATION_SLOT      the physical slot init-primary.sh made (default metachat_standby)

Exit status: 0 cloned, 1 failed (message on stderr; PGDATA left empty), 2 bad command line.
USAGE
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) ha_usage_error "unknown argument '$1'" ;;
esac

PRIMARY_HOST="${PRIMARY_HOST:-}"
PRIMARY_PORT="${PRIMARY_PORT:-5432}"
REPLICATION_USER="${REPLICATION_USER:-replicator}"
REPLICATION_SLOT="${REPLICATION_SLOT:-metachat_standby}"
ha_require PGDATA PRIMARY_HOST REPLICATION_PASSWORD
ha_integer PRIMARY_PORT "$PRIMARY_PORT" 1 65535
ha_identifier REPLICATION_USER "$REPLICATION_USER"
ha_identifier REPLICATION_SLOT "$REPLICATION_SLOT"
[[ "$PRIMARY_HOST" =~ ^[A-Za-z0-9._:-]+$ ]] || ha_die "PRIMARY_HOST must be a host name or address, not '$PRIMARY_HOST'"
[[ "$(id -u)" -ne 0 ]] || ha_die "running as root: run as the user PostgreSQL runs as (e.g. runuser -u postgres -- $0), or its files would belong to root"
ha_command pg_basebackup

if [[ -e "$PGDATA" && ! -d "$PGDATA" ]]; then
  ha_die "PGDATA ($PGDATA) exists and is not a directory"
fi
if [[ -d "$PGDATA" && -n "$(ls -A -- "$PGDATA")" ]]; then
  ha_die "PGDATA ($PGDATA) is not empty: a standby is only cloned into an empty directory; move the old data away first (docs/ha.md)"
fi
mkdir -p -- "$PGDATA"
[[ -O "$PGDATA" ]] || ha_die "PGDATA ($PGDATA) belongs to another user: it must be the PostgreSQL user's"
chmod 0700 -- "$PGDATA"

ha_log "cloning ${PRIMARY_HOST}:${PRIMARY_PORT} into ${PGDATA} through slot ${REPLICATION_SLOT}"
# PGPASSWORD reaches pg_basebackup through the environment; -R writes it into primary_conninfo
# (postgresql.auto.conf, mode 0600) so the standby can reconnect.
output="$(PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup --pgdata="$PGDATA" \
  --dbname="host=${PRIMARY_HOST} port=${PRIMARY_PORT} user=${REPLICATION_USER} application_name=${REPLICATION_SLOT} connect_timeout=10" \
  --wal-method=stream --write-recovery-conf --slot="$REPLICATION_SLOT" --checkpoint=fast --no-password 2>&1)" || {
  printf '%s\n' "$output" >&2
  find "$PGDATA" -mindepth 1 -delete 2>/dev/null || true
  case "$output" in
    *"replication slot"*"does not exist"*) ha_die "the primary has no slot ${REPLICATION_SLOT}: run ops/ha/init-primary.sh on the primary first" ;;
    *"password authentication failed"* | *"no pg_hba.conf entry"*) ha_die "the primary refused ${REPLICATION_USER}: check REPLICATION_PASSWORD and that init-primary.sh ran with a REPLICATION_CIDR covering this host" ;;
    *) ha_die "pg_basebackup from ${PRIMARY_HOST}:${PRIMARY_PORT} failed (output above)" ;;
  esac
}
[[ -f "$PGDATA/standby.signal" ]] || ha_die "pg_basebackup wrote no standby.signal into $PGDATA"
grep -q "password=" "$PGDATA/postgresql.auto.conf" ||
  ha_die "primary_conninfo in $PGDATA/postgresql.auto.conf has no password: the standby could not reconnect"
echo "standby cloned into ${PGDATA} from ${PRIMARY_HOST}:${PRIMARY_PORT} (slot ${REPLICATION_SLOT}): start PostgreSQL on it"
