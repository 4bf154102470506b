#!/usr/bin/env bash
# Regenerates every committed generated file from proto/ and the test fixtures:
#   Sources/MetaChatAPI/Generated      messages (protoc-gen-swift) + services (protoc-gen-metachat)
#   Sources/RPCServer/Generated        grpc.health.v1 and grpc.reflection messages
#   Sources/Codegen/Generated          google.api.http option types the generator reads
#   Tests/EchoFixture/Generated        the generator's test fixture, compiled and golden-tested
#   Tests/CodegenTests/Fixtures/*.pb   descriptor sets the golden tests feed the generator
#   Tests/CWireFixtures                C code from protoc-c for the wire-compatibility tests
# scripts/check-generated.sh runs this and fails when git sees a difference.
set -euo pipefail
cd "$(dirname "$0")/.."

swift build --product protoc-gen-swift >/dev/null
swift build --product protoc-gen-metachat >/dev/null
bin=$(swift build --show-bin-path)
plugins=(--plugin=protoc-gen-swift="$bin/protoc-gen-swift" --plugin=protoc-gen-metachat="$bin/protoc-gen-metachat")
wkt=/usr/include   # google/protobuf/*.proto from Debian's libprotobuf-dev

fresh() { rm -rf "$1" && mkdir -p "$1"; }

# The platform's contract.
api_protos=$(cd proto && find metachat -name '*.proto' | sort)
fresh Sources/MetaChatAPI/Generated
[ -n "$api_protos" ] || { echo "regenerate: no .proto files under proto/metachat or proto/grpc" >&2; exit 1; }
# shellcheck disable=SC2086
protoc -I proto -I "$wkt" "${plugins[@]}" \
  --swift_out=Sources/MetaChatAPI/Generated \
  --swift_opt=Visibility=Public,UseAccessLevelOnImports=true,FileNaming=PathToUnderscores \
  --metachat_out=Sources/MetaChatAPI/Generated \
  $api_protos

# The standard services every server carries (health, reflection): messages only, the
# schema-agnostic RPCServer registers them by hand.
fresh Sources/RPCServer/Generated
# shellcheck disable=SC2046
protoc -I proto -I "$wkt" "${plugins[@]}" \
  --swift_out=Sources/RPCServer/Generated \
  --swift_opt=Visibility=Public,UseAccessLevelOnImports=true,FileNaming=PathToUnderscores \
  $(cd proto && find grpc -name '*.proto' | sort)

# The option types the generator itself reads.
fresh Sources/Codegen/Generated
protoc -I proto -I "$wkt" "${plugins[@]}" \
  --swift_out=Sources/Codegen/Generated \
  --swift_opt=Visibility=Package,UseAccessLevelOnImports=true,FileNaming=DropPath \
  google/api/http.proto google/api/annotations.proto

# The generator's fixture: descriptor set for golden tests, and compiled output.
fixtures=Tests/CodegenTests/Fixtures
protoc -I proto -I "$fixtures" -I "$wkt" --include_imports --include_source_info \
  --descriptor_set_out="$fixtures/echo.pb" echo.proto
fresh Tests/EchoFixture/Generated
protoc -I proto -I "$fixtures" -I "$wkt" "${plugins[@]}" \
  --swift_out=Tests/EchoFixture/Generated \
  --swift_opt=Visibility=Public,UseAccessLevelOnImports=true \
  --metachat_out=Tests/EchoFixture/Generated \
  echo.proto

# C encoders/decoders for the wire-compatibility tests (every file the contract needs).
if [ -x scripts/regenerate-wire-fixtures.sh ]; then
  scripts/regenerate-wire-fixtures.sh
fi

echo "regenerated: $(git status --porcelain -- Sources Tests | wc -l) paths differ from HEAD"
