import AsyncHTTPClient
import Foundation
import Handlers
import MetaChatAPI
import Monitoring
import Prometheus
import RPCServer
import Storage
import SwiftProtobuf
import Testing

/// A ``Retriever`` answering fixed passages, for the orchestrator's tests.
struct FixedRetriever: Retriever {
    var passages: [(title: String, text: String)]

    func retrieve(_ query: RetrievalQuery, tenantID: UUID) async throws -> Retrieval {
        var results: [Metachat_V1_SearchResult] = []
        for (index, passage) in self.passages.enumerated() {
            var result = Metachat_V1_SearchResult()
            result.text = passage.text
            result.citation.documentID = UUID().uuidString.lowercased()
            result.citation.chunkID = UUID().uuidString.lowercased()
            result.citation.documentTitle = passage.title
            result.citation.score = 1 - Double(index) * 0.1
            results.append(result)
        }
        return Retrieval(passages: results, mode: .text, embeddingModel: "", notice: "")
    }
}

/// A migrated schema with one tenant whose model is a ``FakeModelServer``, an orchestrator and a
/// handler over it, and the events it sent.
struct ChatTestHarness {
    let pool: PostgresPool
    let server: FakeModelServer?
    let orchestrator: ChatOrchestrator
    let handler: ChatHandler
    let ledger: ConversationLedger
    let events: RecordingConversationEventSink
    let tenantID: UUID
    /// The orchestrator's metrics.
    let metrics: PrometheusCollectorRegistry

    /// Runs `body` with a tenant whose settings are `settings` (JSON of TenantSettings; the
    /// model server's base URL replaces `$BASE`).
    static func with<R>(
        server: FakeModelServer?,
        settings: String = #"{"llm":{"provider":"LLM_PROVIDER_OPENAI_COMPATIBLE","baseUrl":"$BASE"}}"#,
        retriever: (any Retriever)? = FixedRetriever(passages: [("Hours", "We open at 9 every weekday.")]),
        defaults: ChatProviderDefaults = .offline,
        configuration: ChatOrchestrator.Configuration = .defaults, maximumConnections: Int = 8,
        _ body: (ChatTestHarness) async throws -> R
    ) async throws -> R {
        let http = HTTPClientBox()
        let result: Result<R, any Error>
        do {
            result = .success(
                try await Self.gate.withPlace {
                    try await MigratedDatabase.with(maximumConnections: maximumConnections) { pool in
                        let json = settings.replacingOccurrences(of: "$BASE", with: server?.baseURL ?? "")
                        let tenantID = try await pool.withAdminTransaction { connection in
                            try await connection.query(
                                "INSERT INTO tenants (name, settings) VALUES ('Acme', \(PostgresValue.jsonb(json))) RETURNING id"
                            )[0].decode("id", as: UUID.self)
                        }
                        let events = RecordingConversationEventSink()
                        var policy = ChatModelClientTests.policy
                        policy.attempts = 2
                        var defaults = defaults
                        defaults.policy = policy
                        let models = ChatModelDirectory(
                            defaults: defaults, transport: DirectModelHTTPTransport(http: http.client),
                            breaker: CircuitBreaker())
                        let registry = PrometheusCollectorRegistry()
                        let orchestrator = ChatOrchestrator(
                            pool: pool, events: events, retriever: retriever, models: models,
                            turns: ConversationTurnLock(pool: pool), configuration: configuration,
                            metrics: ChatMetrics(registry: registry))
                        let harness = ChatTestHarness(
                            pool: pool, server: server, orchestrator: orchestrator,
                            handler: ChatHandler(pool: pool, orchestrator: orchestrator),
                            ledger: ConversationLedger(pool: pool, events: events), events: events, tenantID: tenantID,
                            metrics: registry)
                        return try await body(harness)
                    }
                })
        } catch {
            result = .failure(error)
        }
        try await http.client.shutdown()
        try await server?.close()
        return try result.get()
    }

    private static let gate = AsyncGate(limit: 2)

    /// A tenant key's call context.
    var context: ServerContext {
        ConversationTestHarness.context(.tenant(tenantID: self.tenantID.uuidString.lowercased(), keyID: "key-1"))
    }

    /// Sends a message through SendMessage.
    @discardableResult
    func send(
        _ text: String, conversation: String = "", user: String = "user-1", key: String = ""
    ) async throws -> Metachat_V1_ChatReply {
        var request = Metachat_V1_SendMessageRequest()
        request.text = text
        request.conversationID = conversation
        request.externalUserID = conversation.isEmpty ? user : ""
        request.idempotencyKey = key
        return try await self.handler.sendMessage(request: request, context: self.context)
    }

    /// Sends a message through the orchestrator, collecting the streamed deltas.
    func stream(_ text: String, conversation: String = "") async throws -> (
        reply: Metachat_V1_ChatReply, deltas: [Metachat_V1_ChatReplyDelta]
    ) {
        let collected = LockedBox<[Metachat_V1_ChatReplyDelta]>([])
        let input = ChatOrchestrator.Input(
            tenantID: self.tenantID, conversationID: conversation.isEmpty ? nil : UUID(uuidString: conversation),
            channelType: "API", channelID: nil, externalUserID: conversation.isEmpty ? "user-1" : "", text: text,
            metadata: [:], idempotencyKey: "", requestHash: "")
        let reply = try await self.orchestrator.answer(input) { delta in
            collected.withLock { $0.append(delta) }
        }
        return (reply, collected.value)
    }

    /// The conversation's stored messages, oldest first.
    func messages(_ conversation: String) async throws -> [Metachat_V1_Message] {
        var request = Metachat_V1_ListMessagesRequest()
        request.conversationID = conversation
        request.pageSize = 200
        return try await ConversationHandler(pool: self.pool).listMessages(request: request, context: self.context)
            .messages
    }

    /// The conversation now.
    func conversation(_ id: String) async throws -> Metachat_V1_Conversation {
        try await self.ledger.conversation(tenantID: self.tenantID, id: try #require(UUID(uuidString: id)))
    }

    /// The live reply pieces sent for a conversation.
    func livePieces(_ conversation: String) -> [Metachat_V1_ConversationEvent.ReplyDelta] {
        self.events.live.compactMap { event in
            guard event.conversationID == conversation, case .replyDelta(let piece) = event.payload else { return nil }
            return piece
        }
    }
}

/// An HTTP client shut down by the harness.
final class HTTPClientBox: Sendable {
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
}
