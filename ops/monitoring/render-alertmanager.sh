#!/usr/bin/env bash
# ops/monitoring/render-alertmanager.sh OUT — writes alertmanager.yml with every ${VARIABLE}
# replaced by its value from the environment; fails naming each variable that is unset or empty.
# Variables: SLACK_WEBHOOK_URL, PAGERDUTY_ROUTING_KEY, ALERT_EMAIL_TO, ALERT_EMAIL_FROM,
# SMTP_SMARTHOST, SMTP_USERNAME, SMTP_PASSWORD. The output is mode 0640 (it holds secrets).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
(($# == 1)) || { echo "usage: $0 OUT (e.g. /etc/prometheus/alertmanager.yml)" >&2; exit 2; }
out=$1
content="$(<"$here/alertmanager.yml")"
# shellcheck disable=SC2016 # the pattern matches a literal ${NAME}
mapfile -t names < <(grep -v '^[[:space:]]*#' <<<"$content" | grep -o '\${[A-Z_][A-Z0-9_]*}' | sort -u | tr -d '${}')
missing=()
for name in "${names[@]}"; do
  [[ -n "${!name:-}" ]] || missing+=("$name")
done
if ((${#missing[@]})); then
  echo "render-alertmanager.sh: set ${missing[*]} (see the header of ops/monitoring/alertmanager.yml)" >&2
  exit 1
fi
for name in "${names[@]}"; do
  value="${!name}"
  [[ "$value" != *'"'* && "$value" != *$'\n'* ]] || { echo "render-alertmanager.sh: $name must not contain quotes or newlines" >&2; exit 1; }
  content="${content//"\${$name}"/$value}"
done
umask 027
printf '%s\n' "$content" >"$out"
echo "wrote $out" >&2
