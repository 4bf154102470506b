import Foundation
import Logging
import MetaChatAPI
import RPCServer
import Storage
import Synchronization
import Testing

@testable import Handlers

/// One server's share of the stream: its hub (with its own Redis connections) and a ledger whose
/// events feed it, as `metachat serve` wires them.
struct StreamNode: Sendable {
    let hub: ConversationEventHub
    let ledger: ConversationLedger
    let handler: ConversationHandler
    let redis: RedisPool
    let subscriber: RedisSubscriber
    let loops: Task<Void, Never>

    /// Stops the hub and its Redis connections.
    func shutdown() async {
        self.loops.cancel()
        self.hub.stop()
        await self.loops.value
        await self.subscriber.shutdown()
        await self.redis.shutdown()
    }
}

/// A migrated schema, two tenants, and `nodes` servers' hubs sharing it and one Redis.
struct StreamTestHarness {
    let pool: PostgresPool
    let nodes: [StreamNode]
    let tenantA: UUID
    let tenantB: UUID

    static let logger = Logger(label: "stream-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Settings for tests: quick polling and heartbeats.
    static func configuration(
        capacity: Int = 1000, heartbeat: Duration = .seconds(60)
    ) -> ConversationStreamConfiguration {
        var configuration = ConversationStreamConfiguration.defaults
        configuration.watcherCapacity = capacity
        configuration.heartbeatInterval = heartbeat
        configuration.degradedPollInterval = .milliseconds(50)
        configuration.healthyPollInterval = .milliseconds(500)
        return configuration
    }

    static func with<R>(
        nodes count: Int = 2, redisURL: RedisURL? = nil,
        configuration: ConversationStreamConfiguration = Self.configuration(),
        _ body: (StreamTestHarness) async throws -> R
    ) async throws -> R {
        let url = try redisURL ?? TestEnvironment.redisURL()
        return try await Self.gate.withPlace {
            try await MigratedDatabase.with(maximumConnections: 8) { pool in
                var nodes: [StreamNode] = []
                for _ in 0..<count {
                    let redis = RedisPool(configuration: .init(url: url), logger: Self.logger)
                    var subscriberConfiguration = RedisSubscriber.Configuration(url: url)
                    subscriberConfiguration.maximumReconnectDelay = .milliseconds(200)
                    let subscriber = try RedisSubscriber(configuration: subscriberConfiguration, logger: Self.logger)
                    let hub = ConversationEventHub(
                        pool: pool, redis: redis, subscriber: subscriber, configuration: configuration,
                        logger: Self.logger)
                    nodes.append(
                        StreamNode(
                            hub: hub, ledger: ConversationLedger(pool: pool, events: hub),
                            handler: ConversationHandler(pool: pool, hub: hub), redis: redis, subscriber: subscriber,
                            loops: Task { await hub.runLoops() }))
                }
                let harness = StreamTestHarness(
                    pool: pool, nodes: nodes,
                    tenantA: try #require(
                        UUID(uuidString: try await ConversationTestHarness.makeTenant(pool, name: "A"))),
                    tenantB: try #require(
                        UUID(uuidString: try await ConversationTestHarness.makeTenant(pool, name: "B"))))
                let result: Result<R, any Error>
                do {
                    result = .success(try await body(harness))
                } catch {
                    result = .failure(error)
                }
                for node in nodes { await node.shutdown() }
                return try result.get()
            }
        }
    }

    private static let gate = AsyncGate(limit: 1)

    /// Creates a conversation of `tenant` through `node`'s ledger.
    func conversation(_ tenant: UUID, on node: StreamNode, user: String = "u") async throws -> UUID {
        let created = try await node.ledger.create(
            tenantID: tenant, channelType: "API", channelID: nil, externalUserID: user, title: "", metadata: [:])
        return try #require(UUID(uuidString: created.id))
    }

    /// Stores a user message through `node`'s ledger: one `message_created` event.
    @discardableResult
    func message(_ tenant: UUID, _ conversation: UUID, _ text: String, on node: StreamNode) async throws
        -> Metachat_V1_Message
    {
        var message = Metachat_V1_Message()
        message.role = .user
        message.text = text
        return try await node.ledger.record(tenantID: tenant, conversationID: conversation, message, actor: "t").message
    }

    /// Every stored event of a tenant, oldest first.
    func stored(_ tenant: UUID) async throws -> [Metachat_V1_ConversationEvent] {
        try await ConversationEventReader(pool: self.pool).events(tenantID: tenant, after: 0, limit: 100_000)
    }
}

/// A running `watch` call: what it wrote and how it ended.
final class WatchRecorder: Sendable {
    private struct State {
        var events: [Metachat_V1_ConversationEvent] = []
        var outcome: (any Error)?
        var ended = false
        var gateOpen = true
        var gateWaiters: [CheckedContinuation<Void, Never>] = []
        var task: Task<Void, Never>?
    }

    private let state = Mutex(State())

    /// Starts watching on `hub`; with `blocked`, every write waits until ``release()``.
    static func start(
        _ hub: ConversationEventHub, tenant: UUID, filter: ConversationEventWatcher.Filter = .init(),
        after: Int64?, blocked: Bool = false
    ) -> WatchRecorder {
        let recorder = WatchRecorder(blocked: blocked)
        let task = Task {
            do {
                try await hub.watch(tenantID: tenant, filter: filter, after: after, response: recorder.writer)
                recorder.state.withLock { $0.ended = true }
            } catch {
                recorder.state.withLock {
                    $0.outcome = error
                    $0.ended = true
                }
            }
        }
        recorder.state.withLock { $0.task = task }
        return recorder
    }

    private init(blocked: Bool) {
        self.state.withLock { $0.gateOpen = !blocked }
    }

    private var writer: RPCWriter<Metachat_V1_ConversationEvent> {
        RPCWriter { event in
            await self.passGate()
            self.state.withLock { $0.events.append(event) }
        }
    }

    private func passGate() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = self.state.withLock { state -> Bool in
                if state.gateOpen { return true }
                state.gateWaiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    /// Lets blocked writes through.
    func release() {
        let waiters = self.state.withLock { state in
            state.gateOpen = true
            defer { state.gateWaiters = [] }
            return state.gateWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Everything written so far.
    var events: [Metachat_V1_ConversationEvent] { self.state.withLock { $0.events } }
    /// The durable events written so far (no heartbeats or live-only events).
    var durable: [Metachat_V1_ConversationEvent] { self.events.filter { !$0.eventID.isEmpty } }
    /// The error the call ended with, once it ended.
    var error: (any Error)? { self.state.withLock { $0.outcome } }
    /// Whether the call ended.
    var ended: Bool { self.state.withLock { $0.ended } }

    /// Waits until `count` durable events were written.
    func waitForDurable(_ count: Int, within timeout: Duration = .seconds(20)) async throws {
        try await Polling.until("\(count) events (have \(self.durable.count))", within: timeout) {
            self.durable.count >= count
        }
    }

    /// Waits until the call ended.
    func waitForEnd(within timeout: Duration = .seconds(20)) async throws {
        try await Polling.until("the watch to end", within: timeout) { self.ended }
    }

    /// Ends the call as a client going away does.
    func cancel() async {
        let task = self.state.withLock { $0.task }
        task?.cancel()
        await task?.value
    }
}
