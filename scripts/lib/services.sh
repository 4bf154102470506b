# shellcheck shell=bash
#
# scripts/lib/services.sh — start/stop the local PostgreSQL (+pgvector) and
# Redis instances MetaChat needs for development and tests.
#
# Usage (from a bash script running with `set -euo pipefail`):
#
#   source scripts/lib/services.sh
#   trap services_stop EXIT
#   services_start .data/dev            # persistent cluster (Redis AOF on)
#   services_start .data/test-x ephemeral  # throwaway: fsync off, no AOF
#
# services_start exports:
#   DATABASE_URL      postgresql://metachat:<pw>@127.0.0.1:<pgport>/metachat
#   REDIS_URL         redis://127.0.0.1:<redisport>/0
#   METACHAT_PG_BIN   pgserver's pginstall/bin (psql, pg_dump, ... live here)
#   METACHAT_PG_SUPERUSER_URL  the superuser `postgres` over the unix socket (local trust)
#   PATH              METACHAT_PG_BIN prepended, so `psql "$DATABASE_URL"` works
# and writes the same assignments to <data-dir>/env (mode 0600) so another
# shell can `source .data/dev/env` while the services are up.
#
# Note on traps: a bash trap on INT/TERM that merely returns lets the script
# carry on, so callers that trap signals should exit from the handler, e.g.
#   trap services_stop EXIT
#   trap 'exit 130' INT; trap 'exit 143' TERM
#
# Design decisions
# ----------------
# * Binaries: PostgreSQL comes from the `pgserver` wheel in .venv (see
#   requirements-dev.txt); Redis is Debian's redis-server.
# * Privileges: PostgreSQL refuses to run as root. When we are root, both
#   servers run as the dedicated system user `metachat-pg` (created on demand,
#   no home, nologin shell) via `runuser -u metachat-pg --`; nothing is copied.
#   That user must be able to traverse to the pgserver binaries and to the data
#   dir. For every ancestor directory it cannot traverse (e.g. /root is 0700)
#   we add o+x (search permission only, never o+r, so directory listings stay
#   private) and say so on stderr. When not root, the servers simply run as
#   the invoking user.
# * Layout of <data-dir>:
#     pg/           PGDATA (owned by the service user, 0700)
#     sock/         PostgreSQL unix-socket directory (service user, 0700)
#     redis/        Redis working dir: AOF files + redis.pid (service user)
#     log/          postgres.log, redis.log
#     pg-password   password of role `metachat` (0600, invoking user)
#     env           exported variables for other shells (0600)
# * Authentication (pg_hba.conf is fully owned by this script):
#     local all all trust                    -- socket dir is 0700, so only the
#                                               service user (and root) reach it
#     host  all all 127.0.0.1/32 scram-sha-256
#   The superuser `postgres` has no password, so it cannot log in over TCP.
#   The app role `metachat` (LOGIN, not superuser) gets a random password that
#   is kept in <data-dir>/pg-password and re-applied on every start. Database
#   `metachat` is owned by `metachat`; `CREATE EXTENSION vector` is run as the
#   superuser so the app never needs superuser rights.
# * Ports: two free loopback ports are chosen on every start by asking the
#   kernel (bind 127.0.0.1:0). PostgreSQL listens only on 127.0.0.1; the port
#   and socket dir are written to <pgdata>/metachat-runtime.conf, which
#   postgresql.conf includes. If a server fails to start (e.g. somebody
#   grabbed the port in between) we retry with new ports, a bounded number of
#   times.
# * Leftovers from earlier runs: any process whose working directory is our
#   PGDATA or Redis dir belongs to an earlier run of this data dir (postgres
#   and redis both chdir there). We STOP such processes rather than reuse them
#   (their password/ports may be unknown to this shell and a crashed run may
#   have left them half-alive): `pg_ctl stop -m fast`, then SIGTERM/SIGKILL
#   with bounded waits. A stale postmaster.pid / redis.pid whose PID is not a
#   live process of that data dir is removed. Consequence: starting the same
#   data dir twice concurrently stops the first instance — use distinct data
#   dirs for concurrent runs (scripts/test.sh uses a random one).
# * Readiness is established by bounded polling (pg_isready, redis-cli ping),
#   never by a fixed sleep.

# Guard against double sourcing.
if [[ -n "${_METACHAT_SERVICES_SH:-}" ]]; then
  return 0
fi
_METACHAT_SERVICES_SH=1

SERVICES_USER="${SERVICES_USER:-metachat-pg}"
# Poll budget: attempts x interval (seconds).
SERVICES_POLL_ATTEMPTS="${SERVICES_POLL_ATTEMPTS:-300}"
SERVICES_POLL_INTERVAL="${SERVICES_POLL_INTERVAL:-0.1}"

_SVC_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
_SVC_REPO_ROOT="$(cd "${_SVC_LIB_DIR}/../.." && pwd)"

# State of the currently running services (empty when none).
_SVC_DATA_DIR=""
_SVC_PG_BIN=""
_SVC_REDIS_PID=""
_SVC_REDIS_WRAPPER_PID=""
_SVC_REDIS_PORT=""

_svc_log() { printf 'services: %s\n' "$*" >&2; }
_svc_die() {
  printf 'services: ERROR: %s\n' "$*" >&2
  return 1
}

_svc_is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Run a command as the service user (or as ourselves when not root), from /
# so that an unreadable current directory never matters.
_svc_as() {
  if _svc_is_root; then
    (cd / && runuser -u "$SERVICES_USER" -- "$@")
  else
    (cd / && "$@")
  fi
}

_svc_python() {
  if [[ -x "${_SVC_REPO_ROOT}/.venv/bin/python" ]]; then
    printf '%s\n' "${_SVC_REPO_ROOT}/.venv/bin/python"
  else
    command -v python3
  fi
}

# Locate pgserver's pginstall directory inside the repo's .venv.
_svc_find_pginstall() {
  local py dir cand
  # Fast path without starting Python: the usual venv layout.
  for cand in "${_SVC_REPO_ROOT}"/.venv/lib/python3*/site-packages/pgserver/pginstall; do
    if [[ -x "$cand/bin/postgres" ]]; then
      printf '%s\n' "$cand"
      return 0
    fi
  done
  py="$(_svc_python)" || return 1
  dir="$("$py" - <<'PY' 2>/dev/null
import importlib.util, os
spec = importlib.util.find_spec("pgserver")
if spec and spec.submodule_search_locations:
    print(os.path.join(list(spec.submodule_search_locations)[0], "pginstall"))
PY
)" || true
  if [[ -z "$dir" || ! -x "$dir/bin/postgres" ]]; then
    _svc_die "pgserver's PostgreSQL binaries not found (python: $py). Run scripts/setup.sh first."
    return 1
  fi
  printf '%s\n' "$dir"
}

_svc_ensure_user() {
  _svc_is_root || return 0
  if ! getent passwd "$SERVICES_USER" >/dev/null; then
    _svc_log "creating system user $SERVICES_USER"
    useradd --system --no-create-home --shell /usr/sbin/nologin \
      --user-group "$SERVICES_USER"
  fi
}

# Make sure the service user can traverse every ancestor of $1 (and $1).
# Adds o+x only where needed; see "Privileges" above.
_svc_ensure_traversable() {
  _svc_is_root || return 0
  local target d path=""
  target="$(realpath -- "$1")"
  local -a parts
  IFS=/ read -r -a parts <<<"${target#/}"
  for d in "" "${parts[@]}"; do
    if [[ -z "$d" ]]; then path="/"; else path="${path%/}/$d"; fi
    if ! runuser -u "$SERVICES_USER" -- test -x "$path" 2>/dev/null; then
      _svc_log "granting search permission (chmod o+x) on $path so $SERVICES_USER can reach it"
      chmod o+x -- "$path"
    fi
  done
}

# Create a directory owned by the service user with the given mode.
_svc_mkdir_owned() {
  local dir="$1" mode="$2"
  mkdir -p -- "$dir"
  if _svc_is_root; then
    local want
    want="$(id -u "$SERVICES_USER")"
    if [[ "$(stat -c %u -- "$dir")" != "$want" ]]; then
      # Re-own recursively: covers data dirs from a previous incarnation of the
      # user (e.g. container rebuilt with a different uid).
      chown -R "$SERVICES_USER:$(id -g "$SERVICES_USER")" -- "$dir"
    fi
  fi
  chmod "$mode" -- "$dir"
}

# Print two distinct free loopback TCP ports chosen by the kernel.
_svc_free_ports() {
  "$(_svc_python)" - <<'PY'
import socket
socks = []
for _ in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

# PIDs of live processes whose cwd is exactly $1.
_svc_pids_with_cwd() {
  local want="$1" p cwd
  for p in /proc/[0-9]*; do
    cwd="$(readlink -- "$p/cwd" 2>/dev/null)" || continue
    if [[ "$cwd" == "$want" ]]; then
      printf '%s\n' "${p#/proc/}"
    fi
  done
}

# Wait (bounded) until none of the given PIDs is alive. Returns 1 on timeout.
_svc_wait_gone() {
  local attempts="$1" pid alive i
  shift
  for ((i = 0; i < attempts; i++)); do
    alive=0
    for pid in "$@"; do
      if kill -0 "$pid" 2>/dev/null; then alive=1; fi
    done
    ((alive)) || return 0
    sleep "$SERVICES_POLL_INTERVAL"
  done
  return 1
}

# Stop every process left in directory $1 by an earlier run: TERM, then KILL.
_svc_reap_dir() {
  local dir="$1" what="$2"
  local -a pids
  mapfile -t pids < <(_svc_pids_with_cwd "$dir")
  ((${#pids[@]})) || return 0
  _svc_log "stopping leftover $what processes from an earlier run: ${pids[*]}"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  if ! _svc_wait_gone 100 "${pids[@]}"; then
    _svc_log "leftover $what processes ignored SIGTERM; sending SIGKILL"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    _svc_wait_gone 100 "${pids[@]}" || _svc_die "could not stop leftover $what processes: ${pids[*]}"
  fi
}

# --------------------------------------------------------------------------
# PostgreSQL

_svc_pg_cleanup_previous() {
  local pgdata="$1" bin="$2"
  [[ -f "$pgdata/PG_VERSION" ]] || return 0
  if [[ -f "$pgdata/postmaster.pid" ]]; then
    local pid
    pid="$(head -n 1 -- "$pgdata/postmaster.pid" 2>/dev/null || true)"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
      [[ "$(readlink -- "/proc/$pid/cwd" 2>/dev/null)" == "$pgdata" ]]; then
      _svc_log "PostgreSQL from an earlier run is still up on $pgdata (pid $pid); stopping it"
      _svc_as "$bin/pg_ctl" -D "$pgdata" stop -m fast -w -t 30 >/dev/null 2>&1 || true
    fi
  fi
  # Whatever survived (or orphaned backends of a SIGKILLed postmaster, which
  # still hold the shared memory segment) goes now.
  _svc_reap_dir "$pgdata" postgres
  if [[ -f "$pgdata/postmaster.pid" ]]; then
    _svc_log "removing stale $pgdata/postmaster.pid"
    rm -f -- "$pgdata/postmaster.pid"
  fi
}

_svc_pg_init() {
  local pgdata="$1" bin="$2" logdir="$3"
  _svc_log "initialising PostgreSQL cluster in $pgdata"
  if ! _svc_as "$bin/initdb" -D "$pgdata" -U postgres --encoding=UTF8 --no-locale \
    --auth-local=trust --auth-host=scram-sha-256 >"$logdir/initdb.log" 2>&1; then
    cat -- "$logdir/initdb.log" >&2
    _svc_die "initdb failed"
    return 1
  fi
  {
    printf '\n# Added by scripts/lib/services.sh: port, listen address and socket dir\n'
    printf "include_if_exists = 'metachat-runtime.conf'\n"
  } >>"$pgdata/postgresql.conf"
}

# Write pg_hba.conf and the per-start runtime config.
_svc_pg_configure() {
  local pgdata="$1" port="$2" sockdir="$3" mode="$4"
  cat >"$pgdata/pg_hba.conf" <<'EOF'
# Managed by scripts/lib/services.sh — rewritten on every start.
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   scram-sha-256
EOF
  {
    printf '# Managed by scripts/lib/services.sh — rewritten on every start.\n'
    printf "listen_addresses = '127.0.0.1'\n"
    printf 'port = %s\n' "$port"
    printf "unix_socket_directories = '%s'\n" "${sockdir//\'/\'\'}"
    printf "password_encryption = 'scram-sha-256'\n"
    if [[ "$mode" == ephemeral ]]; then
      printf '# Throwaway cluster: durability is not needed.\n'
      printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n'
      # The test suites run concurrently, each with its own pools: more than the default 100.
      printf 'max_connections = 300\n'
    fi
  } >"$pgdata/metachat-runtime.conf"
  if _svc_is_root; then
    chown "$SERVICES_USER:" -- "$pgdata/pg_hba.conf" "$pgdata/metachat-runtime.conf"
  fi
  chmod 0600 -- "$pgdata/pg_hba.conf" "$pgdata/metachat-runtime.conf"
}

# Start postgres and poll until it accepts TCP connections. Returns 1 if it
# did not come up (caller may retry with another port).
_svc_pg_start() {
  local pgdata="$1" bin="$2" port="$3" logfile="$4"
  local i
  : >"$logfile"
  if _svc_is_root; then chown "$SERVICES_USER:" -- "$logfile"; fi
  # pg_ctl -w itself polls (bounded by -t) until the postmaster reports
  # ready or dies, e.g. because the port was taken meanwhile.
  if _svc_as "$bin/pg_ctl" -D "$pgdata" -l "$logfile" -w -t 60 start >/dev/null; then
    # Then confirm the TCP listener with a bounded pg_isready poll.
    for ((i = 0; i < SERVICES_POLL_ATTEMPTS; i++)); do
      if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres; then
        return 0
      fi
      sleep "$SERVICES_POLL_INTERVAL"
    done
  fi
  _svc_log "PostgreSQL did not become ready on port $port; last log lines:"
  tail -n 20 -- "$logfile" >&2 || true
  _svc_as "$bin/pg_ctl" -D "$pgdata" stop -m immediate >/dev/null 2>&1 || true
  _svc_reap_dir "$pgdata" postgres || true
  return 1
}

# Create role/database/extension (idempotent) and verify app access.
_svc_pg_provision() {
  local bin="$1" port="$2" sockdir="$3" password="$4"
  local -a su_psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$port" -U postgres)
  # Password goes through stdin, not argv.
  _svc_as "${su_psql[@]}" -d postgres >/dev/null <<SQL || { _svc_die "creating role/database failed"; return 1; }
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'metachat') THEN
    CREATE ROLE metachat LOGIN;
  END IF;
END
\$\$;
ALTER ROLE metachat WITH LOGIN NOSUPERUSER NOCREATEROLE PASSWORD '${password}';
SELECT 'CREATE DATABASE metachat OWNER metachat'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'metachat') \gexec
ALTER DATABASE metachat OWNER TO metachat;
SQL
  _svc_as "${su_psql[@]}" -d metachat -c 'SET client_min_messages = warning' \
    -c 'CREATE EXTENSION IF NOT EXISTS vector' >/dev/null ||
    { _svc_die "CREATE EXTENSION vector failed"; return 1; }
  local ver
  ver="$(_svc_as "${su_psql[@]}" -d metachat -At \
    -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")" || return 1
  [[ -n "$ver" ]] || { _svc_die "pgvector extension missing after CREATE EXTENSION"; return 1; }
  # Verify the app role over TCP with SCRAM, and that it can use the type.
  local url="postgresql://metachat:${password}@127.0.0.1:${port}/metachat"
  local check
  check="$("$bin/psql" -X -At -v ON_ERROR_STOP=1 "$url" \
    -c "SELECT current_user || ' ' || ('[1,2,3]'::vector <-> '[1,2,4]'::vector)")" ||
    { _svc_die "role metachat cannot connect over TCP"; return 1; }
  [[ "$check" == "metachat 1" ]] || { _svc_die "unexpected verification result: $check"; return 1; }
  _svc_log "PostgreSQL ready on 127.0.0.1:$port (pgvector $ver)"
}

# --------------------------------------------------------------------------
# Redis

_svc_redis_cleanup_previous() {
  local rdir="$1"
  _svc_reap_dir "$rdir" redis
  rm -f -- "$rdir/redis.pid"
}

# Start redis in the background and poll until PING answers.
_svc_redis_start() {
  local rdir="$1" port="$2" logfile="$3" mode="$4"
  local aof=yes i
  [[ "$mode" == ephemeral ]] && aof=no
  : >"$logfile"
  if _svc_is_root; then chown "$SERVICES_USER:" -- "$logfile"; fi
  # shellcheck disable=SC2094  # redis appends to its own log; we only append too.
  _svc_as redis-server --bind 127.0.0.1 --port "$port" --dir "$rdir" \
    --save '' --appendonly "$aof" --daemonize no --protected-mode yes \
    --pidfile "$rdir/redis.pid" --logfile "$logfile" </dev/null >>"$logfile" 2>&1 &
  _SVC_REDIS_WRAPPER_PID=$!
  for ((i = 0; i < SERVICES_POLL_ATTEMPTS; i++)); do
    if [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]; then
      local pid=""
      if [[ -f "$rdir/redis.pid" ]]; then pid="$(cat -- "$rdir/redis.pid")"; fi
      if [[ ! "$pid" =~ ^[0-9]+$ ]]; then
        pid="$(_svc_pids_with_cwd "$rdir" | head -n 1)"
      fi
      _SVC_REDIS_PID="$pid"
      _SVC_REDIS_PORT="$port"
      _svc_log "Redis ready on 127.0.0.1:$port (pid ${pid:-?})"
      return 0
    fi
    if ! kill -0 "$_SVC_REDIS_WRAPPER_PID" 2>/dev/null; then
      break
    fi
    sleep "$SERVICES_POLL_INTERVAL"
  done
  _svc_log "Redis did not become ready on port $port; last log lines:"
  tail -n 20 -- "$logfile" >&2 || true
  _svc_reap_dir "$rdir" redis || true
  wait "$_SVC_REDIS_WRAPPER_PID" 2>/dev/null || true
  _SVC_REDIS_WRAPPER_PID=""
  return 1
}

# --------------------------------------------------------------------------
# Public API

# services_start <data-dir> [persistent|ephemeral]
services_start() {
  local data_arg="${1:?usage: services_start <data-dir> [persistent|ephemeral]}"
  local mode="${2:-persistent}"
  case "$mode" in
    persistent | ephemeral) ;;
    *) _svc_die "unknown mode '$mode' (want persistent or ephemeral)"; return 1 ;;
  esac
  if [[ -n "$_SVC_DATA_DIR" ]]; then
    _svc_die "services already started for $_SVC_DATA_DIR in this shell"
    return 1
  fi
  command -v redis-server >/dev/null || { _svc_die "redis-server not installed (run scripts/setup.sh)"; return 1; }
  command -v redis-cli >/dev/null || { _svc_die "redis-cli not installed (run scripts/setup.sh)"; return 1; }

  local pginstall bin
  pginstall="$(_svc_find_pginstall)" || return 1
  bin="$pginstall/bin"

  _svc_ensure_user || return 1
  mkdir -p -- "$data_arg" || return 1
  local data
  data="$(realpath -- "$data_arg")" || return 1
  chmod 0755 -- "$data" || return 1
  _svc_ensure_traversable "$bin" || return 1
  _svc_ensure_traversable "$data" || return 1
  if ! _svc_as test -x "$bin/postgres" -a -r "$pginstall/share/postgresql/extension/vector.control"; then
    _svc_die "user $SERVICES_USER cannot read/execute files under $pginstall (check file modes)"
    return 1
  fi

  local pgdata="$data/pg" sockdir="$data/sock" rdir="$data/redis" logdir="$data/log"
  local probe="$sockdir/.s.PGSQL.65535.lock"
  if ((${#probe} > 107)); then
    _svc_die "data dir path too long for a unix socket (${#probe} > 107 bytes): $data"
    return 1
  fi
  _svc_mkdir_owned "$logdir" 0750 || return 1
  _svc_mkdir_owned "$sockdir" 0700 || return 1
  _svc_mkdir_owned "$rdir" 0700 || return 1
  _svc_mkdir_owned "$pgdata" 0700 || return 1

  # Record state early so services_stop can clean up a half-started run.
  _SVC_DATA_DIR="$data"
  _SVC_PG_BIN="$bin"

  _svc_pg_cleanup_previous "$pgdata" "$bin" || return 1
  _svc_redis_cleanup_previous "$rdir" || return 1

  if [[ ! -f "$pgdata/PG_VERSION" ]]; then
    # A half-written cluster from an interrupted initdb would make initdb fail.
    if [[ -n "$(ls -A -- "$pgdata")" ]]; then
      _svc_log "discarding incomplete cluster in $pgdata"
      find "$pgdata" -mindepth 1 -delete || return 1
    fi
    _svc_pg_init "$pgdata" "$bin" "$logdir" || return 1
  fi

  local pwfile="$data/pg-password" password
  if [[ ! -s "$pwfile" ]]; then
    (umask 077 && od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >"$pwfile") || return 1
  fi
  chmod 0600 -- "$pwfile" || return 1
  password="$(cat -- "$pwfile")" || return 1
  [[ "$password" =~ ^[0-9a-f]{48}$ ]] || { _svc_die "malformed $pwfile (delete it to regenerate)"; return 1; }

  local attempt ports pg_port="" redis_port="" pg_ok=0 redis_ok=0
  for attempt in 1 2 3; do
    ports="$(_svc_free_ports)" || { services_stop; return 1; }
    if ((!pg_ok)); then
      pg_port="${ports% *}"
      _svc_pg_configure "$pgdata" "$pg_port" "$sockdir" "$mode" || { services_stop; return 1; }
      if _svc_pg_start "$pgdata" "$bin" "$pg_port" "$logdir/postgres.log"; then
        pg_ok=1
      else
        _svc_log "PostgreSQL start attempt $attempt failed"
      fi
    fi
    if ((pg_ok && !redis_ok)); then
      redis_port="${ports#* }"
      if [[ "$redis_port" == "$pg_port" ]]; then continue; fi
      if _svc_redis_start "$rdir" "$redis_port" "$logdir/redis.log" "$mode"; then
        redis_ok=1
        break
      fi
      _svc_log "Redis start attempt $attempt failed"
    fi
  done
  if ((!pg_ok || !redis_ok)); then
    services_stop
    _svc_die "could not start services in $data (logs: $logdir)"
    return 1
  fi

  if ! _svc_pg_provision "$bin" "$pg_port" "$sockdir" "$password"; then
    services_stop
    return 1
  fi

  export DATABASE_URL="postgresql://metachat:${password}@127.0.0.1:${pg_port}/metachat"
  export REDIS_URL="redis://127.0.0.1:${redis_port}/0"
  export METACHAT_PG_BIN="$bin"
  # The superuser over the unix socket (trust; the socket dir is private): for the ops tests,
  # which create and drop databases and extensions.
  export METACHAT_PG_SUPERUSER_URL="postgresql:///metachat?host=${sockdir}&port=${pg_port}&user=postgres"
  case ":$PATH:" in
    *":$bin:"*) ;;
    *) export PATH="$bin:$PATH" ;;
  esac
  (
    umask 077
    printf '# Written by scripts/lib/services.sh; valid while the services run.\n'
    printf 'export DATABASE_URL=%q\n' "$DATABASE_URL"
    printf 'export REDIS_URL=%q\n' "$REDIS_URL"
    printf 'export METACHAT_PG_BIN=%q\n' "$METACHAT_PG_BIN"
    printf 'export METACHAT_PG_SUPERUSER_URL=%q\n' "$METACHAT_PG_SUPERUSER_URL"
  ) >"$data/env"
}

# services_stop — stop PostgreSQL and Redis started by services_start in this
# shell. Safe to call repeatedly and when nothing was started.
services_stop() {
  local data="$_SVC_DATA_DIR" bin="$_SVC_PG_BIN"
  [[ -n "$data" ]] || return 0
  local pgdata="$data/pg" rdir="$data/redis"

  if [[ -n "$_SVC_REDIS_PID" ]] && kill -0 "$_SVC_REDIS_PID" 2>/dev/null; then
    # SIGTERM = graceful shutdown (flushes the AOF when enabled).
    kill -TERM "$_SVC_REDIS_PID" 2>/dev/null || true
    _svc_wait_gone 100 "$_SVC_REDIS_PID" || kill -KILL "$_SVC_REDIS_PID" 2>/dev/null || true
  fi
  _svc_reap_dir "$rdir" redis 2>/dev/null || true
  if [[ -n "$_SVC_REDIS_WRAPPER_PID" ]]; then
    wait "$_SVC_REDIS_WRAPPER_PID" 2>/dev/null || true
  fi
  rm -f -- "$rdir/redis.pid"

  if [[ -f "$pgdata/postmaster.pid" && -n "$bin" ]]; then
    _svc_as "$bin/pg_ctl" -D "$pgdata" stop -m fast -w -t 30 >/dev/null 2>&1 || true
  fi
  _svc_reap_dir "$pgdata" postgres 2>/dev/null || true

  rm -f -- "$data/env"
  _SVC_DATA_DIR=""
  _SVC_PG_BIN=""
  _SVC_REDIS_PID=""
  _SVC_REDIS_WRAPPER_PID=""
  _SVC_REDIS_PORT=""
  _svc_log "stopped services for $data"
}
