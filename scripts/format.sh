#!/usr/bin/env bash
# Formats every hand-written Swift file in place with swift-format and the repo's .swift-format.
# Generated code (*/Generated, Golden files, C wire fixtures) is left alone. Pass paths to format
# only those.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if (($#)); then
  files=("$@")
else
  mapfile -d '' -t files < <(
    find Sources Tests \
      \( -path 'Sources/*/Generated' -o -path 'Tests/*/Generated' -o -path 'Tests/*/Golden' -o -path 'Tests/CWireFixtures' \) -prune \
      -o -type f -name '*.swift' -print0 | sort -z
  )
  files+=(Package.swift)
fi
swift format format --in-place "${files[@]}"
