#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data directory, after
# 10-metachat.sh: with ops/docker-compose.ha.yml (which sets REPLICATION_PASSWORD and mounts
# ops/ha at /opt/metachat-ha) it makes this server the primary of the replication pair
# (ops/ha/init-primary.sh: replication role, slot, pg_hba.conf lines; docs/ha.md). A single
# node (docker/docker-compose.yml alone) skips it.
set -euo pipefail
if [[ -z "${REPLICATION_PASSWORD:-}" ]]; then
  exit 0
fi
exec /opt/metachat-ha/init-primary.sh
