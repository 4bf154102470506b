import Foundation
import Handlers
import Logging
import MetaChatAPI
import Monitoring
import Prometheus
import RPCServer
import ServiceLifecycle
import Storage
import SwiftProtobuf
import Testing

/// One request a ``ScriptedWebhookReceiver`` got.
struct ReceivedWebhook: Sendable {
    var url: String
    var headers: [String: String]
    var body: String
    var at: Date

    /// The `type` of the delivered JSON.
    var type: String {
        ((try? JSONSerialization.jsonObject(with: Data(self.body.utf8))) as? [String: Any])?["type"] as? String ?? ""
    }
}

/// A stand-in for webhook receivers: answers each URL as its script says and records every
/// request. (The interop tests run real HTTP receivers against a real server.)
final class ScriptedWebhookReceiver: WebhookTransport, @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    typealias Script = @Sendable (_ attempt: Int, _ body: String) async throws -> WebhookResponse

    private let lock = NSLock()
    private var scripts: [String: Script] = [:]
    private var receivedRequests: [ReceivedWebhook] = []

    /// Answers `url` with `script` (default for unscripted URLs: 204).
    func script(_ url: String, _ script: @escaping Script) {
        self.lock.withLock { self.scripts[url] = script }
    }

    /// Every request so far, in arrival order.
    var received: [ReceivedWebhook] { self.lock.withLock { self.receivedRequests } }

    /// The requests to `url`.
    func received(at url: String) -> [ReceivedWebhook] { self.received.filter { $0.url == url } }

    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async throws
        -> WebhookResponse
    {
        let text = String(decoding: body, as: UTF8.self)
        let (script, attempt) = self.lock.withLock { () -> (Script?, Int) in
            self.receivedRequests.append(
                ReceivedWebhook(
                    url: url, headers: Dictionary(headers, uniquingKeysWith: { $1 }), body: text, at: Date()))
            return (self.scripts[url], self.receivedRequests.filter { $0.url == url }.count)
        }
        guard let script else { return WebhookResponse(statusCode: 204, retryAfter: nil, bodyPrefix: "") }
        do {
            return try await withThrowingTaskGroup(of: WebhookResponse.self) { group in
                group.addTask { try await script(attempt, text) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw WebhookTransportError("timeout after \(timeout)", retryable: true)
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw CancellationError() }
                return first
            }
        }
    }
}

/// The secrets envelope under a key made for the test run.
let testSecretSealing = EnvelopeWebhookSecrets(
    envelope: SecretsEnvelope(current: SecretsEncryptionKey(bytes: Secrets.randomBytes(32))))

/// Accepts every URL except those on hosts named `refused.example`.
struct TestDestinationCheck: WebhookDestinationCheck {
    func check(url: String) async throws(WebhookDestinationRefusal) {
        if url.contains("refused.example") {
            throw WebhookDestinationRefusal("refused.example resolves to 10.0.0.1, a private address")
        }
    }
}

/// A migrated schema with two tenants, a ``WebhookHandler`` and (optionally running) a
/// ``WebhookRelay`` delivering to a ``ScriptedWebhookReceiver``.
struct WebhookTestHarness: Sendable {
    let pool: PostgresPool
    let handler: WebhookHandler
    let conversations: ConversationHandler
    let receiver: ScriptedWebhookReceiver
    let configuration: WebhookConfiguration
    let tenantA: String
    let tenantB: String
    /// The relay's metrics.
    let metrics: PrometheusCollectorRegistry

    /// Runs `body` against a fresh schema; with `relay`, a relay runs meanwhile.
    static func with<R: Sendable>(
        relay: Bool = true, configure: (inout WebhookConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (WebhookTestHarness) async throws -> R
    ) async throws -> R {
        var configuration = WebhookConfiguration.defaults
        configuration.pollInterval = .milliseconds(500)
        configure(&configuration)
        let settings = configuration
        return try await Self.gate.withPlace {
            try await MigratedDatabase.with(maximumConnections: 8) { pool in
                let receiver = ScriptedWebhookReceiver()
                let registry = PrometheusCollectorRegistry()
                let sender = WebhookSender(transport: receiver, timeout: settings.attemptTimeout)
                let harness = WebhookTestHarness(
                    pool: pool,
                    handler: WebhookHandler(
                        pool: pool, sender: sender, sealing: testSecretSealing, destinations: TestDestinationCheck(),
                        configuration: settings),
                    conversations: ConversationHandler(pool: pool),
                    receiver: receiver,
                    configuration: settings,
                    tenantA: try await ConversationTestHarness.makeTenant(pool, name: "A"),
                    tenantB: try await ConversationTestHarness.makeTenant(pool, name: "B"),
                    metrics: registry)
                guard relay else { return try await body(harness) }
                let service = WebhookRelay(
                    pool: pool, sender: sender, sealing: testSecretSealing, configuration: settings,
                    metrics: WebhookMetrics(registry: registry),
                    logger: Logger(label: "webhook-tests", factory: { _ in SwiftLogNoOpLogHandler() }))
                return try await withThrowingTaskGroup(of: R?.self) { group in
                    group.addTask {
                        try await service.run()
                        return nil
                    }
                    group.addTask { try await body(harness) }
                    defer { group.cancelAll() }
                    while let result = try await group.next() {
                        if let result { return result }
                    }
                    throw CancellationError()
                }
            }
        }
    }

    private static let gate = AsyncGate(limit: 1)

    /// A tenant key's context.
    func tenant(_ tenantID: String) -> ServerContext {
        ConversationTestHarness.context(.tenant(tenantID: tenantID, keyID: "key-of-\(tenantID)"))
    }

    var asA: ServerContext { self.tenant(self.tenantA) }
    var asB: ServerContext { self.tenant(self.tenantB) }

    /// Creates an endpoint as tenant A (or `context`).
    func createEndpoint(
        _ url: String, types: [Metachat_V1_WebhookEventType] = [], context: ServerContext? = nil
    ) async throws -> Metachat_V1_CreateWebhookEndpointResponse {
        var request = Metachat_V1_CreateWebhookEndpointRequest()
        request.url = url
        request.eventTypes = types
        return try await self.handler.createWebhookEndpoint(request: request, context: context ?? self.asA)
    }

    /// Creates a conversation as tenant A (or `context`): one `conversation.created` event.
    @discardableResult
    func createConversation(_ context: ServerContext? = nil, user: String = "user-1") async throws
        -> Metachat_V1_Conversation
    {
        var request = Metachat_V1_CreateConversationRequest()
        request.externalUserID = user
        return try await self.conversations.createConversation(request: request, context: context ?? self.asA)
    }

    /// The deliveries of an endpoint, newest first.
    func deliveries(_ webhookID: String, context: ServerContext? = nil) async throws -> [Metachat_V1_WebhookDelivery] {
        var request = Metachat_V1_ListWebhookDeliveriesRequest()
        request.webhookID = webhookID
        request.pageSize = 200
        return try await self.handler.listWebhookDeliveries(request: request, context: context ?? self.asA).deliveries
    }

    /// One delivery with its attempts.
    func delivery(_ webhookID: String, _ id: String) async throws -> Metachat_V1_WebhookDelivery {
        var request = Metachat_V1_GetWebhookDeliveryRequest()
        request.webhookID = webhookID
        request.deliveryID = id
        return try await self.handler.getWebhookDelivery(request: request, context: self.asA)
    }

    /// An endpoint as tenant A sees it.
    func endpoint(_ id: String) async throws -> Metachat_V1_WebhookEndpoint {
        var request = Metachat_V1_GetWebhookEndpointRequest()
        request.webhookID = id
        return try await self.handler.getWebhookEndpoint(request: request, context: self.asA)
    }
}
