internal import FoundationEssentials
internal import Logging
internal import MetaChatAPI
internal import Storage
internal import Synchronization

/// One tenant's live events on this server, delivered to its watchers in `event_id` order without
/// gaps or duplicates, whichever way they arrive.
///
/// Durable events arrive from this server's commits, from other servers through Redis, and from
/// PostgreSQL when asked to catch up (polling, or after Redis lost messages). One task handles
/// them one at a time: an event at or below ``lastSeen`` is a duplicate and dropped; the next id
/// is delivered; a later id means something is missing, so the feed first reads everything after
/// ``lastSeen`` from PostgreSQL (ids are assigned in commit order, so once a later id exists the
/// missing ones are committed or were deleted with their conversation). Live-only events are
/// delivered as they come.
final class TenantEventFeed: Sendable {
    /// Something for the feed's task to handle.
    enum Input: Sendable {
        /// Durable or live-only events, as they arrived.
        case events([Metachat_V1_ConversationEvent])
        /// Read what PostgreSQL has after ``lastSeen``.
        case catchUp
    }

    private struct State {
        var watchers: [UInt64: ConversationEventWatcher] = [:]
        /// The highest durable id delivered (or known to precede every watcher's start).
        var lastSeen: Int64
        var stopped = false
    }

    /// The tenant.
    let tenantID: UUID
    private let state: Mutex<State>
    private let inputs: AsyncStream<Input>
    private let inputContinuation: AsyncStream<Input>.Continuation
    private let reader: ConversationEventReader
    private let logger: Logger

    /// Creates a feed whose deliveries start after `lastSeen` (the tenant's latest id when the
    /// feed was made); call ``run()`` in a task.
    init(tenantID: UUID, lastSeen: Int64, reader: ConversationEventReader, logger: Logger) {
        self.tenantID = tenantID
        self.state = Mutex(State(lastSeen: lastSeen))
        (self.inputs, self.inputContinuation) = AsyncStream.makeStream(of: Input.self)
        self.reader = reader
        self.logger = logger
    }

    /// The highest durable id delivered.
    var lastSeen: Int64 { self.state.withLock { $0.lastSeen } }

    /// How many watchers the feed has.
    var watcherCount: Int { self.state.withLock { $0.watchers.count } }

    /// Every watcher, for heartbeats.
    var watchers: [ConversationEventWatcher] { self.state.withLock { Array($0.watchers.values) } }

    /// Adds a watcher; it receives every event delivered from now on.
    ///
    /// - Returns: ``lastSeen`` at that moment: every later event reaches the watcher.
    func add(_ watcher: ConversationEventWatcher) -> Int64 {
        self.state.withLock { state in
            state.watchers[watcher.id] = watcher
            return state.lastSeen
        }
    }

    /// Removes a watcher.
    ///
    /// - Returns: Whether the feed has no watcher left.
    func remove(_ watcher: ConversationEventWatcher) -> Bool {
        self.state.withLock { state in
            state.watchers[watcher.id] = nil
            return state.watchers.isEmpty
        }
    }

    /// Hands the feed's task something to handle.
    func submit(_ input: Input) {
        self.inputContinuation.yield(input)
    }

    /// Handles inputs one at a time until ``stop()``.
    func run() async {
        for await input in self.inputs {
            switch input {
            case .events(let events):
                for event in events {
                    await self.handle(event)
                }
            case .catchUp:
                await self.catchUp()
            }
        }
    }

    /// Ends the task and closes every watcher.
    func stop() {
        let watchers = self.state.withLock { state in
            state.stopped = true
            defer { state.watchers = [:] }
            return Array(state.watchers.values)
        }
        self.inputContinuation.finish()
        for watcher in watchers {
            watcher.close()
        }
    }

    private func handle(_ event: Metachat_V1_ConversationEvent) async {
        guard let id = event.sequenceNumber else {
            self.deliver(event)
            return
        }
        let lastSeen = self.lastSeen
        if id <= lastSeen { return }
        if id == lastSeen + 1 {
            self.deliver(event)
            return
        }
        // Something between lastSeen and id has not arrived: PostgreSQL has it, and this event
        // too (it was committed before it was announced). When PostgreSQL does not answer, the
        // event waits there for the next catch-up rather than be delivered after a gap.
        await self.catchUp()
    }

    /// Delivers everything PostgreSQL has after ``lastSeen``.
    private func catchUp() async {
        do {
            while true {
                let events = try await self.reader.events(tenantID: self.tenantID, after: self.lastSeen, limit: 500)
                for event in events {
                    self.deliver(event)
                }
                if events.count < 500 { return }
            }
        } catch {
            self.logger.warning(
                "conversation events: catching up from PostgreSQL failed", metadata: ["tenant": "\(self.tenantID)"])
        }
    }

    private func deliver(_ event: Metachat_V1_ConversationEvent) {
        let watchers: [ConversationEventWatcher] = self.state.withLock { state in
            if let id = event.sequenceNumber {
                guard id > state.lastSeen else { return [] }
                state.lastSeen = id
            }
            return Array(state.watchers.values)
        }
        for watcher in watchers {
            watcher.offer(event)
        }
    }
}
