internal import ArgumentParser
internal import CJemalloc
internal import RPCServer
internal import Storage

/// The version of this build.
let metaChatVersion = "0.1.0"

/// `metachat version`: prints the version and the linked C libraries.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version and the versions of linked libraries."
    )

    func run() async throws {
        print("metachat \(metaChatVersion)")
        print("nghttp2 \(NGHTTP2Library.version)")
        print("libpq \(LinkedLibraries.libpq)")
        print("hiredis \(LinkedLibraries.hiredis)")
        print(LinkedLibraries.openSSL)
        print("jemalloc \(cjemalloc_version().map { String(cString: $0) } ?? "unknown")")
    }
}
