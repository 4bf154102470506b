import Storage
import Testing

/// A probe that answers a fixed result without touching the network.
struct StubProbe: DependencyProbe {
    /// What every call to ``probe()`` returns.
    var result: DependencyProbeResult

    /// A service that answers.
    ///
    /// - Parameters:
    ///   - latency: The reported latency in milliseconds.
    ///   - message: The reported message.
    static func up(latency: Double = 1.5, message: String = "accepting connections") -> StubProbe {
        StubProbe(result: DependencyProbeResult(reachable: true, latencyMilliseconds: latency, message: message))
    }

    /// A service that does not answer.
    ///
    /// - Parameters:
    ///   - latency: The reported latency in milliseconds.
    ///   - message: Why not.
    static func down(latency: Double = 2000, message: String = "no response") -> StubProbe {
        StubProbe(result: DependencyProbeResult(reachable: false, latencyMilliseconds: latency, message: message))
    }

    func probe() async -> DependencyProbeResult {
        self.result
    }
}

/// A probe that fails the running test when called, for methods that must not touch a dependency.
struct ForbiddenProbe: DependencyProbe {
    /// Names the dependency in the recorded issue.
    var name: String

    func probe() async -> DependencyProbeResult {
        Issue.record("\(self.name) was probed")
        return DependencyProbeResult(reachable: false, latencyMilliseconds: 0, message: "forbidden")
    }
}
