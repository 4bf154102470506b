package import FoundationEssentials
package import Logging
package import MetaChatAPI
package import Monitoring
package import RPCServer
package import Storage
internal import Synchronization

/// The live conversation stream of one server: it hears every event this server's
/// ``ConversationLedger`` commits (a ``ConversationEventSink``), announces it to the other servers
/// through Redis, and feeds the watchers connected here, whichever server produced the events.
///
/// Per tenant with watchers on this server it keeps one ``TenantEventFeed``, subscribed to the
/// tenant's Redis channel (`metachat:conversation-events:<tenant>`). Redis is the fast path, not
/// the source of truth: a feed delivers ids in order and fills any gap from PostgreSQL, and the
/// hub reads PostgreSQL for new events every 2 s while Redis works (an announcement lost when its
/// publisher crashed after the commit) and every 250 ms while it does not, when
/// ``ConversationStreamHealth`` says degraded. A watcher resuming after an event id replays the
/// stored events from PostgreSQL first (``watch(tenantID:filter:after:response:)``).
///
/// As a `Service` (in `serve`'s group, after the server so that it stops first) it polls, sends
/// heartbeats and publishes; at graceful shutdown it ends every watcher with `UNAVAILABLE` and
/// its position, so clients resume elsewhere at once.
package final class ConversationEventHub: ConversationEventSink, Sendable {
    /// The Redis channel of a tenant's announcements.
    package static func channel(for tenantID: UUID) -> String {
        "metachat:conversation-events:" + tenantID.lowercasedString
    }

    private enum Entry {
        case initializing([CheckedContinuation<Void, any Error>])
        case ready(TenantEventFeed, tasks: [Task<Void, Never>])
    }

    private struct State {
        var entries: [UUID: Entry] = [:]
        var nextWatcherID: UInt64 = 0
        var stopped = false
        /// When publishing to Redis last failed.
        var publishFailedAt: ContinuousClock.Instant?
    }

    /// The stream's settings.
    package let configuration: ConversationStreamConfiguration
    /// Whether the stream runs on PostgreSQL polling.
    package let health: ConversationStreamHealth
    private let reader: ConversationEventReader
    private let redis: RedisPool?
    private let subscriber: RedisSubscriber?
    private let logger: Logger
    private let escalations: EscalationMetrics
    private let state = Mutex(State())
    private let publications: AsyncStream<(UUID, [Metachat_V1_ConversationEvent])>
    private let publicationsContinuation: AsyncStream<(UUID, [Metachat_V1_ConversationEvent])>.Continuation

    /// Creates the hub; nothing starts until a watcher arrives or the service runs.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, where events are stored.
    ///   - redis: Publishes announcements; `nil` for a single server without Redis.
    ///   - subscriber: Receives other servers' announcements; `nil` likewise.
    ///   - configuration: Intervals and limits.
    ///   - health: Answers from this stream whether it is degraded.
    ///   - escalations: Counts the escalation events that commit, by reason.
    ///   - logger: Receives Redis and PostgreSQL trouble.
    package init(
        pool: PostgresPool, redis: RedisPool?, subscriber: RedisSubscriber?,
        configuration: ConversationStreamConfiguration = .defaults, health: ConversationStreamHealth = .init(),
        escalations: EscalationMetrics = PlatformMetrics.unobserved().escalations, logger: Logger
    ) {
        self.reader = ConversationEventReader(pool: pool)
        self.redis = redis
        self.subscriber = subscriber
        self.configuration = configuration
        self.health = health
        self.escalations = escalations
        self.logger = logger
        // Announcements wait here for the publishing task; while Redis is down the oldest are
        // dropped (other servers then poll PostgreSQL, which has every event).
        (self.publications, self.publicationsContinuation) = AsyncStream.makeStream(
            of: (UUID, [Metachat_V1_ConversationEvent]).self, bufferingPolicy: .bufferingNewest(10_000))
        health.bind { [weak self] in self?.isDegraded ?? false }
    }

    // MARK: ConversationEventSink

    package func committed(_ events: [Metachat_V1_ConversationEvent], tenantID: UUID) async {
        for event in events {
            if case .escalated(let escalated) = event.payload {
                self.escalations.escalated(reason: Self.escalationLabel(escalated.reason))
            }
        }
        self.readyFeed(tenantID)?.submit(.events(events))
        if self.redis != nil {
            self.publicationsContinuation.yield((tenantID, events))
        }
    }

    /// The metrics' reason label of an escalation reason.
    static func escalationLabel(_ reason: Metachat_V1_EscalationReason) -> String {
        switch reason {
        case .keyword: "keyword"
        case .lowConfidence: "low_confidence"
        case .noContext: "no_context"
        case .manual: "manual"
        case .requestedByUser: "requested_by_user"
        default: "other"
        }
    }

    package func live(_ event: Metachat_V1_ConversationEvent, tenantID: UUID) async {
        await self.committed([event], tenantID: tenantID)
    }

    // MARK: Watching

    /// Streams a tenant's events to `response` until the client goes away: the stored events after
    /// `after` first (from PostgreSQL), then live ones, each once, in `event_id` order.
    ///
    /// - Parameters:
    ///   - tenantID: The tenant.
    ///   - filter: One conversation and/or some kinds.
    ///   - after: The last event the client has; `nil` for events from now on.
    ///   - response: Where events go; its writes wait while the client is slow.
    /// - Throws: `NOT_FOUND` for an unknown conversation, `INVALID_ARGUMENT` for an id ahead of the
    ///   tenant's latest, `FAILED_PRECONDITION` for an id older than the retained history,
    ///   `RESOURCE_EXHAUSTED` when the client fell more than the watcher's capacity behind, and
    ///   `UNAVAILABLE` when the server shuts down; the last two carry the position to resume from
    ///   in their message and in the `metachat-resume-after` trailer.
    package func watch(
        tenantID: UUID, filter: ConversationEventWatcher.Filter, after: Int64?,
        response: RPCWriter<Metachat_V1_ConversationEvent>
    ) async throws {
        let conversationID = filter.conversationID.flatMap(UUID.init(canonicalText:))
        let (position, exists) = try await Self.storage {
            try await self.reader.position(tenantID: tenantID, conversationID: conversationID)
        }
        guard exists else { throw ConversationLedger.notFound(conversationID ?? UUID()) }
        if let after {
            guard after <= position.lastEventID else {
                throw TenantFieldViolation.error(
                    "afterEventId", "lies ahead of the tenant's latest event (\(position.lastEventID))")
            }
            guard after >= position.prunedThrough else {
                throw RPCError(
                    code: .failedPrecondition,
                    message:
                        "Events after \(after) are no longer kept (the oldest kept follows \(position.prunedThrough)); "
                        + "resync: list the conversations again and watch after the listing's lastEventId.")
            }
        }
        let watcher = try await self.register(tenantID: tenantID, filter: filter)
        defer { self.unregister(watcher, tenantID: tenantID) }
        var sent = after ?? position.lastEventID
        // Replay from PostgreSQL; again when the live buffer overflowed meanwhile.
        repeat {
            while true {
                let from = sent
                let page = try await Self.storage {
                    try await self.reader.events(
                        tenantID: tenantID, conversationID: conversationID, after: from, limit: 500)
                }
                for event in page where filter.accepts(event) {
                    try await response.write(event)
                }
                if let last = page.last?.sequenceNumber { sent = last }
                if page.count < 500 { break }
            }
        } while watcher.skip(through: sent)
        while true {
            switch await watcher.next() {
            case .events(let events):
                for event in events {
                    try await response.write(event)
                    if let id = event.sequenceNumber { sent = id }
                }
            case .overflowed:
                throw Self.resumeError(
                    .resourceExhausted,
                    "The client read too slowly: more than \(watcher.capacity) events waited for it", after: sent)
            case .closed:
                try Task.checkCancellation()
                throw Self.resumeError(.unavailable, "The server is shutting down", after: sent)
            }
        }
    }

    /// The error that ends a watch which the client should resume after `id`.
    static func resumeError(_ code: RPCError.Code, _ reason: String, after id: Int64) -> RPCError {
        var metadata = Metadata()
        metadata.addString(String(id), forKey: "metachat-resume-after")
        return RPCError(
            code: code, message: "\(reason); resume with afterEventId=\(id) (Last-Event-ID: \(id)).", metadata: metadata
        )
    }

    /// Adds a watcher to the tenant's feed, creating the feed (and its Redis subscription) when it
    /// is the first.
    func register(tenantID: UUID, filter: ConversationEventWatcher.Filter) async throws -> ConversationEventWatcher {
        enum Step {
            case ready(ConversationEventWatcher)
            case wait
            case initialize
        }
        while true {
            let step: Step = try self.state.withLock { state in
                guard !state.stopped else {
                    throw RPCError(code: .unavailable, message: "The server is shutting down.")
                }
                switch state.entries[tenantID] {
                case .ready(let feed, _):
                    state.nextWatcherID &+= 1
                    let watcher = ConversationEventWatcher(
                        id: state.nextWatcherID, filter: filter, capacity: self.configuration.watcherCapacity)
                    _ = feed.add(watcher)
                    return .ready(watcher)
                case .initializing:
                    return .wait
                case nil:
                    state.entries[tenantID] = .initializing([])
                    return .initialize
                }
            }
            switch step {
            case .ready(let watcher):
                return watcher
            case .wait:
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let resumeNow = self.state.withLock { state -> Bool in
                        guard case .initializing(let waiters) = state.entries[tenantID] else { return true }
                        state.entries[tenantID] = .initializing(waiters + [continuation])
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            case .initialize:
                try await self.makeFeed(tenantID)
            }
        }
    }

    /// Reads where the tenant's log stands, then starts its feed and subscription.
    private func makeFeed(_ tenantID: UUID) async throws {
        let lastSeen: Int64
        do {
            lastSeen = try await Self.storage {
                try await self.reader.position(tenantID: tenantID, conversationID: nil).0.lastEventID
            }
        } catch {
            let waiters = self.state.withLock { state -> [CheckedContinuation<Void, any Error>] in
                guard case .initializing(let waiters) = state.entries[tenantID] else { return [] }
                state.entries[tenantID] = nil
                return waiters
            }
            for waiter in waiters { waiter.resume(throwing: error) }
            throw error
        }
        let feed = TenantEventFeed(tenantID: tenantID, lastSeen: lastSeen, reader: self.reader, logger: self.logger)
        var tasks = [Task { await feed.run() }]
        if let subscriber = self.subscriber {
            tasks.append(Task { await Self.follow(Self.channel(for: tenantID), subscriber: subscriber, feed: feed) })
        }
        let waiters = self.state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard case .initializing(let waiters) = state.entries[tenantID] else { return [] }
            state.entries[tenantID] = .ready(feed, tasks: tasks)
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Removes a watcher; the last one of a tenant stops its feed and subscription.
    func unregister(_ watcher: ConversationEventWatcher, tenantID: UUID) {
        watcher.close()
        let ended: (TenantEventFeed, [Task<Void, Never>])? = self.state.withLock { state in
            guard case .ready(let feed, let tasks) = state.entries[tenantID], feed.remove(watcher) else { return nil }
            state.entries[tenantID] = nil
            return (feed, tasks)
        }
        if let (feed, tasks) = ended {
            feed.stop()
            for task in tasks { task.cancel() }
        }
    }

    /// Feeds announcements of `channel` to `feed` until cancelled, subscribing again (with a
    /// doubling delay up to 2 s) whenever the subscription fails or ends; after each
    /// subscription the feed catches up from PostgreSQL, as announcements made meanwhile are lost.
    private static func follow(_ channel: String, subscriber: RedisSubscriber, feed: TenantEventFeed) async {
        var delay = Duration.milliseconds(50)
        while !Task.isCancelled {
            do {
                let subscription = try await subscriber.subscribe(to: channel)
                delay = .milliseconds(50)
                feed.submit(.catchUp)
                for await message in subscription {
                    if let events = ConversationEventFraming.decode(message.payload) {
                        feed.submit(.events(events))
                    }
                }
            } catch {
                guard (try? await Task.sleep(for: delay)) != nil else { return }
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    /// The feed of a tenant with watchers here, if any.
    private func readyFeed(_ tenantID: UUID) -> TenantEventFeed? {
        self.state.withLock { state in
            if case .ready(let feed, _) = state.entries[tenantID] { return feed }
            return nil
        }
    }

    /// Every ready feed.
    var feeds: [TenantEventFeed] {
        self.state.withLock { state in
            state.entries.values.compactMap { entry in
                if case .ready(let feed, _) = entry { return feed }
                return nil
            }
        }
    }

    /// How many watchers are connected here, for tests and metrics.
    package var watcherCount: Int { self.feeds.reduce(0) { $0 + $1.watcherCount } }

    // MARK: Running

    /// Publishes, polls and sends heartbeats until cancelled.
    func runLoops() async {
        // Connected from the start, so the health (and the polling pace) reflects Redis even
        // before the first watcher subscribes.
        self.subscriber?.start()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.publishLoop() }
            group.addTask { await self.pollLoop() }
            group.addTask { await self.heartbeatLoop() }
            if let subscriber = self.subscriber {
                let resubscriptions = subscriber.resubscriptions()
                group.addTask {
                    for await _ in resubscriptions {
                        for feed in self.feeds { feed.submit(.catchUp) }
                    }
                }
            }
            await group.waitForAll()
        }
    }

    /// Ends every watcher (`UNAVAILABLE` with its position) and refuses new ones.
    func stop() {
        let entries = self.state.withLock { state in
            state.stopped = true
            defer { state.entries = [:] }
            return Array(state.entries.values)
        }
        self.publicationsContinuation.finish()
        for entry in entries {
            switch entry {
            case .ready(let feed, let tasks):
                feed.stop()
                for task in tasks { task.cancel() }
            case .initializing(let waiters):
                for waiter in waiters {
                    waiter.resume(throwing: RPCError(code: .unavailable, message: "The server is shutting down."))
                }
            }
        }
    }

    /// Whether the stream should read PostgreSQL quickly: the subscriber has no connection, or a
    /// publication failed in the last few seconds.
    var isDegraded: Bool {
        guard let subscriber = self.subscriber else { return false }
        if !subscriber.isConnected { return true }
        guard let failedAt = self.state.withLock({ $0.publishFailedAt }) else { return false }
        return ContinuousClock.now - failedAt < .seconds(3)
    }

    private func publishLoop() async {
        guard let redis = self.redis else { return }
        var reportedFailure = false
        for await (tenantID, events) in self.publications {
            guard !Task.isCancelled else { return }
            do {
                let payload = try ConversationEventFraming.encode(events)
                _ = try await redis.command(["PUBLISH", Self.channel(for: tenantID), payload])
                if reportedFailure {
                    reportedFailure = false
                    self.logger.info("conversation events: publishing to Redis works again")
                }
            } catch {
                self.state.withLock { $0.publishFailedAt = .now }
                if !reportedFailure {
                    reportedFailure = true
                    self.logger.warning(
                        "conversation events: publishing to Redis failed; other servers read PostgreSQL meanwhile")
                }
            }
        }
    }

    private func pollLoop() async {
        var lastPoll = ContinuousClock.now
        while !Task.isCancelled {
            let interval =
                self.isDegraded ? self.configuration.degradedPollInterval : self.configuration.healthyPollInterval
            if ContinuousClock.now - lastPoll >= interval {
                lastPoll = .now
                await self.poll()
            }
            guard (try? await Task.sleep(for: self.configuration.degradedPollInterval)) != nil else { return }
        }
    }

    /// Asks every feed behind PostgreSQL to catch up.
    private func poll() async {
        let feeds = self.feeds
        guard !feeds.isEmpty else { return }
        guard let latest = try? await self.reader.latestIDs(of: feeds.map(\.tenantID)) else { return }
        for feed in feeds where (latest[feed.tenantID] ?? 0) > feed.lastSeen {
            feed.submit(.catchUp)
        }
    }

    private func heartbeatLoop() async {
        let interval = self.configuration.heartbeatInterval
        guard interval > .zero else { return }
        while !Task.isCancelled {
            guard (try? await Task.sleep(for: interval / 4)) != nil else { return }
            let now = ContinuousClock.now
            for feed in self.feeds {
                for watcher in feed.watchers {
                    watcher.heartbeatIfIdle(for: interval, now: now)
                }
            }
        }
    }

    /// Runs a read of the event log, turning PostgreSQL failures into RPC statuses.
    ///
    /// The read runs in a child task: a PostgreSQL round trip goes deep (pool, transaction,
    /// thread hop), and a task keeps the stack memory of its deepest point until it ends, so
    /// reading in the watch's own long-lived task would hold that memory for as long as the
    /// watcher stays connected.
    private static func storage<R: Sendable>(_ body: @escaping @Sendable () async throws -> R) async throws -> R {
        do {
            async let result = body()
            return try await result
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }
}
