# scripts/lib/debian-packages.sh — sourced by scripts that need Debian packages beyond setup.sh's.
#
#   ensure_debian_packages <log-prefix> <package>...
# installs (apt-get, via sudo when not root) those of the packages dpkg does not report installed.

ensure_debian_packages() {
  local prefix=$1
  shift
  local missing=() pkg
  for pkg in "$@"; do
    if [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)" != ii* ]]; then
      missing+=("$pkg")
    fi
  done
  ((${#missing[@]})) || return 0
  printf '%s: installing Debian packages: %s\n' "$prefix" "${missing[*]}" >&2
  local sudo_cmd=()
  [[ "$(id -u)" -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}
