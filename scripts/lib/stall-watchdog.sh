# shellcheck shell=bash
# scripts/lib/stall-watchdog.sh — sourced by scripts/test.sh.
#
#   run_with_stall_watchdog <quiet-seconds> <command>...
# runs the command with its output passed through, and when the output has been silent for
# <quiet-seconds> (a test run prints every test's start and end, so a long silence is a hang),
# writes every thread's stack of the command's processes (gdb, when installed) and their threads'
# states to stderr, then ends the command and fails with status 124. Otherwise returns the
# command's own status.

# Prints the process ids under <pid>, children before their own children.
stall_watchdog_descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null || true); do
    echo "$child"
    stall_watchdog_descendants "$child"
  done
}

stall_watchdog_dump() {
  local pid
  for pid in "$@"; do
    [[ -d /proc/$pid ]] || continue
    printf '\n--- process %s: %s\n' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-200)" >&2
    printf 'thread states: %s\n' "$(awk '{print $3}' /proc/"$pid"/task/*/stat 2>/dev/null | sort | uniq -c | tr '\n' ' ')" >&2
    if command -v gdb >/dev/null; then
      timeout 120 gdb -p "$pid" -batch -nx -ex 'thread apply all bt 30' 2>&1 | grep -E '^(Thread|#)' >&2 || true
    fi
  done
}

run_with_stall_watchdog() {
  local quiet=$1
  shift
  local stamp
  stamp="$(mktemp)"
  # Every line of output touches the stamp file; the loop below reads its age.
  (
    set -o pipefail
    "$@" 2>&1 | while IFS= read -r line || [[ -n "$line" ]]; do
      printf '%s\n' "$line"
      : >"$stamp"
    done
  ) &
  local pipeline=$!
  local status=0 stalled=0 age
  while kill -0 "$pipeline" 2>/dev/null; do
    age=$(($(date +%s) - $(stat -c %Y "$stamp")))
    if ((age > quiet)); then
      stalled=1
      printf '\nstall watchdog: no output for %d s; stacks of the stalled processes follow\n' "$age" >&2
      local stalled_pids
      stalled_pids="$(stall_watchdog_descendants "$pipeline")"
      # shellcheck disable=SC2086 # one process id a word
      stall_watchdog_dump $stalled_pids
      # shellcheck disable=SC2086
      kill -KILL $stalled_pids 2>/dev/null || true
      break
    fi
    # Polled, not waited on: the command's exit ends the loop within this interval.
    sleep 5
  done
  wait "$pipeline" || status=$?
  rm -f "$stamp"
  if ((stalled)); then
    printf 'stall watchdog: ended the command after %d s without output\n' "$quiet" >&2
    return 124
  fi
  return "$status"
}
