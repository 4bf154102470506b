#!/usr/bin/env bash
# Regenerates Tests/CWireFixtures/generated: protoc-c (protobuf-c) encoders and decoders for
# every proto/metachat/v1 file plus every file those import, directly or not (google/api
# options, google/protobuf/descriptor.proto, the well-known types). The CWireFixtures target
# compiles them so the wire-compatibility tests in Tests/MetaChatAPITests can check that
# protobuf-c and swift-protobuf agree on the bytes. Every generated file starts with
# protoc-c's own "DO NOT EDIT" header. scripts/regenerate.sh calls this script.
set -euo pipefail
cd "$(dirname "$0")/.."

wkt=/usr/include   # google/protobuf/*.proto from Debian's libprotobuf-dev
out=Tests/CWireFixtures/generated

command -v protoc >/dev/null || { echo "regenerate-wire-fixtures: protoc not found" >&2; exit 1; }
command -v protoc-c >/dev/null || { echo "regenerate-wire-fixtures: protoc-c not found (apt install protobuf-c-compiler)" >&2; exit 1; }

roots=$(cd proto && find metachat/v1 -name '*.proto' | LC_ALL=C sort)
[ -n "$roots" ] || { echo "regenerate-wire-fixtures: no .proto files under proto/metachat/v1" >&2; exit 1; }

# Let protoc resolve the import closure: a descriptor set with --include_imports lists every
# file once; its file-level `name:` lines (two-space indent in text format) are the paths.
# shellcheck disable=SC2086
files=$(protoc -I proto -I "$wkt" --include_imports --descriptor_set_out=/dev/stdout $roots \
  | protoc -I "$wkt" --decode=google.protobuf.FileDescriptorSet google/protobuf/descriptor.proto \
  | sed -n 's/^  name: "\(.*\)"$/\1/p' | LC_ALL=C sort)
[ -n "$files" ] || { echo "regenerate-wire-fixtures: could not resolve the import closure" >&2; exit 1; }

rm -rf "$out" && mkdir -p "$out"
# shellcheck disable=SC2086
protoc-c -I proto -I "$wkt" --c_out="$out" $files
