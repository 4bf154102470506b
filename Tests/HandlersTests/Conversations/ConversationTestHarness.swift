import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

/// Records the events a ``ConversationLedger`` hands on, in the order it did.
final class RecordingConversationEventSink: ConversationEventSink, @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    private let lock = NSLock()
    private var committedEvents: [Metachat_V1_ConversationEvent] = []
    private var liveEvents: [Metachat_V1_ConversationEvent] = []

    var committed: [Metachat_V1_ConversationEvent] { self.lock.withLock { self.committedEvents } }
    var live: [Metachat_V1_ConversationEvent] { self.lock.withLock { self.liveEvents } }

    func committed(_ events: [Metachat_V1_ConversationEvent], tenantID: UUID) async {
        self.lock.withLock { self.committedEvents += events }
    }

    func live(_ event: Metachat_V1_ConversationEvent, tenantID: UUID) async {
        self.lock.withLock { self.liveEvents.append(event) }
    }
}

/// A migrated schema with two tenants, a ``ConversationHandler`` whose events are recorded, and
/// helpers to call it as a tenant key or as an operator.
struct ConversationTestHarness {
    let pool: PostgresPool
    let handler: ConversationHandler
    let ledger: ConversationLedger
    let events: RecordingConversationEventSink
    let tenantA: String
    let tenantB: String

    /// Runs `body` against a freshly migrated schema (at most two harnesses at once).
    static func with<R>(maximumConnections: Int = 4, _ body: (ConversationTestHarness) async throws -> R)
        async throws -> R
    {
        try await Self.gate.withPlace {
            try await MigratedDatabase.with(maximumConnections: maximumConnections) { pool in
                let events = RecordingConversationEventSink()
                let harness = ConversationTestHarness(
                    pool: pool,
                    handler: ConversationHandler(pool: pool, events: events),
                    ledger: ConversationLedger(pool: pool, events: events),
                    events: events,
                    tenantA: try await Self.makeTenant(pool, name: "A"),
                    tenantB: try await Self.makeTenant(pool, name: "B")
                )
                return try await body(harness)
            }
        }
    }

    private static let gate = AsyncGate(limit: 2)

    static func makeTenant(_ pool: PostgresPool, name: String) async throws -> String {
        try await pool.withAdminTransaction { connection in
            try await connection.query("INSERT INTO tenants (name) VALUES (\(name)) RETURNING id")[0]
                .decode("id", as: UUID.self).uuidString.lowercased()
        }
    }

    /// A call context of `principal`, with `x-tenant-id` when given.
    static func context(
        _ principal: Principal?, tenantHeader: String? = nil, metadata: [(String, String)] = [],
        requestID: String = "req-conv"
    ) -> ServerContext {
        var requestMetadata = Metadata()
        if let tenantHeader {
            requestMetadata.addString(tenantHeader, forKey: "x-tenant-id")
        }
        for (key, value) in metadata {
            requestMetadata.addString(value, forKey: key)
        }
        var context = ServerContext(
            descriptor: Metachat_V1_ConversationService.Method.getConversation,
            requestMetadata: requestMetadata,
            peer: "test",
            requestID: requestID
        )
        context.principal = principal
        return context
    }

    /// A tenant key's context.
    func tenant(_ tenantID: String, metadata: [(String, String)] = []) -> ServerContext {
        Self.context(.tenant(tenantID: tenantID, keyID: "key-of-\(tenantID)"), metadata: metadata)
    }

    /// Tenant A's key.
    var asA: ServerContext { self.tenant(self.tenantA) }
    /// Tenant B's key.
    var asB: ServerContext { self.tenant(self.tenantB) }

    /// Creates a conversation as tenant A (or `context`).
    func create(
        _ context: ServerContext? = nil, user: String = "user-1", title: String = "",
        configure: (inout Metachat_V1_CreateConversationRequest) -> Void = { _ in }
    ) async throws -> Metachat_V1_Conversation {
        var request = Metachat_V1_CreateConversationRequest()
        request.externalUserID = user
        request.title = title
        configure(&request)
        var context = context ?? self.asA
        context.descriptor = Metachat_V1_ConversationService.Method.createConversation
        return try await self.handler.createConversation(request: request, context: context)
    }

    /// Posts an agent reply as tenant A (or `context`).
    @discardableResult
    func reply(
        _ conversationID: String, text: String = "Hello from an agent", agent: String = "agent@example.com",
        key: String = "", context: ServerContext? = nil
    ) async throws -> Metachat_V1_Message {
        var request = Metachat_V1_PostAgentReplyRequest()
        request.conversationID = conversationID
        request.text = text
        request.agentID = agent
        request.idempotencyKey = key
        var context = context ?? self.asA
        context.descriptor = Metachat_V1_ConversationService.Method.postAgentReply
        return try await self.handler.postAgentReply(request: request, context: context)
    }

    /// Reads a conversation as tenant A.
    func get(_ id: String) async throws -> Metachat_V1_Conversation {
        var request = Metachat_V1_GetConversationRequest()
        request.conversationID = id
        return try await self.handler.getConversation(request: request, context: self.asA)
    }

    /// Stores a user message through the ledger, as a channel would.
    @discardableResult
    func userMessage(_ conversationID: String, text: String, tenant: String? = nil) async throws -> Metachat_V1_Message
    {
        var message = Metachat_V1_Message()
        message.role = .user
        message.text = text
        message.authorID = "user-1"
        return try await self.ledger.record(
            tenantID: try Self.uuid(tenant ?? self.tenantA), conversationID: try Self.uuid(conversationID), message,
            actor: "system"
        ).message
    }

    /// The durable events stored for a tenant, oldest first, decoded.
    func storedEvents(_ tenantID: String) async throws -> [Metachat_V1_ConversationEvent] {
        try await self.pool.withAdminTransaction { connection in
            try await connection.query(
                "SELECT payload FROM conversation_events WHERE tenant_id = \(try Self.uuid(tenantID)) ORDER BY id"
            ).map { try Metachat_V1_ConversationEvent(serializedBytes: try $0.decode("payload", as: [UInt8].self)) }
        }
    }

    /// Counts of every conversation table of the schema, for "nothing changed" checks.
    func tableCounts() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in [
            "conversations", "messages", "conversation_events", "channel_outbox", "conversation_event_counters",
        ] {
            counts[table] = try await self.pool.withAdminTransaction { connection in
                try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) AS n FROM \(table)"))[0]
                    .decode("n", as: Int.self)
            }
        }
        return counts
    }

    /// The audit entries of a tenant, oldest first.
    func audit(_ tenantID: String) async throws -> [(actor: String, action: String, target: String?)] {
        try await self.pool.withAdminTransaction { connection in
            try await connection.query(
                "SELECT actor, action, target FROM audit_log WHERE tenant_id = \(try Self.uuid(tenantID)) ORDER BY id"
            ).map {
                (try $0.decode("actor"), try $0.decode("action"), try $0.decode("target"))
            }
        }
    }

    /// The UUID in `text`, or a test failure.
    static func uuid(_ text: String) throws -> UUID {
        try #require(UUID(uuidString: text))
    }
}
