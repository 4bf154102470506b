#!/usr/bin/env bash
# ops/run-migrations.sh — applies the schema migrations (migrations/, embedded in the binary;
# an advisory lock makes concurrent runs safe, checksums refuse an edited applied file).
#
#   ops/run-migrations.sh            the compose stack: `--profile ops run --rm migrate`
#   ops/run-migrations.sh --local    `metachat migrate` on this host with DATABASE_URL
#                                    (METACHAT_BINARY, default `metachat` on PATH)
set -euo pipefail
OPS_TOOL=run-migrations.sh
# shellcheck source=ops/lib-compose.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib-compose.sh"

case "${1:-}" in
  "")
    ops_check_env
    ops_compose --profile ops run --rm migrate
    ;;
  --local)
    [[ -n "${DATABASE_URL:-}" ]] || ops_die "DATABASE_URL is not set (the application role's postgresql:// URL)"
    metachat="${METACHAT_BINARY:-metachat}"
    command -v "$metachat" >/dev/null 2>&1 || ops_die "metachat binary '$metachat' not found (set METACHAT_BINARY)"
    "$metachat" migrate || ops_die "metachat migrate failed"
    ;;
  -h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) ops_die "unknown argument '$1' (see --help)" ;;
esac
