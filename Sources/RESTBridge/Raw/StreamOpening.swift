internal import RPCServer
internal import Synchronization

/// The moment a streamed raw response starts: the first message (or the end of a call without
/// one) decides the response, an error before it answers an error. Whoever waits in
/// ``response()`` is resumed exactly once, with whichever came first.
final class StreamOpening: Sendable {
    private struct State {
        var outcome: Result<HTTPResponse, any Error>?
        var waiter: CheckedContinuation<Result<HTTPResponse, any Error>, Never>?
    }

    private let state = Mutex(State())

    /// Starts the response with `start` unless it has started.
    ///
    /// - Parameters:
    ///   - message: The first message, or `nil` when the call ended without one.
    ///   - start: Makes the response.
    func open(with message: [UInt8]?, start: @Sendable ([UInt8]?) throws -> HTTPResponse) throws {
        guard self.state.withLock({ $0.outcome == nil }) else { return }
        self.deliver(.success(try start(message)))
    }

    /// The call failed: the response, unless it has started, is `error`.
    func fail(_ error: any Error) {
        self.deliver(.failure(error))
    }

    /// Waits for the response.
    func response() async -> Result<HTTPResponse, any Error> {
        await withCheckedContinuation { continuation in
            let ready: Result<HTTPResponse, any Error>? = self.state.withLock { state in
                if let outcome = state.outcome { return outcome }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func deliver(_ outcome: Result<HTTPResponse, any Error>) {
        let waiter: CheckedContinuation<Result<HTTPResponse, any Error>, Never>? = self.state.withLock { state in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: outcome)
    }
}
