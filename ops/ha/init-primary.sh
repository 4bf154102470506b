#!/usr/bin/env bash
# ops/ha/init-primary.sh — prepares a PostgreSQL server to be the primary of a streaming-replication
# pair (docs/ha.md). Idempotent: safe to run again (it then changes nothing but the password).
set -euo pipefail
# shellcheck source=ops/ha/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<'USAGE'
Usage: init-primary.sh [--help]

Prepares the PostgreSQL server it connects to as the primary of a streaming-replication pair:
  1. the replication role REPLICATION_USER (LOGIN REPLICATION, member of pg_monitor so that
     check-replication.sh, the exporter and PgPool's checks can read the replication views),
     created, or its password set to REPLICATION_PASSWORD;
  2. the physical replication slot REPLICATION_SLOT the standby streams from (the primary keeps
     the WAL a stopped standby still needs);
  3. two lines in the server's pg_hba.conf (its `hba_file`) unless they are there:
       host replication REPLICATION_USER REPLICATION_CIDR scram-sha-256
       host postgres    REPLICATION_USER REPLICATION_CIDR scram-sha-256
     then reloads the configuration.
It refuses a server that is a standby, or whose wal_level / max_wal_senders cannot replicate.

Run it on the primary's host as the user PostgreSQL runs as (it edits pg_hba.conf), connecting as
a superuser through libpq's environment: PGHOST, PGPORT, PGUSER (default postgres), PGDATABASE
(default postgres), PGPASSWORD. In the HA compose stack it runs on the primary's first start; on
an existing primary:
  docker compose --env-file .env -f docker/docker-compose.yml -f ops/docker-compose.ha.yml \
    exec -u postgres postgres /opt/metachat-ha/init-primary.sh

Environment:
  REPLICATION_PASSWORD  password of the replication role                          (required)
  REPLICATION_CIDR      where the standby and PgPool connect from, e.g. 10.0.0.12/32 (required)
  REPLICATION_USER      the replication role                        (default replicator)
  REPLICATION_SLOT      the standby's physical replication slot     (default metachat_standby)

Exit status: 0 done, 1 failed (message on stderr), 2 bad command line.
USAGE
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) ha_usage_error "unknown argument '$1'" ;;
esac

REPLICATION_USER="${REPLICATION_USER:-replicator}"
REPLICATION_SLOT="${REPLICATION_SLOT:-metachat_standby}"
ha_require REPLICATION_PASSWORD REPLICATION_CIDR
ha_identifier REPLICATION_USER "$REPLICATION_USER"
ha_identifier REPLICATION_SLOT "$REPLICATION_SLOT"
[[ "$REPLICATION_CIDR" =~ ^[0-9A-Fa-f:.]+/[0-9]{1,3}$ ]] ||
  ha_die "REPLICATION_CIDR must be an address range like 10.0.0.12/32 or 172.28.0.0/16, not '$REPLICATION_CIDR'"
ha_command psql
export PGUSER="${PGUSER:-postgres}" PGDATABASE="${PGDATABASE:-postgres}"

state="$(ha_psql -c "SELECT pg_is_in_recovery(), current_setting('wal_level'), current_setting('max_wal_senders'), rolsuper, current_setting('hba_file') FROM pg_roles WHERE rolname = current_user")" ||
  ha_die "cannot connect to PostgreSQL as ${PGUSER} (PGHOST=${PGHOST:-default socket} PGPORT=${PGPORT:-5432})"
IFS='|' read -r in_recovery wal_level max_wal_senders superuser hba_file <<<"$state"
[[ "$superuser" == t ]] || ha_die "${PGUSER} is not a superuser: connect as one (PGUSER)"
[[ "$in_recovery" == f ]] || ha_die "this server is a standby (pg_is_in_recovery() is true): run init-primary.sh on the primary"
[[ "$wal_level" != minimal ]] || ha_die "wal_level is minimal: set wal_level = replica and restart PostgreSQL"
((max_wal_senders > 0)) || ha_die "max_wal_senders is 0: set it to 10 and restart PostgreSQL"

# The password travels through the environment (\getenv), never on a command line.
ha_psql --set=role="$REPLICATION_USER" --set=slot="$REPLICATION_SLOT" <<'SQL' >/dev/null
\getenv password REPLICATION_PASSWORD
SET client_min_messages = warning;
SELECT format('CREATE ROLE %I LOGIN REPLICATION', :'role')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I WITH LOGIN REPLICATION NOSUPERUSER PASSWORD %L', :'role', :'password') \gexec
SELECT format('GRANT pg_monitor TO %I', :'role') \gexec
SELECT pg_create_physical_replication_slot(:'slot')
  WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = :'slot');
SQL
ha_log "role ${REPLICATION_USER} and slot ${REPLICATION_SLOT} ready"

[[ -w "$hba_file" ]] || ha_die "cannot write ${hba_file}: run as the user PostgreSQL runs as"
added=0
for database in replication postgres; do
  if ! awk -v db="$database" -v user="$REPLICATION_USER" -v cidr="$REPLICATION_CIDR" \
    '$1 == "host" && $2 == db && $3 == user && $4 == cidr { found = 1 } END { exit !found }' "$hba_file"; then
    if ((added == 0)); then printf '\n# Added by ops/ha/init-primary.sh: the standby and PgPool (docs/ha.md).\n' >>"$hba_file"; fi
    printf 'host %s %s %s scram-sha-256\n' "$database" "$REPLICATION_USER" "$REPLICATION_CIDR" >>"$hba_file"
    added=$((added + 1))
  fi
done
ha_psql -c 'SELECT pg_reload_conf()' >/dev/null
if ((added)); then
  ha_log "added ${added} line(s) for ${REPLICATION_USER} from ${REPLICATION_CIDR} to ${hba_file}; configuration reloaded"
else
  ha_log "${hba_file} already lets ${REPLICATION_USER} in from ${REPLICATION_CIDR}"
fi
echo "primary ready: role=${REPLICATION_USER} slot=${REPLICATION_SLOT} cidr=${REPLICATION_CIDR}"
