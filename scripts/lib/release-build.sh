# scripts/lib/release-build.sh — sourced by the scripts that build servers in release.
#
#   release_build [swift build arguments...]
# runs `swift build -c release` with the flags every release build of this project uses, so the
# benchmarks measure what an operator would run and `.build/release` is never rebuilt because two
# scripts disagreed about flags:
#   -cross-module-optimization  lets every module, the dependencies included, offer its function
#     bodies to the modules that use it. SwiftProtobuf's and NIO's generic code is then specialised
#     in ours instead of running through witness tables: 3.5-5 % less server CPU per unary call
#     (docs/benchmarks.md). A flag for all modules, so it is given here and not in Package.swift,
#     whose settings reach only this package's own targets (there it changed nothing).

release_build() {
  swift build -c release -Xswiftc -cross-module-optimization "$@"
}
