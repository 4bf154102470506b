# shellcheck shell=bash
# ops/ha/lib.sh — shared by the ops/ha scripts (sourced, never run): messages, checks of the
# input, and bounded polling. The scripts run the same on a bare host and inside the
# containers of ops/docker-compose.ha.yml (mounted at /opt/metachat-ha).

HA_SCRIPT="$(basename -- "$0")"

ha_log() { printf '%s: %s\n' "$HA_SCRIPT" "$*" >&2; }

ha_die() {
  printf '%s: ERROR: %s\n' "$HA_SCRIPT" "$*" >&2
  exit 1
}

# Exit 2 with the usage (text on stdin of the caller's `usage` function) for a bad command line.
ha_usage_error() {
  printf '%s: ERROR: %s (see --help)\n' "$HA_SCRIPT" "$*" >&2
  exit 2
}

# ha_require NAME...: every named variable is set and not empty, or one error naming all missing.
ha_require() {
  local name missing=()
  for name in "$@"; do
    if [[ -z "${!name:-}" ]]; then missing+=("$name"); fi
  done
  ((${#missing[@]} == 0)) || ha_die "set ${missing[*]} (see --help)"
}

# ha_command NAME...: every named program is on PATH.
ha_command() {
  local name
  for name in "$@"; do
    command -v "$name" >/dev/null || ha_die "$name is not on PATH (PostgreSQL's client programs: add their bin directory to PATH)"
  done
}

# ha_integer NAME VALUE MIN MAX: VALUE is a decimal integer within [MIN, MAX].
ha_integer() {
  local name=$1 value=$2 min=$3 max=$4
  if [[ ! "$value" =~ ^[0-9]{1,9}$ ]] || ((10#$value < min || 10#$value > max)); then
    ha_die "$name must be a whole number from $min to $max, not '$value'"
  fi
}

# ha_identifier NAME VALUE: a plain lowercase SQL identifier (role and slot names).
ha_identifier() {
  local name=$1 value=$2
  [[ "$value" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
    ha_die "$name must be a lowercase identifier (letters, digits, _; at most 63), not '$value'"
}

# ha_psql ARGS...: psql without ~/.psqlrc, stopping at the first error, unaligned tuples only;
# the connection comes from libpq's environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD).
ha_psql() {
  psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}
