#!/usr/bin/env bash
# ops/ha/start-pgpool.sh — writes PgPool-II's configuration for this host from ops/ha/pgpool.conf,
# pool_hba.conf and the environment, then runs pgpool in the foreground (docs/ha.md).
set -euo pipefail
HA_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ops/ha/lib.sh
source "$HA_DIR/lib.sh"

usage() {
  cat <<'USAGE'
Usage: start-pgpool.sh [--render-only] [--help]

Writes pgpool.conf (ops/ha/pgpool.conf plus this host's addresses and backends), pool_hba.conf,
pool_passwd and pcp.conf into PGPOOL_DIR (mode 0600), then runs `pgpool -n` in the foreground
(exec: signals reach pgpool). With --render-only it writes the files and prints pgpool's
command line instead. The ops/docker-compose.ha.yml `pgpool` service runs it; on a bare host run
it from a systemd unit as the user pgpool runs as.

Environment:
  PGPOOL_BACKENDS          host:port of each PostgreSQL node, the primary first, comma-separated,
                           e.g. postgres:5432,pg-standby:5432                    (required)
  PGPOOL_USERS             the users that connect through PgPool with their passwords,
                           `name:password` separated by spaces (passwords without spaces),
                           e.g. "metachat:$METACHAT_DB_PASSWORD postgres:$DB_PASSWORD" (required)
  REPLICATION_PASSWORD     the replication role's password: PgPool's health and replication
                           checks log in as REPLICATION_USER                      (required)
  PGPOOL_PCP_PASSWORD      password of the PCP user `pcp` (pcp_node_info, pcp_attach_node)
                                                                                  (required)
  REPLICATION_USER         (default replicator)
  PGPOOL_DIR               configuration, status (pgpool_status), pid and sockets
                           (default /var/lib/pgpool)
  PGPOOL_LISTEN_ADDRESSES  (default *)      PGPOOL_PORT      (default 5432)
  PGPOOL_PCP_LISTEN_ADDRESSES (default localhost)  PGPOOL_PCP_PORT (default 9898)

Exit status: pgpool's; 1 bad environment (message on stderr), 2 bad command line.
USAGE
}

render_only=0
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  --render-only) render_only=1 ;;
  "") ;;
  *) ha_usage_error "unknown argument '$1'" ;;
esac

REPLICATION_USER="${REPLICATION_USER:-replicator}"
PGPOOL_DIR="${PGPOOL_DIR:-/var/lib/pgpool}"
PGPOOL_LISTEN_ADDRESSES="${PGPOOL_LISTEN_ADDRESSES:-*}"
PGPOOL_PORT="${PGPOOL_PORT:-5432}"
PGPOOL_PCP_LISTEN_ADDRESSES="${PGPOOL_PCP_LISTEN_ADDRESSES:-localhost}"
PGPOOL_PCP_PORT="${PGPOOL_PCP_PORT:-9898}"
ha_require PGPOOL_BACKENDS PGPOOL_USERS REPLICATION_PASSWORD PGPOOL_PCP_PASSWORD
ha_identifier REPLICATION_USER "$REPLICATION_USER"
ha_integer PGPOOL_PORT "$PGPOOL_PORT" 1 65535
ha_integer PGPOOL_PCP_PORT "$PGPOOL_PCP_PORT" 1 65535
[[ "$PGPOOL_LISTEN_ADDRESSES$PGPOOL_PCP_LISTEN_ADDRESSES$PGPOOL_DIR" != *"'"* ]] ||
  ha_die "PGPOOL_LISTEN_ADDRESSES, PGPOOL_PCP_LISTEN_ADDRESSES and PGPOOL_DIR must not contain a quote"
((render_only)) || ha_command pgpool

backends=()
IFS=',' read -r -a entries <<<"$PGPOOL_BACKENDS"
for entry in "${entries[@]}"; do
  [[ "$entry" =~ ^([A-Za-z0-9._-]+):([0-9]{1,5})$ ]] ||
    ha_die "PGPOOL_BACKENDS entry '$entry' is not host:port (PGPOOL_BACKENDS=$PGPOOL_BACKENDS)"
  host="${BASH_REMATCH[1]}" port="${BASH_REMATCH[2]}"
  ha_integer "the port in PGPOOL_BACKENDS entry '$entry'" "$port" 1 65535
  backends+=("$host" "$port")
done
((${#backends[@]} >= 4)) || ha_die "PGPOOL_BACKENDS names $((${#backends[@]} / 2)) node(s): give the primary and at least one standby"

declare -A passwords=()
read -r -a pairs <<<"$PGPOOL_USERS"
for pair in "${pairs[@]}"; do
  name="${pair%%:*}" password="${pair#*:}"
  [[ "$pair" == *:* && -n "$password" ]] || ha_die "PGPOOL_USERS entry '${name}' has no password (want name:password)"
  ha_identifier "the user name in PGPOOL_USERS" "$name"
  passwords[$name]="$password"
done
passwords[$REPLICATION_USER]="$REPLICATION_PASSWORD"

umask 077
mkdir -p -- "$PGPOOL_DIR"
[[ -w "$PGPOOL_DIR" ]] || ha_die "cannot write PGPOOL_DIR ($PGPOOL_DIR)"
{
  cat -- "$HA_DIR/pgpool.conf"
  printf '\n# --- written by start-pgpool.sh for this host ---\n'
  printf "listen_addresses = '%s'\nport = %s\n" "$PGPOOL_LISTEN_ADDRESSES" "$PGPOOL_PORT"
  printf "pcp_listen_addresses = '%s'\npcp_port = %s\n" "$PGPOOL_PCP_LISTEN_ADDRESSES" "$PGPOOL_PCP_PORT"
  printf "socket_dir = '%s'\npcp_socket_dir = '%s'\n" "$PGPOOL_DIR" "$PGPOOL_DIR"
  printf "pid_file_name = '%s/pgpool.pid'\nlogdir = '%s'\n" "$PGPOOL_DIR" "$PGPOOL_DIR"
  printf "pool_passwd = '%s/pool_passwd'\n" "$PGPOOL_DIR"
  printf "sr_check_user = '%s'\nhealth_check_user = '%s'\n" "$REPLICATION_USER" "$REPLICATION_USER"
  for ((i = 0; i < ${#backends[@]} / 2; i++)); do
    printf "backend_hostname%d = '%s'\nbackend_port%d = %s\nbackend_weight%d = 1\nbackend_flag%d = 'ALLOW_TO_FAILOVER'\n" \
      "$i" "${backends[2 * i]}" "$i" "${backends[2 * i + 1]}" "$i" "$i"
  done
} >"$PGPOOL_DIR/pgpool.conf"
cp -- "$HA_DIR/pool_hba.conf" "$PGPOOL_DIR/pool_hba.conf"
# Passwords as text (the TEXT prefix): SCRAM to PostgreSQL needs the password itself. The file is
# 0600 like the .env it comes from.
for name in "${!passwords[@]}"; do
  printf '%s:TEXT%s\n' "$name" "${passwords[$name]}"
done | sort >"$PGPOOL_DIR/pool_passwd"
printf 'pcp:%s\n' "$(printf '%s' "$PGPOOL_PCP_PASSWORD" | md5sum | cut -d' ' -f1)" >"$PGPOOL_DIR/pcp.conf"

command=(pgpool -n -f "$PGPOOL_DIR/pgpool.conf" -a "$PGPOOL_DIR/pool_hba.conf" -F "$PGPOOL_DIR/pcp.conf")
if ((render_only)); then
  printf '%s\n' "${command[*]}"
  exit 0
fi
# A pid file left by a pgpool that was killed (a container stopped hard) would stop this one from
# starting; in a container the old pid is often this very process's (1), which pgpool takes for a
# pgpool still running. Only a live process other than this script counts.
pidfile="$PGPOOL_DIR/pgpool.pid"
if [[ -f "$pidfile" ]]; then
  old_pid="$(head -n 1 -- "$pidfile" 2>/dev/null | tr -dc '0-9' || true)"
  if [[ "$old_pid" =~ ^[0-9]+$ && "$old_pid" != "$$" ]] && kill -0 "$old_pid" 2>/dev/null; then
    ha_die "pgpool already runs with pid ${old_pid} on ${PGPOOL_DIR} (${pidfile})"
  fi
  ha_log "removing the stale ${pidfile} (pid ${old_pid:-none} is gone)"
  rm -f -- "$pidfile"
fi
ha_log "PgPool on ${PGPOOL_LISTEN_ADDRESSES}:${PGPOOL_PORT}, nodes ${PGPOOL_BACKENDS} (primary first)"
exec "${command[@]}"
