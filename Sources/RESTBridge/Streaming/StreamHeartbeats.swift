internal import RPCServer
internal import Synchronization

/// Heartbeats for every idle event stream from one task: each interval, a stream that sent
/// nothing since the previous tick gets its heartbeat bytes (without waiting), instead of every
/// stream keeping a sleeping task of its own.
///
/// The ticking task runs only while some stream is registered.
final class StreamHeartbeats: Sendable {
    private struct Registered {
        let stream: BoundedChunkStream
        let heartbeat: [UInt8]
    }

    private struct State {
        var streams: [ObjectIdentifier: Registered] = [:]
        var ticker: Task<Void, Never>?
    }

    private let interval: Duration
    private let state = Mutex(State())

    /// Heartbeats every `interval`.
    init(interval: Duration) {
        self.interval = interval
    }

    /// Sends `heartbeat` on `stream` whenever it has been idle for an interval, until
    /// ``remove(_:)`` or the stream ends.
    func add(_ stream: BoundedChunkStream, heartbeat: [UInt8]) {
        self.state.withLock { state in
            state.streams[ObjectIdentifier(stream)] = Registered(stream: stream, heartbeat: heartbeat)
            if state.ticker == nil {
                state.ticker = Task { await self.tick() }
            }
        }
    }

    /// Stops the heartbeats of `stream`.
    func remove(_ stream: BoundedChunkStream) {
        let idle = self.state.withLock { state -> Task<Void, Never>? in
            state.streams[ObjectIdentifier(stream)] = nil
            guard state.streams.isEmpty else { return nil }
            defer { state.ticker = nil }
            return state.ticker
        }
        idle?.cancel()
    }

    /// The number of streams with heartbeats.
    var count: Int { self.state.withLock { $0.streams.count } }

    private func tick() async {
        while (try? await Task.sleep(for: self.interval)) != nil {
            let streams = self.state.withLock { Array($0.streams.values) }
            for registered in streams where !registered.stream.writeIfIdle(registered.heartbeat) {
                self.remove(registered.stream)
            }
        }
    }
}
