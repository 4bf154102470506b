#!/usr/bin/env bash
# scripts/eval-retrieval.sh — retrieval quality of the knowledge base (recall@5 and MRR of text,
# vector and hybrid search) on the PostgreSQL 15 documentation's SQL command and application
# pages, with the questions in Benchmarks/retrieval-eval/questions.tsv; also the ingestion rate
# with the offline embedder beside the embedder's own rate. The method is in
# Benchmarks/eval_retrieval.py; the results are in docs/knowledge-base.md ("Retrieval quality").
#
# Usage: scripts/eval-retrieval.sh [-- DRIVER OPTIONS]
#   EVAL_RETRIEVAL_NO_BUILD=1 uses the debug binary already built.
#   Options after `--` go to the driver (e.g. `-- --tune`, `-- --language simple`;
#   .venv/bin/python Benchmarks/eval_retrieval.py --help).
#
# PostgreSQL and Redis (scripts/lib/services.sh) and the offline embedding model
# (scripts/lib/embedding.sh) are started from a throwaway data dir; Debian's postgresql-doc-15
# is installed when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ ${1:-} == -- ]] && shift

log() { printf 'eval-retrieval: %s\n' "$*" >&2; }

# shellcheck source=lib/debian-packages.sh
source scripts/lib/debian-packages.sh
ensure_debian_packages eval-retrieval postgresql-doc-15
docs=/usr/share/doc/postgresql-doc-15/html
[[ -d $docs ]] || {
  log "$docs is missing after installing postgresql-doc-15"
  exit 1
}
[[ -x .venv/bin/python ]] || scripts/setup.sh

if [[ ${EVAL_RETRIEVAL_NO_BUILD:-0} != 1 ]]; then
  log "building metachat (debug; the search statements run in PostgreSQL)"
  swift build --product metachat
fi
bin="$(swift build --show-bin-path)"

# shellcheck source=lib/services.sh
source scripts/lib/services.sh
# shellcheck source=lib/embedding.sh
source scripts/lib/embedding.sh
mkdir -p .data
data_dir="$(mktemp -d "$PWD/.data/eval-retrieval-XXXXXX")"
cleanup() {
  embedding_stop
  services_stop || true
  rm -rf "$data_dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
services_start "$data_dir" ephemeral
embedding_start "$data_dir/embedding"
API_KEY_PEPPER="$(openssl rand -hex 32)"
SECRETS_ENCRYPTION_KEY="$(openssl rand -hex 32)"
export API_KEY_PEPPER SECRETS_ENCRYPTION_KEY
export EMBEDDING_BASE_URL="$EMBEDDING_SERVER_URL" EMBEDDING_MODEL=all-MiniLM-L6-v2
export STORAGE_PATH="$data_dir/storage"
"$bin/metachat" migrate >/dev/null

.venv/bin/python Benchmarks/eval_retrieval.py --metachat "$bin/metachat" --data-dir "$data_dir" \
  --docs "$docs" --questions Benchmarks/retrieval-eval/questions.tsv \
  --database-url "$METACHAT_PG_SUPERUSER_URL" --embedding-url "$EMBEDDING_SERVER_URL" "$@"
