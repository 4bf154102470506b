#!/usr/bin/env bash
# ops/backup/restore.sh — puts a backup back: PostgreSQL, the storage directory, Redis.
#
#   BACKUP_ROOT=... BACKUP_DATABASE_URL=... [STORAGE_PATH=...] [REDIS_DATA_DIR=...] \
#     ops/backup/restore.sh --yes [DIR|latest]
#
# Run it with the API stopped (rollback.sh does the stopping and starting). Steps:
#   1. the backup's checksums are checked (nothing is touched if they fail);
#   2. the dump is restored into a new database <db>_restore_<stamp>; only when that succeeded
#      is the live database renamed to <db>_pre_restore_<stamp> (kept as a fallback: drop it by
#      hand when the restore is confirmed) and the restored one renamed to <db>;
#   3. STORAGE_PATH is replaced by the archive's contents (the old one kept beside it as
#      <path>.pre-restore-<stamp>);
#   4. when REDIS_DATA_DIR is set: the snapshot is copied there as REDIS_RDB_FILENAME
#      (dump.rdb); Redis must be stopped first (it is refused when redis.pid names a live
#      process) and started with appendonly off or after its AOF directory is moved away.
# Without --yes it only says what it would do.
set -euo pipefail
BACKUP_TOOL=restore.sh
# shellcheck source=ops/backup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

yes=0
which=latest
while (($#)); do
  case "$1" in
    --yes) yes=1 ;;
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) backup_die "unknown option '$1' (see --help)" ;;
    *) which=$1 ;;
  esac
  shift
done

backup_require_url BACKUP_DATABASE_URL
url="$BACKUP_DATABASE_URL"
backup_require_tools pg_restore psql sha256sum tar gzip
dir="$(backup_resolve "$which")"
database="$(backup_database_name "$url")"
stamp="$(date -u +%Y%m%d%H%M%S)"
restoring="${database}_restore_$stamp"
previous="${database}_pre_restore_$stamp"

if ((!yes)); then
  backup_log "would restore $dir: PostgreSQL $database (old one kept as $previous)${STORAGE_PATH:+, storage $STORAGE_PATH}${REDIS_DATA_DIR:+, Redis snapshot into $REDIS_DATA_DIR}; pass --yes to do it"
  exit 2
fi

backup_check_sums "$dir"
backup_require_bypass "$url"
if [[ -n "${REDIS_DATA_DIR:-}" && -f "$dir/redis.rdb" ]]; then
  [[ -d "$REDIS_DATA_DIR" ]] || backup_die "REDIS_DATA_DIR $REDIS_DATA_DIR is not a directory"
  if [[ -f "$REDIS_DATA_DIR/redis.pid" ]] && kill -0 "$(cat -- "$REDIS_DATA_DIR/redis.pid")" 2>/dev/null; then
    backup_die "Redis is running from $REDIS_DATA_DIR (redis.pid); stop it before restoring its snapshot"
  fi
fi
if [[ -n "${STORAGE_PATH:-}" && ! -f "$dir/storage.tar.gz" ]]; then
  backup_die "STORAGE_PATH is set but $dir has no storage.tar.gz"
fi

owner="$(backup_owner "$url")"
backup_log "restoring PostgreSQL into $restoring"
backup_restore_into_new_database "$dir/db.dump" "$url" "$restoring" "$owner"
backup_log "swapping $database -> $previous, $restoring -> $database"
# Sessions on the live database (a stopped API has none; a forgotten psql would block the rename).
# Renames run from the maintenance database `postgres` (a database cannot be renamed from inside).
maintenance="$(backup_url_with_database "$url" postgres)"
backup_psql "$maintenance" "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$database' AND pid <> pg_backend_pid()" >/dev/null
backup_psql "$maintenance" "ALTER DATABASE \"$database\" RENAME TO \"$previous\"" >/dev/null ||
  backup_die "could not rename $database (is something still connected?); $restoring holds the restored data"
backup_psql "$maintenance" "ALTER DATABASE \"$restoring\" RENAME TO \"$database\"" >/dev/null ||
  backup_die "could not rename $restoring to $database; the old data is in $previous"

if [[ -n "${STORAGE_PATH:-}" ]]; then
  parent="$(dirname -- "$STORAGE_PATH")"
  fresh="$(mktemp -d "$parent/.storage-restore-XXXXXX")"
  tar -C "$fresh" -xzf "$dir/storage.tar.gz" || backup_die "unpacking storage.tar.gz failed"
  if [[ -e "$STORAGE_PATH" ]]; then mv -- "$STORAGE_PATH" "$STORAGE_PATH.pre-restore-$stamp"; fi
  mv -- "$fresh" "$STORAGE_PATH"
  chmod 0750 -- "$STORAGE_PATH"
  backup_log "storage restored into $STORAGE_PATH"
fi

if [[ -n "${REDIS_DATA_DIR:-}" ]]; then
  if [[ -f "$dir/redis.rdb" ]]; then
    install -m 0600 -- "$dir/redis.rdb" "$REDIS_DATA_DIR/${REDIS_RDB_FILENAME:-dump.rdb}"
    # Owned like the directory, so a Redis running as its own user can read it.
    chown --reference="$REDIS_DATA_DIR" -- "$REDIS_DATA_DIR/${REDIS_RDB_FILENAME:-dump.rdb}" 2>/dev/null || true
    backup_log "Redis snapshot placed in $REDIS_DATA_DIR/${REDIS_RDB_FILENAME:-dump.rdb}; start Redis now"
  else
    backup_log "$dir has no Redis snapshot; Redis left alone"
  fi
fi
printf 'restored %s (previous database kept as %s)\n' "$dir" "$previous"
