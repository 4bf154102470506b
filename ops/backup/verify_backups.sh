#!/usr/bin/env bash
# ops/backup/verify_backups.sh — proves the latest backup (or the one named) can be restored.
#
#   BACKUP_ROOT=... BACKUP_DATABASE_URL=... ops/backup/verify_backups.sh [--compare-live] [--log-dir DIR] [BACKUP]
#
# Steps, each failing the run (exit 1) with a message naming what is wrong:
#   1. the backup is complete and every file matches SHA256SUMS;
#   2. the dump is restored into a scratch database (metachat_verify_<stamp>, created through
#      BACKUP_DATABASE_URL, the superuser (ops/backup/lib.sh), dropped afterwards) and the row count of every table equals the counts
#      taken in the dump's own snapshot (rowcounts.tsv), no table missing or extra;
#   3. the restored counts are compared with the live database (BACKUP_DATABASE_URL): differences are
#      listed; with --compare-live they fail the run (use it when nothing writes, e.g. right
#      after a backup in a maintenance window);
#   4. redis-check-rdb on the Redis snapshot, redis-check-aof on the AOF files;
#   5. the storage archive reads to its end (gzip and tar checksums).
# Prints "verified <dir>" on success. With --log-dir (or VERIFY_LOG_DIR) everything it prints is
# also archived as DIR/verify-<UTC stamp>.log, and logs older than VERIFY_LOG_RETENTION_DAYS (30)
# are removed. Cron, as the deployment guide suggests (hourly):
#   15 * * * * BACKUP_ROOT=... BACKUP_DATABASE_URL=... .../ops/backup/verify_backups.sh --log-dir /home/deploy/logs/verify
set -euo pipefail
BACKUP_TOOL=verify_backups.sh
# shellcheck source=ops/backup/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

compare_live=0
which=latest
log_dir="${VERIFY_LOG_DIR:-}"
while (($#)); do
  case "$1" in
    --compare-live) compare_live=1 ;;
    --log-dir) log_dir="${2:?--log-dir needs a directory}"; shift ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) backup_die "unknown option '$1' (see --help)" ;;
    *) which=$1 ;;
  esac
  shift
done

# verify — the checks; exits non-zero naming the first failure, or prints "verified <dir>".
verify() {
  backup_require_url BACKUP_DATABASE_URL
  url="$BACKUP_DATABASE_URL"
  backup_require_tools pg_restore psql sha256sum tar gzip redis-check-rdb redis-check-aof
  dir="$(backup_resolve "$which")"
  backup_require_bypass "$url"
  backup_log "verifying $dir"

  backup_check_sums "$dir"
  backup_log "checksums ok"

  [[ -f "$dir/db.dump" && -f "$dir/rowcounts.tsv" ]] || backup_die "$dir has no db.dump or rowcounts.tsv"
  scratch="metachat_verify_$(date -u +%Y%m%d%H%M%S)_$$"
  owner="$(backup_owner "$url")"
  # shellcheck disable=SC2317 # called by the EXIT trap
  cleanup() { backup_drop_database "$url" "$scratch" || backup_log "could not drop scratch database $scratch"; }
  trap cleanup EXIT
  backup_restore_into_new_database "$dir/db.dump" "$url" "$scratch" "$owner"
  restored="$(backup_row_counts "$(backup_url_with_database "$url" "$scratch")")"

  failures=0
  if ! differences="$(diff <(printf '%s\n' "$restored") "$dir/rowcounts.tsv")"; then
    backup_log "restored row counts differ from the counts taken at backup time (< restored, > at backup):"
    printf '%s\n' "$differences" >&2
    failures=$((failures + 1))
  else
    backup_log "restored $(printf '%s\n' "$restored" | wc -l) tables; every row count equals the backup's"
  fi

  live="$(backup_row_counts "$url")"
  if ! differences="$(diff <(printf '%s\n' "$restored") <(printf '%s\n' "$live"))"; then
    if ((compare_live)); then
      backup_log "restored row counts differ from the live database (< restored, > live):"
      printf '%s\n' "$differences" >&2
      failures=$((failures + 1))
    else
      backup_log "the live database has changed since the backup (< restored, > live; informational):"
      printf '%s\n' "$differences" >&2
    fi
  else
    backup_log "row counts equal the live database's"
  fi

  if [[ -f "$dir/redis.rdb" ]]; then
    if ! output="$(redis-check-rdb "$dir/redis.rdb" 2>&1)" || ! grep -q 'RDB looks OK' <<<"$output"; then
      printf '%s\n' "$output" >&2
      backup_log "redis-check-rdb refused $dir/redis.rdb"
      failures=$((failures + 1))
    else
      backup_log "redis snapshot ok"
    fi
  fi
  if [[ -f "$dir/redis-aof.tar.gz" ]]; then
    aof="$(mktemp -d)"
    tar -C "$aof" -xzf "$dir/redis-aof.tar.gz" || backup_die "cannot unpack $dir/redis-aof.tar.gz"
    manifest="$(find "$aof" -name '*.manifest' | head -n 1)"
    target="$manifest"
    [[ -n "$target" ]] || target="$(find "$aof" -name '*.aof' | head -n 1)"
    if [[ -z "$target" ]]; then
      backup_log "redis-aof.tar.gz holds no AOF"
      failures=$((failures + 1))
    elif ! output="$(redis-check-aof "$target" 2>&1)" || ! grep -qi 'is valid' <<<"$output"; then
      printf '%s\n' "$output" >&2
      backup_log "redis-check-aof refused the AOF in $dir/redis-aof.tar.gz"
      failures=$((failures + 1))
    else
      backup_log "redis AOF ok"
    fi
    rm -rf -- "$aof"
  fi
  if [[ -f "$dir/storage.tar.gz" ]]; then
    if ! tar -tzf "$dir/storage.tar.gz" >/dev/null; then
      backup_log "$dir/storage.tar.gz does not read to its end"
      failures=$((failures + 1))
    else
      backup_log "storage archive ok"
    fi
  fi

  if ((failures)); then
    backup_die "$failures check(s) failed for $dir"
  fi
  printf 'verified %s\n' "$dir"
}

if [[ -z "$log_dir" ]]; then
  verify
  exit 0
fi
retention="${VERIFY_LOG_RETENTION_DAYS:-30}"
[[ "$retention" =~ ^[0-9]+$ && "$retention" -ge 1 ]] || backup_die "VERIFY_LOG_RETENTION_DAYS must be a whole number of days ≥ 1"
mkdir -p -- "$log_dir" || backup_die "cannot create the log directory $log_dir"
log="$log_dir/verify-$(date -u +"$STAMP_FORMAT").log"
cutoff="$(date -u -d "-$retention days" +"$STAMP_FORMAT")"
for old in "$log_dir"/verify-*.log; do
  [[ -f "$old" ]] || continue
  name="${old##*/verify-}"
  name="${name%.log}"
  if [[ "$name" =~ ^[0-9]{8}T[0-9]{6}Z$ && "$name" < "$cutoff" ]]; then
    rm -f -- "$old"
  fi
done
# Both streams go to the log (and on to the terminal); the exit status is verify's.
set +e
verify 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
exit "$status"
