#!/usr/bin/env bash
# scripts/bench-rest.sh — REST benchmark: HTTP/1.1 JSON GET on our echo-server against a
# Hummingbird 2 server answering the same document:
#   metachat     our server: $METACHAT_REST_SERVER, default
#                `<release bin>/echo-server {port}` (swift build -c release --product echo-server)
#   hummingbird  Benchmarks/ package: Hummingbird 2.28.1, one event loop thread, Codable struct
#                encoded with JSONEncoder per request (release)
# Both must answer `GET /v1/echo/{text}` with 200, application/json,
# {"text":"<text>","request":{"text":"<text>"}}; the driver checks that before and after measuring and
# stops with the server's answer when it does not (our echo-server serves the route through the
# REST bridge's route table).
#
# Usage: scripts/bench-rest.sh [ROUNDS]        (default 3; also ROUNDS=N in the environment)
#   METACHAT_REST_SERVER='CMD ... {port} ...'  command of our side; `{port}` becomes the port the
#       driver picks (appended when absent). When it is set, the script does not build echo-server.
#   BENCH_REST_NO_BUILD=1 skips the builds and uses the binaries already built.
#   Extra options go to the driver after `--`, e.g.
#   scripts/bench-rest.sh 1 -- --duration 5 --connections 128
#   (Benchmarks/bench_rest.py --help lists them.)
#
# For each round the servers run one after another (order rotates each round): server pinned to
# CPU 1 (`taskset -c 1`), `wrk -t1 -c64 -d10s --latency` (keep-alive) pinned to CPU 0 after a 3 s
# warm-up. Recorded: req/s, p50/p99 latency (wrk's histogram, via Benchmarks/wrk_report.lua),
# server CPU (utime+stime from /proc/PID/stat) per request, peak RSS (VmHWM). Each run is checked:
# no wrk errors, no non-2xx/3xx answer, bytes read equal to that many correct responses. The result
# is a table of medians with ratios against hummingbird, printed plain and as markdown, and the
# verdict on the target (req/s >= 1.0x hummingbird, p99 no worse); logs and raw results go to
# Benchmarks/.build/bench-rest/runs/<time>/.
#
# The machine has 2 cores: anything else running (a build) lands on one of them. The table's
# "other load" columns say how busy each core was with other processes during the measured runs;
# trust only runs where they are near 0. The "wrk CPU %" column near 100 means wrk, not the
# server, was the limit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds=${ROUNDS:-3}
if [[ $# -gt 0 && $1 != -- ]]; then
  rounds=$1
  shift
fi
[[ ${1:-} == -- ]] && shift

log() { printf 'bench-rest: %s\n' "$*" >&2; }

# Tools: wrk (Debian package wrk), taskset (util-linux), python3 (standard library only).
# shellcheck source=lib/debian-packages.sh
source scripts/lib/debian-packages.sh
# shellcheck source=lib/release-build.sh
source scripts/lib/release-build.sh
ensure_debian_packages bench-rest wrk
for tool in wrk taskset python3; do
  command -v "$tool" >/dev/null || { log "missing $tool"; exit 1; }
done

hummingbird="$(swift build -c release --package-path Benchmarks --show-bin-path)/hummingbird-json-server"
if [[ -n ${METACHAT_REST_SERVER:-} ]]; then
  ours_command=$METACHAT_REST_SERVER
  build_ours=0
else
  ours="$(swift build -c release --show-bin-path)/echo-server"
  ours_command="$ours {port}"
  build_ours=1
fi
if [[ ${BENCH_REST_NO_BUILD:-0} != 1 ]]; then
  if ((build_ours)); then
    log "building echo-server (release)"
    release_build --product echo-server
  fi
  log "building hummingbird-json-server (release, Benchmarks/.build)"
  release_build --package-path Benchmarks --product hummingbird-json-server
fi
[[ -x $hummingbird ]] || { log "missing $hummingbird (run without BENCH_REST_NO_BUILD)"; exit 1; }
if ((build_ours)); then
  [[ -x $ours ]] || { log "missing $ours (run without BENCH_REST_NO_BUILD)"; exit 1; }
  log "ours: $ours ($(date -r "$ours" '+%F %T'))"
else
  log "ours: METACHAT_REST_SERVER=$ours_command"
fi
log "hummingbird: $hummingbird"

exec python3 Benchmarks/bench_rest.py \
  --rounds "$rounds" \
  --reference hummingbird \
  --server "metachat=$ours_command" \
  --server "hummingbird=$hummingbird {port}" \
  "$@"
