#!/usr/bin/env bash
# ops/ha/standby-entrypoint.sh — the pg-standby container's entrypoint (ops/docker-compose.ha.yml),
# in the pgvector/pgvector image: on an empty volume clone the primary (start-standby.sh, as the
# postgres user), then hand over to the image's own entrypoint, which starts PostgreSQL on the
# existing data directory (a standby: standby.signal) without initdb.
set -euo pipefail
HA_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=ops/ha/lib.sh
source "$HA_DIR/lib.sh"

case "${1:-}" in
  -h | --help)
    echo "Usage: standby-entrypoint.sh [postgres ARGS...]  (the pg-standby container's entrypoint; see start-standby.sh --help)"
    exit 0
    ;;
esac
ha_require PGDATA
ha_command gosu docker-entrypoint.sh
mkdir -p -- "$PGDATA"
chown postgres:postgres -- "$PGDATA"
chmod 0700 -- "$PGDATA"
if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
  gosu postgres "$HA_DIR/start-standby.sh"
fi
if (($# == 0)); then set -- postgres; fi
exec docker-entrypoint.sh "$@"
