import FoundationEssentials
import RPCServer

/// `echo-server --measure-interceptors`: what the production interceptors' immediate path costs
/// per call, timed in a loop in one process, beside the same loop with no interceptor.
///
/// The loop is the server's: a call's context copied, then each interceptor's
/// ``ServerInterceptor/interceptImmediately(context:)`` in order, by index, until one suspends.
/// The context is one HTTP/2 call's: `user-agent` and the key in `x-api-key` (from
/// `BENCH_API_KEY`), on a connection whose credential was verified once through PostgreSQL, with
/// the rate limiter's lease taken from Redis before timing. A loop spends a lease faster than
/// Redis renews it, so some calls suspend: they are finished untimed and counted
/// (``time(_:_:)``).
///
/// A loop keeps everything in cache and every branch predicted; in the server each costs about
/// three times as much (docs/benchmarks.md), so this is for comparing builds, not for the
/// share of a call.
struct InterceptorMeasurement {
    /// Calls per timed round.
    static let callsPerRound = 1_000_000
    /// Rounds per chain; the median is printed.
    static let rounds = 11

    let interceptors: [any ServerInterceptor]
    let apiKey: String

    /// Runs the rounds and prints one line per chain.
    func run() async throws {
        var metadata = Metadata()
        metadata.addString("h2load nghttp2/1.52.0", forKey: "user-agent")
        metadata.addString(self.apiKey, forKey: "x-api-key")
        let context = ServerContext(
            descriptor: MethodDescriptor(service: "metachat.fixture.v1.EchoService", method: "Get", kind: .unary),
            requestMetadata: metadata,
            peer: "ipv4:127.0.0.1:40000",
            requestID: "",
            connection: ConnectionValues()
        )
        try await self.warmUp(context)
        let chains: [(name: String, interceptors: [any ServerInterceptor])] = [
            ("no interceptor (reference)", []),
            ("authentication", Array(self.interceptors.prefix(1))),
            ("authentication + rate limit", self.interceptors),
        ]
        var previousMedian: Double?
        for chain in chains {
            var perCall: [Double] = []
            var suspended = 0
            for _ in 0..<Self.rounds {
                let (nanoseconds, suspensions) = try await self.time(chain.interceptors, context)
                perCall.append(nanoseconds)
                suspended += suspensions
            }
            perCall.sort()
            let median = perCall[perCall.count / 2]
            let added = previousMedian.map { ", +\(Self.format(median - $0)) ns" } ?? ""
            previousMedian = median
            print(
                "interceptors: \(chain.name): \(Self.format(median)) ns per call (median of \(Self.rounds) rounds"
                    + " of \(Self.callsPerRound); \(Self.format(perCall[0]))–\(Self.format(perCall[perCall.count - 1])))"
                    + "\(added); \(suspended) suspended"
            )
        }
    }

    /// Verifies the key through the full path once (PostgreSQL), then lets the rate limiter
    /// take its first lease (Redis).
    private func warmUp(_ context: ServerContext) async throws {
        var verified = context
        guard try self.interceptors[0].interceptImmediately(context: &verified) == .suspend else {
            throw EchoAuthentication.Misconfigured(description: "the interceptor decided before verifying the key")
        }
        try await self.interceptors[0].intercept(context: verified) { _ in }
        while try await !self.passesImmediately(self.interceptors, context) {}
    }

    /// One round: nanoseconds per call that passed without suspending, and how many calls
    /// suspended. A call that suspends is finished on the full path, untimed (every check a
    /// rate limiter leaves pending must be finished, or the lease request it stands for stays
    /// open), and timing goes on with the next call; rounds start after a call that passed.
    private func time(_ chain: [any ServerInterceptor], _ context: ServerContext) async throws -> (Double, Int) {
        var suspended = 0
        var passed = 0
        var elapsed = Duration.zero
        let clock = ContinuousClock()
        while try await !self.passesImmediately(chain, context) {}
        while passed < Self.callsPerRound {
            var suspendedCall: (index: Int, context: ServerContext)?
            let start = clock.now
            while passed < Self.callsPerRound {
                var call = context
                let index = try Self.proceedImmediately(chain, &call)
                if index < chain.count {
                    suspendedCall = (index, call)
                    break
                }
                passed += 1
                Self.keep(&call)
            }
            elapsed += clock.now - start
            if let (index, call) = suspendedCall {
                suspended += 1
                try await chain[index].intercept(context: call) { _ in }
            }
        }
        let components = elapsed.components
        let nanoseconds = Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9
        return (nanoseconds / Double(passed), suspended)
    }

    /// One call through `chain` on the full path: whether it passed without suspending (when it
    /// did not, the suspending interceptor has finished it).
    private func passesImmediately(_ chain: [any ServerInterceptor], _ context: ServerContext) async throws -> Bool {
        var call = context
        let index = try Self.proceedImmediately(chain, &call)
        guard index < chain.count else { return true }
        try await chain[index].intercept(context: call) { _ in }
        return false
    }

    /// The server's immediate pass: each interceptor in order, by index, until one suspends.
    ///
    /// - Returns: The index of the interceptor that suspended, or the chain's length.
    @inline(__always)
    private static func proceedImmediately(_ chain: [any ServerInterceptor], _ call: inout ServerContext) throws
        -> Int
    {
        var index = 0
        while index < chain.count, try chain[index].interceptImmediately(context: &call) == .proceed {
            index += 1
        }
        return index
    }

    /// Keeps the optimiser from dropping the loop's work.
    @inline(never)
    private static func keep(_ context: inout ServerContext) {
        withExtendedLifetime(context) {}
    }

    /// One decimal.
    private static func format(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths < 0 ? "-" : "")\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}
