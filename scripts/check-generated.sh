#!/usr/bin/env bash
# scripts/check-generated.sh — fail if the checked-in generated code is stale.
#
# Runs scripts/regenerate.sh, then looks for drift under Sources/, Tests/ and in the
# generated docs (docs/openapi.json, docs/api.md):
#   strict mode (CI=true, or --strict):
#     `git diff --exit-code` over those must be clean and there must be
#     no untracked files under Sources/*/Generated or Tests.
#   local mode (default outside CI):
#     only changes made BY regenerate.sh count, so uncommitted hand edits in
#     your working tree are not reported as drift. (Files are fingerprinted
#     before and after regeneration.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Where regenerate.sh writes.
generated=(Sources Tests docs/openapi.json docs/api.md)

strict=0
if [[ "${CI:-}" == true || "${1:-}" == --strict ]]; then
  strict=1
fi

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "check-generated: not a git work tree" >&2
  exit 1
fi

# Print "<sha256|DELETED>  <path>" for every modified/deleted/untracked
# (non-ignored) file among the generated paths, sorted.
fingerprint() {
  local -a paths existing=()
  local p
  mapfile -d '' -t paths < <(git ls-files -z --modified --deleted --others --exclude-standard -- "${generated[@]}")
  {
    for p in "${paths[@]}"; do
      if [[ -f "$p" ]]; then existing+=("$p"); else printf 'DELETED  %s\n' "$p"; fi
    done
    if ((${#existing[@]})); then
      printf '%s\0' "${existing[@]}" | xargs -0 sha256sum --
    fi
  } | LC_ALL=C sort -u
}
paths_of() { sed 's/^[^ ]*  //' | LC_ALL=C sort -u; }

before=""
if ((!strict)); then
  before="$(fingerprint)"
fi

scripts/regenerate.sh

drift=()
if ((strict)); then
  mapfile -t tracked < <(git diff --name-only -- "${generated[@]}")
  mapfile -t untracked < <(git ls-files --others --exclude-standard -- 'Sources/*/Generated' Tests docs/openapi.json docs/api.md)
  drift=("${tracked[@]}" "${untracked[@]}")
else
  after="$(fingerprint)"
  # New or changed entries after regeneration...
  mapfile -t drift < <(LC_ALL=C comm -13 <(printf '%s\n' "$before") <(printf '%s\n' "$after") | paths_of | sed '/^$/d')
  # ...and files that were dirty before but regeneration reset them to the
  # committed state (they vanish from the list).
  mapfile -t reverted < <(LC_ALL=C comm -23 <(printf '%s\n' "$before" | paths_of) <(printf '%s\n' "$after" | paths_of) | sed '/^$/d')
  drift+=("${reverted[@]}")
fi

if ((${#drift[@]})); then
  echo "check-generated: FAIL — generated code is out of date. Drifted files:" >&2
  printf '%s\n' "${drift[@]}" | sort -u | sed 's/^/  /' >&2
  echo "Run scripts/regenerate.sh and commit the result." >&2
  exit 1
fi
# The benchmark package's grpc-swift stubs come from plugins that take minutes to build, so they
# are not regenerated here: Benchmarks/regenerate.sh records the SHA-256 of its input and of its
# outputs, and a changed echo.proto or a hand-edited stub fails until it is rerun.
if ! (cd Benchmarks && sha256sum --quiet --strict -c generated.sha256); then
  echo "check-generated: FAIL — Benchmarks' grpc-swift stubs do not match the fixture's echo.proto" >&2
  echo "(or were edited by hand). Run Benchmarks/regenerate.sh and commit the result." >&2
  exit 1
fi
echo "check-generated: ok (mode: $( ((strict)) && echo strict || echo local))"
