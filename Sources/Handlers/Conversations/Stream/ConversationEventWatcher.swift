internal import FoundationEssentials
package import MetaChatAPI
internal import SwiftProtobuf
internal import Synchronization

/// One watcher of a tenant's events: a bounded buffer that its ``TenantEventFeed`` fills and the
/// watching call empties into its response stream.
///
/// The feed offers every event it delivers, in `event_id` order; the watcher keeps those its
/// filter (one conversation, some kinds) accepts and drops durable events it already has
/// (``skip(through:)``, after a replay read them from PostgreSQL). At most ``capacity`` events
/// wait: beyond that it stops taking events and is marked overflowed, so a client that reads
/// too slowly costs bounded memory and is disconnected with its position
/// (``ConversationEventStream``). An idle watcher costs one small object and its empty buffer.
package final class ConversationEventWatcher: Sendable {
    /// What the watcher accepts.
    package struct Filter: Sendable, Hashable {
        /// Only this conversation's events (lower case), or every conversation's.
        package var conversationID: String?
        /// Only these kinds, or every kind when empty. Heartbeats always pass.
        package var kinds: Set<Metachat_V1_ConversationEventKind>

        /// Creates a filter.
        package init(conversationID: String? = nil, kinds: Set<Metachat_V1_ConversationEventKind> = []) {
            self.conversationID = conversationID
            self.kinds = kinds
        }

        /// Whether `event` passes.
        package func accepts(_ event: Metachat_V1_ConversationEvent) -> Bool {
            if case .heartbeat = event.payload { return true }
            if let conversationID, event.conversationID != conversationID { return false }
            return self.kinds.isEmpty || self.kinds.contains(event.kind)
        }
    }

    /// How a watcher's wait ended.
    package enum Next: Sendable {
        /// Events to send, in order (everything that waited).
        case events([Metachat_V1_ConversationEvent])
        /// More events arrived than the buffer holds: the client must resume.
        case overflowed
        /// The watcher was closed (the feed or the server stopped).
        case closed
    }

    private struct State {
        var buffer: [Metachat_V1_ConversationEvent] = []
        /// The highest durable id taken or skipped: later offers at or below it are duplicates.
        var through: Int64 = 0
        var overflowed = false
        var closed = false
        var waiter: CheckedContinuation<Void, Never>?
        /// When the watcher last took an event or was emptied, for heartbeats.
        var lastActivity: ContinuousClock.Instant

        mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
            defer { self.waiter = nil }
            return self.waiter
        }
    }

    /// The most events that wait for the client.
    package let capacity: Int
    /// What the watcher accepts.
    package let filter: Filter
    /// Identifies the watcher in its feed.
    let id: UInt64
    private let state: Mutex<State>

    /// Creates a watcher.
    ///
    /// - Parameters:
    ///   - id: Its key in the feed.
    ///   - filter: What it accepts.
    ///   - capacity: The most events that may wait.
    init(id: UInt64, filter: Filter, capacity: Int) {
        self.id = id
        self.filter = filter
        self.capacity = max(1, capacity)
        self.state = Mutex(State(lastActivity: .now))
    }

    /// Takes an event the feed delivers (in `event_id` order for durable events); drops it when the
    /// filter refuses it, when it is a duplicate, or once the watcher overflowed.
    func offer(_ event: Metachat_V1_ConversationEvent) {
        guard self.filter.accepts(event) else { return }
        let waiter: CheckedContinuation<Void, Never>? = self.state.withLock { state in
            guard !state.closed, !state.overflowed else { return nil }
            if let id = event.sequenceNumber {
                guard id > state.through else { return nil }
                state.through = id
            }
            guard state.buffer.count < self.capacity else {
                state.overflowed = true
                state.buffer = []
                return state.takeWaiter()
            }
            state.buffer.append(event)
            state.lastActivity = .now
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    /// Adds a heartbeat when nothing was taken or sent for `interval`.
    func heartbeatIfIdle(for interval: Duration, now: ContinuousClock.Instant) {
        let waiter: CheckedContinuation<Void, Never>? = self.state.withLock { state in
            guard !state.closed, !state.overflowed, state.buffer.isEmpty, now - state.lastActivity >= interval
            else { return nil }
            var heartbeat = Metachat_V1_ConversationEvent()
            heartbeat.heartbeat.sentAt = .init(date: Date())
            state.buffer.append(heartbeat)
            state.lastActivity = now
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    /// Forgets buffered durable events up to `id` and every later offer of them: a replay from
    /// PostgreSQL sent them already. Live-only events stay.
    ///
    /// - Returns: Whether the watcher overflowed while the replay ran (the caller replays again
    ///   from `id`, with an empty buffer).
    func skip(through id: Int64) -> Bool {
        self.state.withLock { state in
            state.through = max(state.through, id)
            state.buffer.removeAll { ($0.sequenceNumber ?? Int64.max) <= id }
            guard state.overflowed else { return false }
            state.overflowed = false
            state.buffer = []
            return true
        }
    }

    /// The next thing to send, waiting until there is one.
    func next() async -> Next {
        while true {
            let outcome: Next? = self.state.withLock { state in
                if !state.buffer.isEmpty {
                    state.lastActivity = .now
                    defer { state.buffer = [] }
                    return .events(state.buffer)
                }
                if state.overflowed { return .overflowed }
                if state.closed { return .closed }
                return nil
            }
            if let outcome { return outcome }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLock { state -> Bool in
                        guard state.buffer.isEmpty, !state.overflowed, !state.closed else { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                self.close()
            }
            if Task.isCancelled { return .closed }
        }
    }

    /// Ends the watcher: ``next()`` answers `.closed` once the buffer is empty.
    func close() {
        let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    /// How many events wait, for tests.
    var bufferedCount: Int { self.state.withLock { $0.buffer.count } }
}
