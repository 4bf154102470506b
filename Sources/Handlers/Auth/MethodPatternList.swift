package import RPCServer

/// A list of method paths, each exact (`/grpc.health.v1.Health/Check`) or ending in `*`
/// (`/grpc.health.v1.Health/*`, `/grpc.reflection.*`), matched against a call's full path.
package struct MethodPatternList: Sendable, Equatable {
    /// The patterns.
    package let patterns: [String]
    private let compiled: [Pattern]

    /// A pattern as bytes, matched against `/service/method` without building that string.
    private struct Pattern: Sendable, Equatable {
        var bytes: [UInt8]
        var isPrefix: Bool
    }

    /// Creates a list.
    ///
    /// - Parameter patterns: Exact paths or prefixes ending in `*`.
    package init(_ patterns: [String]) {
        self.patterns = patterns
        self.compiled = patterns.map { pattern in
            pattern.hasSuffix("*")
                ? Pattern(bytes: Array(pattern.utf8.dropLast()), isPrefix: true)
                : Pattern(bytes: Array(pattern.utf8), isPrefix: false)
        }
    }

    /// Methods anyone may call without credentials: system health, gRPC health, reflection.
    package static let publicMethods = MethodPatternList([
        "/metachat.v1.SystemService/*", "/grpc.health.v1.Health/*", "/grpc.reflection.*",
    ])

    /// Whether `method` matches one of the patterns.
    ///
    /// - Parameter method: The called method.
    package func contains(_ method: MethodDescriptor) -> Bool {
        self.compiled.contains { Self.matches($0, method) }
    }

    /// Whether `/service/method` equals the pattern or, for a prefix pattern, starts with it.
    private static func matches(_ pattern: Pattern, _ method: MethodDescriptor) -> Bool {
        let length = 2 + method.service.utf8.count + method.method.utf8.count
        guard pattern.isPrefix ? pattern.bytes.count <= length : pattern.bytes.count == length else { return false }
        var rest = pattern.bytes[...]
        return Self.consume(Self.slash, from: &rest) && Self.consume(method.service.utf8, from: &rest)
            && Self.consume(Self.slash, from: &rest) && Self.consume(method.method.utf8, from: &rest)
    }

    /// Compares the start of `rest` with `part` (as far as either goes) and drops it from `rest`.
    private static func consume(_ part: String.UTF8View, from rest: inout ArraySlice<UInt8>) -> Bool {
        let compared = min(rest.count, part.count)
        guard rest.prefix(compared).elementsEqual(part.prefix(compared)) else { return false }
        rest = rest.dropFirst(compared)
        return true
    }

    private static let slash = "/".utf8
}
