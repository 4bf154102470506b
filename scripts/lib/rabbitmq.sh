# shellcheck shell=bash
#
# scripts/lib/rabbitmq.sh — start/stop a private RabbitMQ broker (Debian's rabbitmq-server) on
# free loopback ports with a throwaway data directory, for the event-bus interop tests.
#
#   source scripts/lib/rabbitmq.sh
#   rabbitmq_start <data-dir> [amqp-port]   # prints the AMQP port; writes <data-dir>/env
#   rabbitmq_stop <data-dir>                # stops it (the data dir stays, so a start with the
#                                           # same port brings back durable queues and messages)
#
# <data-dir>/env holds RABBITMQ_TEST_URL=amqp://guest:guest@127.0.0.1:<port>/ (the default user
# may log in over loopback only, which is all this broker listens on).
#
# Design: the broker runs as the invoking user with HOME, the Mnesia and log directories, the
# node name and every port (AMQP, Erlang distribution, epmd) of its own, so it never touches the
# distro's /var/lib/rabbitmq nor a broker already running; the script starts epmd on the private
# port and stops it by its pid. Readiness is polled (`rabbitmq-diagnostics check_port_connectivity`), never
# waited for with a fixed sleep; a cold start takes a few seconds.

if [[ -n "${_METACHAT_RABBITMQ_SH:-}" ]]; then
  return 0
fi
_METACHAT_RABBITMQ_SH=1

_rmq_bin=/usr/lib/rabbitmq/bin

_rmq_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The environment every rabbitmq command of <data-dir> runs with.
_rmq_env() {
  local dir=$1
  # shellcheck disable=SC1091
  source "$dir/ports"
  printf '%s\n' \
    "HOME=$dir/home" \
    "RABBITMQ_HOME=$(find /usr/lib/rabbitmq/lib -maxdepth 1 -name 'rabbitmq_server-*' -print -quit)" \
    "RABBITMQ_NODENAME=metachat-$AMQP_PORT@localhost" \
    "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1" \
    "RABBITMQ_NODE_PORT=$AMQP_PORT" \
    "RABBITMQ_DIST_PORT=$DIST_PORT" \
    "ERL_EPMD_PORT=$EPMD_PORT" \
    "ERL_EPMD_ADDRESS=127.0.0.1" \
    "RABBITMQ_MNESIA_BASE=$dir/mnesia" \
    "RABBITMQ_LOG_BASE=$dir/log" \
    "RABBITMQ_PID_FILE=$dir/rabbitmq.pid" \
    "RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins" \
    "RABBITMQ_CONFIG_FILE=$dir/rabbitmq" \
    "RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config" \
    "RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf"
}

rabbitmq_start() {
  local dir=$1 port=${2:-}
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  dir=$(cd "$dir" && pwd)
  if [[ ! -f "$dir/ports" || -n "$port" ]]; then
    [[ -n "$port" ]] || port=$(_rmq_free_port)
    printf 'AMQP_PORT=%s\nDIST_PORT=%s\nEPMD_PORT=%s\n' "$port" "$(_rmq_free_port)" "$(_rmq_free_port)" >"$dir/ports"
  fi
  printf '[].\n' >"$dir/enabled_plugins"
  printf 'loopback_users.guest = true\n' >"$dir/rabbitmq.conf"
  printf '[].\n' >"$dir/advanced.config"
  : >"$dir/rabbitmq-env.conf"
  local -a environment
  mapfile -t environment < <(_rmq_env "$dir")
  # Our own epmd on the private port (the broker uses a running one), stopped by its pid.
  # shellcheck disable=SC1091
  source "$dir/ports"
  epmd -port "$EPMD_PORT" -address 127.0.0.1 >"$dir/log/epmd.log" 2>&1 &
  echo $! >"$dir/epmd.pid"
  env "${environment[@]}" "$_rmq_bin/rabbitmq-server" >"$dir/log/stdout.log" 2>&1 &
  echo $! >"$dir/server.pid"
  local _
  for _ in $(seq 1 600); do
    if env "${environment[@]}" "$_rmq_bin/rabbitmq-diagnostics" -q check_port_connectivity >/dev/null 2>&1; then
      # shellcheck disable=SC1091
      source "$dir/ports"
      printf 'RABBITMQ_TEST_URL=amqp://guest:guest@127.0.0.1:%s/\n' "$AMQP_PORT" >"$dir/env"
      printf '%s\n' "$AMQP_PORT"
      return 0
    fi
    if ! kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
      printf 'rabbitmq: the broker exited; see %s/log\n' "$dir" >&2
      tail -20 "$dir/log/stdout.log" >&2
      return 1
    fi
    sleep 0.1  # paces the readiness polling
  done
  printf 'rabbitmq: not ready within 60 s; see %s/log\n' "$dir" >&2
  return 1
}

rabbitmq_stop() {
  local dir=$1
  [[ -f "$dir/ports" ]] || return 0
  dir=$(cd "$dir" && pwd)
  local -a environment
  mapfile -t environment < <(_rmq_env "$dir")
  env "${environment[@]}" "$_rmq_bin/rabbitmqctl" -q shutdown >/dev/null 2>&1 || true
  local pid
  pid=$(cat "$dir/server.pid" 2>/dev/null || true)
  if [[ -n "$pid" ]]; then
    local _
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1  # paces the exit polling
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  fi
  # The broker's private epmd.
  pid=$(cat "$dir/epmd.pid" 2>/dev/null || true)
  [[ -z "$pid" ]] || kill "$pid" 2>/dev/null || true
  return 0
}
