# shellcheck shell=bash
# scripts/lib/bench-run.sh — sourced by the benchmark scripts that drive a release `metachat`
# against their own PostgreSQL and Redis.
#
#   bench_prepare <name> <no-build: 0|1> [debian-package]...
# installs the Debian packages the driver needs and the project's setup when missing, builds the
# release binary unless <no-build> is 1, starts PostgreSQL and Redis from a throwaway data dir
# (scripts/lib/services.sh; stopped and deleted when the script exits), sets API_KEY_PEPPER and
# migrates. Afterwards `bench_bin` is the release binary's directory and `bench_data_dir` the
# data dir.

# shellcheck source=scripts/lib/debian-packages.sh
source scripts/lib/debian-packages.sh
# shellcheck source=scripts/lib/release-build.sh
source scripts/lib/release-build.sh
# shellcheck source=scripts/lib/services.sh
source scripts/lib/services.sh

bench_prepare() {
  local name=$1 no_build=$2
  shift 2
  (($#)) && ensure_debian_packages "$name" "$@"
  [[ -x .venv/bin/python ]] || scripts/setup.sh
  if [[ $no_build != 1 ]]; then
    printf '%s: building metachat (release)\n' "$name" >&2
    release_build --product metachat
  fi
  bench_bin="$(swift build -c release --show-bin-path)"
  mkdir -p .data
  bench_data_dir="$(mktemp -d "$PWD/.data/$name-XXXXXX")"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  services_start "$bench_data_dir" ephemeral
  API_KEY_PEPPER="$(openssl rand -hex 32)"
  export API_KEY_PEPPER
  "$bench_bin/metachat" migrate >/dev/null
}

bench_cleanup() {
  services_stop || true
  rm -rf "$bench_data_dir"
}
