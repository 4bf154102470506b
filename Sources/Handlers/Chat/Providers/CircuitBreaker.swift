internal import FoundationEssentials
internal import Synchronization

/// The circuit breakers of the model endpoints of one server: after
/// ``Configuration/failureThreshold`` consecutive failures an endpoint is *open* and calls fail
/// at once; after ``Configuration/openDuration`` it is *half-open* and lets one probe through,
/// whose success closes it and whose failure opens it again.
///
/// Endpoints are told apart by their base URL; the breakers are per server process (each node
/// learns on its own).
package final class CircuitBreaker: Sendable {
    /// When an endpoint opens and for how long.
    package struct Configuration: Sendable, Hashable {
        /// Consecutive failures that open an endpoint. Default 5.
        package var failureThreshold: Int
        /// Time an endpoint stays open before a probe. Default 30 s.
        package var openDuration: Duration

        /// The defaults above.
        package static let defaults = Configuration(failureThreshold: 5, openDuration: .seconds(30))

        /// Creates a configuration.
        package init(failureThreshold: Int, openDuration: Duration) {
            self.failureThreshold = failureThreshold
            self.openDuration = openDuration
        }
    }

    /// The state of one endpoint.
    package enum State: Sendable, Hashable {
        /// Calls go through; this many failures in a row so far.
        case closed(failures: Int)
        /// Calls fail until this instant.
        case open(until: ContinuousClock.Instant)
        /// One probe is under way; other calls fail.
        case halfOpen
    }

    private let configuration: Configuration
    private let states = Mutex<[String: State]>([:])

    /// Creates the breakers.
    package init(configuration: Configuration = .defaults) {
        self.configuration = configuration
    }

    /// The state of `endpoint`.
    package func state(of endpoint: String) -> State {
        self.states.withLock { $0[endpoint] ?? .closed(failures: 0) }
    }

    /// Lets a call to `endpoint` through, or refuses it.
    ///
    /// - Throws: ``ChatModelError`` (UNAVAILABLE) while the endpoint is open or its probe runs.
    package func admit(_ endpoint: String, description: String) throws(ChatModelError) {
        let now = ContinuousClock.now
        let refusal: Duration? = self.states.withLock { states in
            switch states[endpoint] ?? .closed(failures: 0) {
            case .closed:
                return nil
            case .open(let until):
                if now >= until {
                    states[endpoint] = .halfOpen
                    return nil
                }
                return until - now
            case .halfOpen:
                return .zero
            }
        }
        if let refusal {
            let seconds = Int((Double(refusal.components.seconds) + 0.999).rounded(.down))
            throw ChatModelError(
                .unavailable,
                "\(description) failed repeatedly; calls are paused (circuit open) for \(max(1, seconds)) more "
                    + "second(s) before one probe",
                countsAsFailure: false)
        }
    }

    /// Records a successful call: the endpoint closes.
    package func recordSuccess(_ endpoint: String) {
        self.states.withLock { $0[endpoint] = .closed(failures: 0) }
    }

    /// Records a failed call: a half-open endpoint opens again, a closed one counts.
    package func recordFailure(_ endpoint: String) {
        let openUntil = ContinuousClock.now + self.configuration.openDuration
        self.states.withLock { states in
            switch states[endpoint] ?? .closed(failures: 0) {
            case .closed(let failures):
                states[endpoint] =
                    failures + 1 >= self.configuration.failureThreshold
                    ? .open(until: openUntil) : .closed(failures: failures + 1)
            case .halfOpen, .open:
                states[endpoint] = .open(until: openUntil)
            }
        }
    }

    /// Releases a half-open endpoint whose probe ended without a verdict (cancelled).
    package func recordAbandoned(_ endpoint: String) {
        self.states.withLock { states in
            if case .halfOpen = states[endpoint] { states[endpoint] = .open(until: .now) }
        }
    }
}
