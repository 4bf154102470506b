/// The outcome of checking one backing service.
package struct DependencyProbeResult: Sendable, Hashable {
    /// Whether the service answered.
    package var reachable: Bool
    /// How long the check took, in milliseconds.
    package var latencyMilliseconds: Double
    /// What was seen, e.g. `accepting connections` or why not. Never contains credentials.
    package var message: String

    /// Creates a result.
    ///
    /// - Parameters:
    ///   - reachable: Whether the service answered.
    ///   - latencyMilliseconds: The check's duration.
    ///   - message: What was seen.
    package init(reachable: Bool, latencyMilliseconds: Double, message: String) {
        self.reachable = reachable
        self.latencyMilliseconds = latencyMilliseconds
        self.message = message
    }
}

/// Something that can check whether a backing service answers.
package protocol DependencyProbe: Sendable {
    /// Checks the service once.
    func probe() async -> DependencyProbeResult
}

extension Duration {
    /// The duration in milliseconds as a `Double`.
    var milliseconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
