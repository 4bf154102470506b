public import RPCServer

/// A list of method paths, each exact (`/grpc.health.v1.Health/Check`) or ending in `*`
/// (`/grpc.health.v1.Health/*`, `/grpc.reflection.*`), matched against a call's full path.
public struct MethodPatternList: Sendable, Equatable {
    /// The patterns.
    public var patterns: [String]

    /// Creates a list.
    ///
    /// - Parameter patterns: Exact paths or prefixes ending in `*`.
    public init(_ patterns: [String]) {
        self.patterns = patterns
    }

    /// Methods anyone may call without credentials: system health, gRPC health, reflection.
    public static let publicMethods = MethodPatternList([
        "/metachat.v1.SystemService/*", "/grpc.health.v1.Health/*", "/grpc.reflection.*",
    ])

    /// Whether `method` matches one of the patterns.
    ///
    /// - Parameter method: The called method.
    public func contains(_ method: MethodDescriptor) -> Bool {
        let path = method.path
        return self.patterns.contains { pattern in
            if pattern.hasSuffix("*") {
                return path.hasPrefix(pattern.dropLast())
            }
            return path == pattern
        }
    }
}
