#!/usr/bin/env bash
# scripts/check-proto-python.sh — prove that every .proto under proto/ compiles
# with grpcio-tools and that each generated Python module imports cleanly.
# Generated code goes to a temporary directory that is removed on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY=.venv/bin/python
if [[ ! -x "$PY" ]]; then
  echo "check-proto-python: $PY missing; run scripts/setup.sh" >&2
  exit 1
fi

mapfile -d '' -t PROTOS < <(cd proto 2>/dev/null && find . -name '*.proto' -type f -print0 | sort -z)
if ((${#PROTOS[@]} == 0)); then
  echo "check-proto-python: no .proto files under proto/" >&2
  exit 1
fi
# Strip the leading "./" so paths are relative to the -I proto root.
PROTOS=("${PROTOS[@]#./}")

OUT="$(mktemp -d "${TMPDIR:-/tmp}/metachat-proto-py.XXXXXX")"
trap 'rm -rf -- "$OUT"' EXIT

echo "check-proto-python: compiling ${#PROTOS[@]} proto file(s)"
# google/api/*.proto is part of proto/; grpc_tools.protoc adds its bundled well-known types
# (google/protobuf/*) itself.
if ! (cd proto && "../$PY" -m grpc_tools.protoc -I . \
  --python_out="$OUT" --grpc_python_out="$OUT" "${PROTOS[@]}"); then
  echo "check-proto-python: protoc failed (0 passed, ${#PROTOS[@]} failed to compile)" >&2
  exit 1
fi

"$PY" -u - "$OUT" <<'PY'
import importlib
import os
import sys
import traceback

out = sys.argv[1]
# Generated code first, so it (and not an installed copy) is what we test.
sys.path.insert(0, out)

modules = []
for root, _dirs, files in os.walk(out):
    for name in files:
        if name.endswith(("_pb2.py", "_pb2_grpc.py")):
            rel = os.path.relpath(os.path.join(root, name), out)
            modules.append(rel[: -len(".py")].replace(os.sep, "."))
modules.sort()

# A generated top-level package can share its name with an installed regular
# package (proto/grpc/health/v1 -> "grpc", which is grpcio). A regular package
# shadows our namespace directory, so graft the generated directory onto the
# installed package's __path__ instead.
for top in sorted(os.listdir(out)):
    gen_dir = os.path.join(out, top)
    if not os.path.isdir(gen_dir) or os.path.exists(os.path.join(gen_dir, "__init__.py")):
        continue
    try:
        pkg = importlib.import_module(top)
    except ImportError:
        continue
    path = getattr(pkg, "__path__", None)
    if path is not None and gen_dir not in list(path):
        path.append(gen_dir)

passed = failed = 0
for mod in modules:
    try:
        importlib.import_module(mod)
    except Exception:  # noqa: BLE001 - report every failure, keep going
        failed += 1
        print(f"FAIL {mod}", file=sys.stderr)
        traceback.print_exc()
    else:
        passed += 1
        print(f"ok   {mod}")

print(f"check-proto-python: {passed} passed, {failed} failed")
sys.exit(1 if failed or not modules else 0)
PY
