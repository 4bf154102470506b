#!/usr/bin/env bash
# scripts/bench-ab.sh — is build B cheaper than build A? Two echo-server binaries side by side.
#
# Usage: scripts/bench-ab.sh BIN_A BIN_B [RUNS]      (RUNS default 4; REQUESTS=400000 per server)
#        MODE=rest scripts/bench-ab.sh BIN_A BIN_B [RUNS]   (the REST face instead; SECONDS_PER_RUN=8)
#
# Both servers are pinned to CPU 1 and loaded at the same time, each by its own
# `h2load -c 8 -m 32` on CPU 0 (unary EchoService/Get, 16-byte text), after a 30,000-call warm-up.
# With MODE=rest the load is `wrk -t1 -c64` on HTTP/1.1 keep-alive, `GET /v1/echo/hello` through
# the REST bridge, for SECONDS_PER_RUN seconds after a 2 s warm-up; CPU per request is divided by
# the requests wrk counted.
# Each server's CPU per call is utime+stime from /proc/<pid>/stat over its own load. Printed per
# run: both figures and B/A; then the median B/A. Running both at once is what makes a 2 % change
# visible on a machine whose speed drifts by more than that between two runs a minute apart; swap
# A and B for a second set to see the method's own bias (docs/benchmarks.md, "Tried ... and not
# kept"). Build the binaries with `release_build` (scripts/lib/release-build.sh) and copy them
# aside first: both must exist when this runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
(($# >= 2)) || { echo "usage: scripts/bench-ab.sh BIN_A BIN_B [RUNS]" >&2; exit 64; }
a=$1
b=$2
runs=${3:-4}
requests=${REQUESTS:-400000}
for binary in "$a" "$b"; do
  [[ -x $binary ]] || { echo "bench-ab: $binary is not an executable" >&2; exit 66; }
done
command -v h2load >/dev/null || { echo "bench-ab: h2load missing (apt-get install nghttp2-client)" >&2; exit 69; }
mode=${MODE:-grpc}
seconds=${SECONDS_PER_RUN:-8}
if [[ $mode == rest ]]; then
  command -v wrk >/dev/null || { echo "bench-ab: wrk missing (apt-get install wrk)" >&2; exit 69; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# One gRPC message: uncompressed, 18 bytes of EchoRequest{text: "0123456789abcdef"}.
printf '\x00\x00\x00\x00\x12\x0a\x100123456789abcdef' >"$work/request"
path=/metachat.fixture.v1.EchoService/Get
headers=(-d "$work/request" -H content-type:application/grpc -H te:trailers)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

one_run() {
  local pids=() ports=() binary line
  for binary in "$a" "$b"; do
    # bash warns that the first coproc still runs when the second starts; both are meant to.
    { coproc SERVER { exec taskset -c 1 "$binary" 0 2>/dev/null; }; } 2>/dev/null
    read -r line <&"${SERVER[0]}"
    ports+=("${line#listening }")
    pids+=("$SERVER_PID")
  done
  local index
  if [[ $mode == rest ]]; then
    rest_run
    return
  fi
  for index in 0 1; do
    taskset -c 0 h2load -n 30000 -c 8 -m 32 "${headers[@]}" "http://127.0.0.1:${ports[index]}$path" >/dev/null
  done
  local before=("$(cpu_ticks "${pids[0]}")" "$(cpu_ticks "${pids[1]}")") after=() loads=()
  for index in 0 1; do
    taskset -c 0 h2load -n "$requests" -c 8 -m 32 "${headers[@]}" "http://127.0.0.1:${ports[index]}$path" \
      >"$work/load-$index" &
    loads+=($!)
  done
  for index in 0 1; do
    wait "${loads[index]}"
    after+=("$(cpu_ticks "${pids[index]}")")
    grep -q "$requests succeeded" "$work/load-$index" || { echo "bench-ab: failed calls on server $index" >&2; exit 1; }
  done
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  # Clock ticks are 10 ms: µs per call = ticks × 10,000 / calls.
  awk -v a0="${before[0]}" -v a1="${after[0]}" -v b0="${before[1]}" -v b1="${after[1]}" -v n="$requests" \
    'BEGIN { ua = (a1 - a0) * 10000 / n; ub = (b1 - b0) * 10000 / n;
             printf "A %.2f µs/call  B %.2f µs/call  B/A %.3f\n", ua, ub, ub / ua }'
}

# The REST face: both servers loaded by their own wrk at once; CPU per request from wrk's count.
rest_run() {
  for index in 0 1; do
    taskset -c 0 wrk -t1 -c64 -d2s "http://127.0.0.1:${ports[index]}/v1/echo/hello" >/dev/null
  done
  local before=("$(cpu_ticks "${pids[0]}")" "$(cpu_ticks "${pids[1]}")") after=() loads=() counts=()
  for index in 0 1; do
    taskset -c 0 wrk -t1 -c64 "-d${seconds}s" "http://127.0.0.1:${ports[index]}/v1/echo/hello" >"$work/load-$index" &
    loads+=($!)
  done
  for index in 0 1; do
    wait "${loads[index]}"
    after+=("$(cpu_ticks "${pids[index]}")")
    grep -q "Non-2xx" "$work/load-$index" && { echo "bench-ab: non-2xx answers from server $index" >&2; exit 1; }
    counts+=("$(awk '/requests in/ { print $1 }' "$work/load-$index")")
  done
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  awk -v a0="${before[0]}" -v a1="${after[0]}" -v b0="${before[1]}" -v b1="${after[1]}" -v na="${counts[0]}" \
    -v nb="${counts[1]}" \
    'BEGIN { ua = (a1 - a0) * 10000 / na; ub = (b1 - b0) * 10000 / nb;
             printf "A %.2f µs/req (%d)  B %.2f µs/req (%d)  B/A %.3f\n", ua, na, ub, nb, ub / ua }'
}

ratios=()
for ((run = 1; run <= runs; run++)); do
  result=$(one_run)
  echo "run $run: $result"
  ratios+=("${result##* }")
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ r[NR] = $1 }
  END { printf "median B/A %.3f over %d runs (below 1: B is cheaper)\n", (NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2), NR }'
