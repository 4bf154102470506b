#!/usr/bin/env bash
# scripts/fuzz.sh — builds and runs the libFuzzer targets in Tests/Fuzz (docs/fuzzing.md).
#
#   scripts/fuzz.sh [--time SECONDS] [target...]   fuzz each target in turn (default 60 s each)
#   scripts/fuzz.sh --runs N [target...]           fuzz each target for N executions instead
#   scripts/fuzz.sh --replay [target...]           run every committed corpus input once; fails
#                                                  on any crash, hang, leak or broken invariant
#   scripts/fuzz.sh --minimize [target...]         merge what fuzzing found (.build-fuzz/corpus)
#                                                  into the committed corpus, minimised
#   scripts/fuzz.sh --build [target...]            build only
#
# Targets: grpc-framing http1 http2 rest-binding path-query document-readers chat-streams
# text-values meta-webhooks widget-frames multipart (default: all, one at a time).
# Options: --release / --debug pick the build (default: release for fuzzing, debug for
# --replay, which builds much faster and runs the few hundred corpus inputs in seconds).
# Arguments after `--` go to libFuzzer, e.g. `-- -detect_leaks=0` (LeakSanitizer then checks
# only at the end of the process instead of after every input that adds coverage).
#
# The fuzz build is separate from the normal one: METACHAT_FUZZ=1 declares the targets in
# Package.swift, and everything is built into .build-fuzz with
#   swift build --scratch-path .build-fuzz -c <config> --sanitize=fuzzer --sanitize=address \
#     -Xswiftc -sanitize=fuzzer,address
# (libFuzzer and AddressSanitizer with LeakSanitizer, all from the Swift toolchain's own
# compiler-rt). A fuzzing run writes new inputs to .build-fuzz/corpus/<target> (the committed
# corpus Tests/Fuzz/Corpus/<target> is read, never written) and crashes, hangs and leaks to
# .build-fuzz/findings/<target>/ (SwiftPM owns .build-fuzz/artifacts); it ends with a summary:
# executions, exec/s, coverage.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ALL_TARGETS=(grpc-framing http1 http2 rest-binding path-query document-readers chat-streams text-values meta-webhooks widget-frames multipart)
SCRATCH=.build-fuzz

mode=fuzz
seconds=60
runs=""
config=""
targets=()
extra=()
while (($#)); do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --replay) mode=replay; shift ;;
    --minimize) mode=minimize; shift ;;
    --build) mode=build; shift ;;
    --release) config=release; shift ;;
    --debug) config=debug; shift ;;
    --)
      shift
      extra=("$@")
      break
      ;;
    -h | --help) sed -n '2,27p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *)
      ok=0
      for t in "${ALL_TARGETS[@]}"; do [[ "$t" == "$1" ]] && ok=1; done
      if ((!ok)); then
        echo "fuzz.sh: unknown target '$1' (targets: ${ALL_TARGETS[*]})" >&2
        exit 2
      fi
      targets+=("$1")
      shift
      ;;
  esac
done
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")
if [[ -z "$config" ]]; then
  if [[ "$mode" == replay ]]; then config=debug; else config=release; fi
fi

export METACHAT_FUZZ=1
# LeakSanitizer runs at the end of every process and whenever an input leaves more
# allocations than it freed. ASan's quarantine of freed memory (which catches use after free)
# is 64 MiB instead of 256: with the default, the process's RSS grew by ~8 KB per REST input
# until libFuzzer's 4 GiB limit stopped fuzz-rest-binding (quarantine off: flat), at a third of
# the speed (docs/fuzzing.md).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1:quarantine_size_mb=64}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/Tests/Fuzz/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
# Swift's own crash backtracer reads the crashed thread's stack from a helper thread, which
# AddressSanitizer reports as a stack-buffer-underflow (and then waits); libFuzzer's deadly-signal
# handler prints the stack instead.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=no}"

# `--sanitize` instruments the C targets (NIO's llhttp among them) and links the runtimes. The
# Swift driver keeps only the last `-sanitize=` it is given, so the two separate flags SwiftPM
# passes leave Swift code without coverage counters: `-sanitize=fuzzer,address` once more, last,
# restores both for every Swift module and for the link.
BUILD_FLAGS=(--scratch-path "$SCRATCH" --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address)

build() {
  local t
  for t in "$@"; do
    echo "fuzz.sh: building fuzz-$t ($config, fuzzer+address)"
    swift build "${BUILD_FLAGS[@]}" -c "$config" --product "fuzz-$t"
  done
}

bin_path() {
  swift build "${BUILD_FLAGS[@]}" -c "$config" --show-bin-path
}

# Arguments every run shares: the target's dictionary, per-input limits.
common_args() {
  local t="$1"
  local -a args=(-timeout=20 -rss_limit_mb=4096 -max_len=16384 ${extra[@]+"${extra[@]}"})
  if [[ -f "Tests/Fuzz/Dictionaries/$t.dict" ]]; then
    args+=("-dict=Tests/Fuzz/Dictionaries/$t.dict")
  fi
  printf '%s\n' "${args[@]}"
}

summarise() {
  local t="$1" log="$2"
  local execs rate cov
  execs="$(grep -oE 'stat::number_of_executed_units: +[0-9]+' "$log" | awk '{print $2}' | tail -1)"
  rate="$(grep -oE 'stat::average_exec_per_sec: +[0-9]+' "$log" | awk '{print $2}' | tail -1)"
  cov="$(grep -oE '(cov|ft|corp): [0-9]+(/[0-9]+[a-zA-Z]*)?' "$log" | tail -3 | paste -sd' ' -)"
  printf '%-14s executions %-10s exec/s %-6s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$cov"
}

build "${targets[@]}"
[[ "$mode" == build ]] && exit 0
bin="$(bin_path)"
mkdir -p "$SCRATCH/logs"

status=0
summaries=()
for t in "${targets[@]}"; do
  corpus="Tests/Fuzz/Corpus/$t"
  work="$SCRATCH/corpus/$t"
  findings="$SCRATCH/findings/$t/"
  log="$SCRATCH/logs/$t-$mode.log"
  mkdir -p "$corpus" "$work" "$findings"
  mapfile -t args < <(common_args "$t")
  case "$mode" in
    replay)
      count="$(find "$corpus" -type f | wc -l)"
      echo "fuzz.sh: replaying $count input(s) of $t"
      start="$(date +%s)"
      if "$bin/fuzz-$t" "${args[@]}" -runs=0 -artifact_prefix="$findings" "$corpus" >"$log" 2>&1; then
        echo "fuzz.sh: $t: $count input(s) ok in $(($(date +%s) - start)) s"
      else
        tail -60 "$log"
        echo "fuzz.sh: $t: FAILED (log: $log)" >&2
        status=1
      fi
      ;;
    minimize)
      # Keeps a small set of inputs that covers the edges (set-cover merge, hit counts ignored, so the
      # corpus stays at a few hundred files); the hand-made seeds and the inputs of fixed
      # findings (seed-*, regression-*) are kept whatever they cover.
      merged="$SCRATCH/merged/$t"
      kept="$SCRATCH/kept/$t"
      rm -rf "$merged" "$kept" && mkdir -p "$merged" "$kept"
      find "$corpus" -maxdepth 1 -type f \( -name 'seed-*' -o -name 'regression-*' \) -exec cp {} "$kept"/ \;
      "$bin/fuzz-$t" "${args[@]}" -set_cover_merge=1 -use_counters=0 -artifact_prefix="$findings" \
        "$merged" "$kept" "$corpus" "$work" >"$log" 2>&1 || {
        tail -40 "$log"
        echo "fuzz.sh: $t: merge FAILED (log: $log)" >&2
        status=1
        continue
      }
      find "$corpus" -type f -delete
      cp "$kept"/* "$corpus"/ 2>/dev/null || true
      # libFuzzer names merged files by their SHA-1: skip copies of the kept ones.
      kept_sums=" $(find "$kept" -type f -exec sha1sum {} + | awk '{print $1}' | tr '\n' ' ')"
      for file in "$merged"/*; do
        if [[ -f "$file" && "$kept_sums" != *" $(basename "$file") "* ]]; then
          cp "$file" "$corpus"/
        fi
      done
      echo "fuzz.sh: $t: corpus now $(find "$corpus" -type f | wc -l) input(s)"
      ;;
    fuzz)
      limit=(-max_total_time="$seconds")
      [[ -n "$runs" ]] && limit=(-runs="$runs")
      if [[ -n "$runs" ]]; then what="$runs runs"; else what="$seconds s"; fi
      echo "fuzz.sh: fuzzing $t ($what); log: $log"
      if ! "$bin/fuzz-$t" "${args[@]}" "${limit[@]}" -print_final_stats=1 -artifact_prefix="$findings" \
        "$work" "$corpus" >"$log" 2>&1; then
        tail -60 "$log"
        echo "fuzz.sh: $t: FOUND A CRASH, HANG OR LEAK (input: $findings, log: $log)" >&2
        status=1
      fi
      summaries+=("$(summarise "$t" "$log")")
      ;;
  esac
done

if ((${#summaries[@]})); then
  echo
  printf '%s\n' "${summaries[@]}"
fi
exit "$status"
