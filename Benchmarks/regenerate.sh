#!/usr/bin/env bash
# Regenerates Sources/GRPCSwiftEchoServer/Generated (commit the result) from the same echo.proto
# the main package's fixture uses (Tests/CodegenTests/Fixtures/echo.proto):
#   echo.pb.swift    messages, by swift-protobuf 1.39.0's protoc-gen-swift
#   echo.grpc.swift  service glue, by grpc-swift-protobuf 2.4.1's protoc-gen-grpc-swift-2
# Both plugins are built in release inside this package (Benchmarks/.build), so the first run
# takes several minutes; later runs reuse the build. Needs protoc (Debian's protobuf-compiler).
# Also records the SHA-256 of the input and of both outputs in generated.sha256 (commit it too):
# scripts/check-generated.sh, which CI runs, checks them without building the plugins, so a
# changed echo.proto or a hand-edited stub fails CI until this script is rerun.
set -euo pipefail
cd "$(dirname "$0")"

swift build -c release --product protoc-gen-swift >/dev/null
swift build -c release --product protoc-gen-grpc-swift-2 >/dev/null
bin=$(swift build -c release --show-bin-path)

root=..
out=Sources/GRPCSwiftEchoServer/Generated
rm -rf "$out" && mkdir -p "$out"
# echo.proto imports google/api/annotations.proto only for options: nothing is generated for it,
# but protoc must find it (proto/ in the main package).
protoc -I "$root/proto" -I "$root/Tests/CodegenTests/Fixtures" -I /usr/include \
  --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
  --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
  --swift_out="$out" --swift_opt=Visibility=Internal \
  --grpc-swift-2_out="$out" --grpc-swift-2_opt=Visibility=Internal,Server=true,Client=false \
  echo.proto
sha256sum "$root/Tests/CodegenTests/Fixtures/echo.proto" "$out/echo.grpc.swift" "$out/echo.pb.swift" >generated.sha256
ls "$out"
