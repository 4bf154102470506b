#!/usr/bin/env bash
# ops/backup/backup.sh — one backup of MetaChat's state into BACKUP_ROOT, then pruning.
#
#   BACKUP_ROOT=/home/deploy/backups/meta-chat BACKUP_DATABASE_URL=postgresql://postgres:...@127.0.0.1:5432/metachat \
#   STORAGE_PATH=/home/deploy/meta-chat-platform/storage REDIS_URL=redis://127.0.0.1:6379/0 \
#     ops/backup/backup.sh
#
# Writes BACKUP_ROOT/metachat-<UTC stamp>/ (layout in ops/backup/lib.sh): a pg_dump in custom
# format with the row counts of its own snapshot, the storage directory as tar.gz, a Redis RDB
# snapshot fetched over the network (and Redis' AOF files when REDIS_AOF_DIR names them),
# SHA256SUMS, and COMPLETE last. Then removes backups older than BACKUP_RETENTION_DAYS (7) by
# the stamp in their name, never the newest complete one. Prints the new directory on stdout.
#
# Variables: BACKUP_DATABASE_URL (required: the superuser, see ops/backup/lib.sh), BACKUP_ROOT (required), STORAGE_PATH, REDIS_URL,
# REDIS_AOF_DIR (all optional: a part whose variable is unset is skipped and said so),
# BACKUP_RETENTION_DAYS (default 7). Cron, as the deployment guide suggests:
#   0 3 * * * BACKUP_ROOT=... /home/deploy/meta-chat-platform/ops/backup/backup.sh >> .../backup.log 2>&1
set -euo pipefail
BACKUP_TOOL=backup.sh
# Backups hold every tenant's data: readable by the owner only.
umask 077
# shellcheck source=ops/backup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if (($#)); then
  case "$1" in
    -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) backup_die "unknown argument '$1' (configuration is by environment; see --help)" ;;
  esac
fi

backup_require_url BACKUP_DATABASE_URL
root="$(backup_root)"
retention="${BACKUP_RETENTION_DAYS:-7}"
[[ "$retention" =~ ^[0-9]+$ && "$retention" -ge 1 ]] || backup_die "BACKUP_RETENTION_DAYS must be a whole number of days ≥ 1, not '$retention'"
backup_require_tools pg_dump psql sha256sum tar gzip
backup_require_bypass "$BACKUP_DATABASE_URL"
if [[ -n "${REDIS_URL:-}" ]]; then backup_require_tools redis-cli; fi
if [[ -n "${STORAGE_PATH:-}" && ! -d "$STORAGE_PATH" ]]; then backup_die "STORAGE_PATH $STORAGE_PATH is not a directory"; fi
if [[ -n "${REDIS_AOF_DIR:-}" && ! -d "$REDIS_AOF_DIR" ]]; then backup_die "REDIS_AOF_DIR $REDIS_AOF_DIR is not a directory"; fi

mkdir -p -- "$root"
stamp="$(date -u +"$STAMP_FORMAT")"
dir="$root/$BACKUP_PREFIX$stamp"
[[ ! -e "$dir" ]] || backup_die "$dir already exists (two backups in the same second?)"
work="$dir.partial"
mkdir -m 0700 -- "$work"
coproc_pid=""
cleanup() {
  if [[ -n "$coproc_pid" ]]; then kill "$coproc_pid" 2>/dev/null || true; fi
  if [[ -d "$work" ]]; then rm -rf -- "$work"; fi
}
trap cleanup EXIT

# PostgreSQL: one REPEATABLE READ transaction exports its snapshot; pg_dump dumps that very
# snapshot and the row counts are taken inside it, so both describe the same instant.
coproc PSQL { psql -X -q -At -v ON_ERROR_STOP=1 "$BACKUP_DATABASE_URL" 2>&1; }
coproc_pid=$PSQL_PID
to_psql=${PSQL[1]}
from_psql=${PSQL[0]}
printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;" "SELECT pg_export_snapshot();" >&"$to_psql"
IFS= read -r -t 60 snapshot <&"$from_psql" || backup_die "PostgreSQL did not answer (BACKUP_DATABASE_URL)"
[[ "$snapshot" =~ ^[0-9A-F]+-[0-9A-F]+-[0-9]+$ ]] || backup_die "could not start the snapshot: $snapshot"
backup_log "dumping PostgreSQL (snapshot $snapshot)"
pg_dump --format=custom --snapshot="$snapshot" --file="$work/db.dump" "$BACKUP_DATABASE_URL" ||
  backup_die "pg_dump failed"
printf '%s\n' "$BACKUP_COUNT_SQL" '\gexec' "SELECT '--end--';" >&"$to_psql"
: >"$work/rowcounts.tsv"
while IFS= read -r -t 300 line <&"$from_psql"; do
  [[ "$line" == --end-- ]] && break
  [[ "$line" == *$'\t'* ]] || backup_die "counting rows failed: $line"
  printf '%s\n' "$line" >>"$work/rowcounts.tsv"
done
[[ "$line" == --end-- ]] || backup_die "counting rows did not finish"
printf '%s\n' "COMMIT;" '\q' >&"$to_psql"
wait "$coproc_pid" || true
coproc_pid=""
backup_log "PostgreSQL: $(wc -l <"$work/rowcounts.tsv") tables, $(stat -c %s "$work/db.dump") bytes"

if [[ -n "${STORAGE_PATH:-}" ]]; then
  tar -C "$STORAGE_PATH" -czf "$work/storage.tar.gz" . || backup_die "archiving STORAGE_PATH failed"
  backup_log "storage: $(find "$STORAGE_PATH" -type f | wc -l) files"
else
  backup_log "storage: STORAGE_PATH not set, skipped"
fi

if [[ -n "${REDIS_URL:-}" ]]; then
  if ! redis-cli -u "$REDIS_URL" --no-auth-warning --rdb "$work/redis.rdb" >/dev/null 2>"$work/redis.err"; then
    cat -- "$work/redis.err" >&2
    backup_die "fetching the Redis snapshot failed (REDIS_URL)"
  fi
  rm -f -- "$work/redis.err"
  backup_log "redis: snapshot of $(stat -c %s "$work/redis.rdb") bytes"
else
  backup_log "redis: REDIS_URL not set, skipped"
fi
if [[ -n "${REDIS_AOF_DIR:-}" ]]; then
  tar -C "$REDIS_AOF_DIR" -czf "$work/redis-aof.tar.gz" . || backup_die "archiving REDIS_AOF_DIR failed"
fi

(cd "$work" && sha256sum -- * >SHA256SUMS)
date -u +%Y-%m-%dT%H:%M:%SZ >"$work/COMPLETE"
mv -- "$work" "$dir"
backup_log "complete: $dir"

# Pruning by the stamp in the name (mtimes change when files are copied between hosts).
cutoff="$(date -u -d "-$retention days" +"$STAMP_FORMAT")"
newest="$(backup_latest)"
for old in "$root/$BACKUP_PREFIX"*; do
  [[ -d "$old" && "$old" != "$newest" ]] || continue
  name="${old##*/}"
  name="${name#"$BACKUP_PREFIX"}"
  name="${name%.partial}"
  [[ "$name" =~ ^[0-9]{8}T[0-9]{6}Z$ ]] || continue
  if [[ "$name" < "$cutoff" ]]; then
    backup_log "pruning $old (older than $retention days)"
    rm -rf -- "$old"
  fi
done
printf '%s\n' "$dir"
