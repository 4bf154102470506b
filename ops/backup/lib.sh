# shellcheck shell=bash
#
# ops/backup/lib.sh — shared by backup.sh, verify_backups.sh, restore.sh and rollback.sh.
#
# A backup is one directory BACKUP_ROOT/metachat-<UTC stamp>/ holding
#   db.dump            pg_dump custom format (-Fc) of DATABASE_URL
#   rowcounts.tsv      "<schema>.<table>\t<rows>" for every table, counted in the dump's own
#                      snapshot (so they are exactly what the dump holds)
#   storage.tar.gz     the document storage directory (STORAGE_PATH), when one is set
#   redis.rdb          a snapshot fetched from REDIS_URL (`redis-cli --rdb`), when one is set
#   redis-aof.tar.gz   Redis' append-only files (REDIS_AOF_DIR), when that is set
#   SHA256SUMS         checksums of all the above
#   COMPLETE           written last; a directory without it is an unfinished backup
#
# Connection: BACKUP_DATABASE_URL names the application's database as a role that bypasses
# row-level security and may create databases: the `postgres` superuser (docker-compose.yml's
# POSTGRES_PASSWORD). The application role (DATABASE_URL) cannot be used: every tenant table is
# FORCE ROW LEVEL SECURITY, so it sees no rows outside a tenant's transaction, and pg_dump
# refuses to run under such policies. Restores keep the dump's owners and grants (the roles must
# exist in the target cluster, as they do when restoring into the same one).

BACKUP_PREFIX=metachat-
# shellcheck disable=SC2034 # used by backup.sh, which sources this file
STAMP_FORMAT=%Y%m%dT%H%M%SZ

backup_log() { printf '%s: %s\n' "${BACKUP_TOOL:-backup}" "$*" >&2; }
backup_die() {
  printf '%s: ERROR: %s\n' "${BACKUP_TOOL:-backup}" "$*" >&2
  exit 1
}

# backup_require_tools <tool>... — fails naming every missing program.
backup_require_tools() {
  local missing=() tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) || backup_die "missing programs: ${missing[*]} (PostgreSQL client tools, redis-tools, tar, gzip)"
}

# backup_require_url <variable> — the variable must hold a postgres URL.
backup_require_url() {
  local name=$1 value=${!1:-}
  [[ -n "$value" ]] || backup_die "$name is not set (postgresql://postgres:password@host:port/metachat: a role that bypasses row-level security, e.g. the postgres superuser)"
  [[ "$value" == postgresql://* || "$value" == postgres://* ]] || backup_die "$name must start with postgresql://"
}

# backup_require_bypass <url> — the URL's role must see every tenant's rows.
backup_require_bypass() {
  local bypass
  bypass="$(backup_psql "$1" "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")" ||
    backup_die "cannot connect with BACKUP_DATABASE_URL"
  [[ "$bypass" == t ]] || backup_die "BACKUP_DATABASE_URL's role does not bypass row-level security: use the postgres superuser (the application role sees no tenant's rows outside its transactions)"
}

# backup_root — BACKUP_ROOT, which must be set.
backup_root() {
  [[ -n "${BACKUP_ROOT:-}" ]] || backup_die "BACKUP_ROOT is not set (e.g. /home/deploy/backups/meta-chat)"
  printf '%s\n' "$BACKUP_ROOT"
}

# backup_latest — the newest complete backup directory, or a failure naming BACKUP_ROOT.
backup_latest() {
  local root dir latest=""
  root="$(backup_root)"
  [[ -d "$root" ]] || backup_die "BACKUP_ROOT $root does not exist"
  for dir in "$root/$BACKUP_PREFIX"*; do
    [[ -f "$dir/COMPLETE" ]] && latest="$dir"
  done
  [[ -n "$latest" ]] || backup_die "no complete backup in $root"
  printf '%s\n' "$latest"
}

# backup_resolve <dir|latest> — a complete backup directory.
backup_resolve() {
  local which=$1
  if [[ "$which" == latest ]]; then
    backup_latest
    return
  fi
  [[ -d "$which" ]] || backup_die "backup $which does not exist"
  [[ -f "$which/COMPLETE" ]] || backup_die "backup $which is incomplete (no COMPLETE marker)"
  printf '%s\n' "$which"
}

# backup_check_sums <dir> — every file matches SHA256SUMS.
backup_check_sums() {
  local dir=$1
  [[ -f "$dir/SHA256SUMS" ]] || backup_die "$dir has no SHA256SUMS"
  if ! (cd "$dir" && sha256sum --quiet --strict -c SHA256SUMS >&2); then
    backup_die "checksum mismatch in $dir: a file was truncated or changed after the backup"
  fi
}

# backup_database_name <url> — the database name of a URL (path after the host, no query).
backup_database_name() {
  local rest=${1#*://}
  rest=${rest#*/}
  rest=${rest%%\?*}
  [[ -n "$rest" && "$rest" != *"/"* ]] || backup_die "cannot tell the database name from the URL"
  printf '%s\n' "$rest"
}

# backup_url_with_database <url> <name> — the URL pointing at another database.
backup_url_with_database() {
  local url=$1 name=$2 scheme rest authority query=""
  scheme=${url%%://*}
  rest=${url#*://}
  authority=${rest%%/*}
  if [[ "$rest" == *\?* ]]; then query="?${rest#*\?}"; fi
  printf '%s://%s/%s%s\n' "$scheme" "$authority" "$name" "$query"
}

# backup_psql <url> <sql> — runs SQL, unaligned output, stops on the first error.
backup_psql() {
  psql -X -q -At -v ON_ERROR_STOP=1 "$1" -c "$2"
}

# A query that writes one counting statement per ordinary or partitioned table (tables that
# belong to an extension left out); psql's \gexec then runs them in order, in the same session
# (and so in the same snapshot), each printing "<schema>.<table>\t<rows>".
BACKUP_COUNT_SQL="SELECT format('SELECT %L || E''\\t'' || count(*) FROM %I.%I', n.nspname || '.' || c.relname, n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'e'
WHERE c.relkind IN ('r', 'p') AND d.objid IS NULL
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY n.nspname, c.relname"

# backup_row_counts <url> — "<schema>.<table>\t<rows>" lines, sorted by table.
backup_row_counts() {
  printf '%s\n\\gexec\n' "$BACKUP_COUNT_SQL" | psql -X -q -At -v ON_ERROR_STOP=1 "$1"
}

# backup_restore_into_new_database <dump> <url> <name> <owner>
# Creates database <name> (owner <owner>) and restores the dump into it in one transaction, as
# the URL's role (a superuser: the data loads past row-level security, owners are set as dumped).
backup_restore_into_new_database() {
  local dump=$1 url=$2 name=$3 owner=$4
  pg_restore --list "$dump" >/dev/null || backup_die "pg_restore cannot read $dump: the dump is truncated or corrupt"
  backup_psql "$url" "CREATE DATABASE \"$name\" OWNER \"$owner\"" >/dev/null ||
    backup_die "could not create database $name through BACKUP_DATABASE_URL (needs CREATEDB)"
  if ! pg_restore --exit-on-error --single-transaction --dbname="$(backup_url_with_database "$url" "$name")" "$dump"; then
    backup_die "restoring $dump into $name failed: the dump is truncated or corrupt"
  fi
}

# backup_drop_database <admin-url> <name> — drops it, ending its sessions.
backup_drop_database() {
  backup_psql "$1" "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)" >/dev/null
}

# backup_owner <url> — the owner role of the URL's database.
backup_owner() {
  backup_psql "$1" "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
}
