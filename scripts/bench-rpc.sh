#!/usr/bin/env bash
# scripts/bench-rpc.sh — RPC benchmark: our echo-server against two reference servers of the
# same Echo service (Tests/CodegenTests/Fixtures/echo.proto):
#   metachat     release_build --product echo-server (scripts/lib/release-build.sh; this package, nghttp2)
#   grpc-swift   Benchmarks/ package: grpc-swift-2 + NIO Posix HTTP/2 transport (release)
#   grpc-c++     Benchmarks/cpp-echo-server: Debian's gRPC C++ 1.51, async CQ API, one thread
#
# Usage: scripts/bench-rpc.sh [ROUNDS]         (default 3; also ROUNDS=N in the environment)
#   BENCH_RPC_NO_BUILD=1 skips the three builds and uses the binaries already built.
#   Extra options go to the driver after `--`, e.g.
#   scripts/bench-rpc.sh 1 -- --requests 50000 --stream-requests 500
#   (Benchmarks/bench_rpc.py --help lists them.) With `-- --side-by-side`, the rounds are followed
#   by as many unary runs where metachat and grpc-c++ serve at the same time (both on CPU 1, one
#   h2load each on CPU 0), so both see the same machine speed; their CPU per call and its ratio
#   are printed, with the median.
#
# For each round the three servers run one after another (order rotates each round): server
# pinned to CPU 1 (`taskset -c 1`), h2load pinned to CPU 0:
#   unary   h2load -n 200000 -c 8 -m 32 on Get, 16-byte text
#   stream  h2load -n 2000 -c 8 -m 8 on Expand, repeat=1000 (2,000,000 messages)
# Recorded: req/s (h2load), messages/s, server CPU (utime+stime from /proc/PID/stat) per
# request / per message, peak RSS (VmHWM). Each run is checked: grpcio Get + Expand before it,
# h2load all succeeded / 0 failed / 0 errored / all 2xx / exact DATA byte total. The result is a
# table of medians with ratios against grpc-c++, printed plain and as markdown; logs and raw
# results go to Benchmarks/.build/bench-rpc/runs/<time>/.
#
# Own load client hook: set METACHAT_BENCH_CLIENT to a command and it is also run against each
# server (pinned to CPU 0) as
#   $METACHAT_BENCH_CLIENT --host 127.0.0.1 --port P --connections 8 --streams 32 \
#       --requests 200000 --payload 16 --mode unary
#   $METACHAT_BENCH_CLIENT --host 127.0.0.1 --port P --connections 8 --streams 8 \
#       --requests 2000 --payload 16 --mode stream --repeat 1000
# exiting 0 when every call got grpc-status 0 and printing as its last stdout line a JSON object
#   {"requests": N_ok, "failed": N_failed, "seconds": S, "messages": N_messages}
# (see the docstring of Benchmarks/bench_rpc.py for the details).
#
# The machine has 2 cores: anything else running (a build) lands on one of them. The table's
# "other load on server core %" column says how busy CPU 1 was with other processes during the
# measured runs; trust only runs where it is near 0.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds=${ROUNDS:-3}
if [[ $# -gt 0 && $1 != -- ]]; then
  rounds=$1
  shift
fi
[[ ${1:-} == -- ]] && shift

log() { printf 'bench-rpc: %s\n' "$*" >&2; }

# Tools: h2load (nghttp2-client), gRPC C++ (libgrpc++-dev, protobuf-compiler-grpc), protoc,
# pkg-config, make, taskset (util-linux).
# shellcheck source=lib/debian-packages.sh
source scripts/lib/debian-packages.sh
# shellcheck source=lib/release-build.sh
source scripts/lib/release-build.sh
ensure_debian_packages bench-rpc nghttp2-client libgrpc++-dev protobuf-compiler-grpc protobuf-compiler \
  libprotobuf-dev pkg-config make
python=.venv/bin/python
if [[ ! -x $python ]] || ! $python -c 'import grpc, grpc_tools' 2>/dev/null; then
  log "need .venv with grpcio and grpcio-tools: run scripts/setup.sh"
  exit 1
fi

ours="$(swift build -c release --show-bin-path)/echo-server"
grpc_swift="$(swift build -c release --package-path Benchmarks --show-bin-path)/grpc-swift-echo-server"
cpp=Benchmarks/cpp-echo-server/build/echo-server-cpp
if [[ ${BENCH_RPC_NO_BUILD:-0} != 1 ]]; then
  log "building echo-server (release)"
  release_build --product echo-server
  log "building grpc-swift-echo-server (release, Benchmarks/.build)"
  release_build --package-path Benchmarks --product grpc-swift-echo-server
  log "building echo-server-cpp (Benchmarks/cpp-echo-server/build)"
  make -s -C Benchmarks/cpp-echo-server -j2
fi
for binary in "$ours" "$grpc_swift" "$cpp"; do
  [[ -x $binary ]] || { log "missing $binary (run without BENCH_RPC_NO_BUILD)"; exit 1; }
done
log "binaries: $ours ($(date -r "$ours" '+%F %T')), $grpc_swift, $cpp"

exec "$python" Benchmarks/bench_rpc.py \
  --rounds "$rounds" \
  --reference grpc-c++ \
  --server "metachat=$ours" \
  --server "grpc-swift=$grpc_swift" \
  --server "grpc-c++=$cpp" \
  "$@"
