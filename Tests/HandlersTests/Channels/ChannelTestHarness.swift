import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import Testing

/// A stand-in for the Graph API: answers each request as its script says and records it.
final class ScriptedGraphAPI: GraphAPITransport, @unchecked Sendable {
    // @unchecked: every access goes through `lock`.
    /// One request the stand-in got.
    struct Request: Sendable {
        var method: String
        var path: String
        var accessToken: String
        var body: String?
    }

    typealias Script = @Sendable (Request) throws -> GraphAPIResponse

    private let lock = NSLock()
    private var script: Script = { _ in GraphAPIResponse(statusCode: 200, body: Array(#"{"id":"1"}"#.utf8)) }
    private var requests: [Request] = []

    /// Answers every later request with `script`.
    func answer(_ script: @escaping Script) {
        self.lock.withLock { self.script = script }
    }

    /// Every request so far.
    var received: [Request] { self.lock.withLock { self.requests } }

    func send(method: String, path: String, accessToken: String, body: [UInt8]?) async throws -> GraphAPIResponse {
        let request = Request(
            method: method, path: path, accessToken: accessToken, body: body.map { String(decoding: $0, as: UTF8.self) }
        )
        let script = self.lock.withLock {
            self.requests.append(request)
            return self.script
        }
        return try script(request)
    }
}

/// A migrated schema with two tenants and a ``ChannelHandler`` talking to a ``ScriptedGraphAPI``.
struct ChannelTestHarness: Sendable {
    let pool: PostgresPool
    let handler: ChannelHandler
    let graph: ScriptedGraphAPI
    let tenantA: String
    let tenantB: String

    static let configuration = ChannelConfiguration(
        publicBaseURL: "https://chat.example.com/", graphBaseURL: "http://127.0.0.1:1", graphVersion: "v21.0")

    /// Runs `body` against a fresh schema.
    static func with<R: Sendable>(_ body: @escaping @Sendable (ChannelTestHarness) async throws -> R) async throws -> R
    {
        try await MigratedDatabase.with(maximumConnections: 8) { pool in
            let graph = ScriptedGraphAPI()
            let harness = ChannelTestHarness(
                pool: pool,
                handler: ChannelHandler(
                    pool: pool, sealing: ChannelSecretSealing(envelope: .forTests), graph: graph,
                    configuration: Self.configuration),
                graph: graph,
                tenantA: try await ConversationTestHarness.makeTenant(pool, name: "A"),
                tenantB: try await ConversationTestHarness.makeTenant(pool, name: "B"))
            return try await body(harness)
        }
    }

    /// A tenant key's context.
    func tenant(_ tenantID: String) -> ServerContext {
        ConversationTestHarness.context(.tenant(tenantID: tenantID, keyID: "key-of-\(tenantID)"))
    }

    var asA: ServerContext { self.tenant(self.tenantA) }
    var asB: ServerContext { self.tenant(self.tenantB) }

    /// A WhatsApp channel's create request.
    static func whatsAppRequest(name: String = "Support WhatsApp") -> Metachat_V1_CreateChannelRequest {
        var request = Metachat_V1_CreateChannelRequest()
        request.name = name
        var config = Metachat_V1_WhatsAppConfig()
        config.phoneNumberID = "1065550001"
        config.businessAccountID = "2065550002"
        config.accessToken = "EAAG-access-token-WXYZ"
        config.appSecret = "app-secret-0123456789abcdef"
        config.verifyToken = "verify-me-please"
        request.whatsapp = config
        return request
    }

    /// A Messenger channel's create request.
    static func messengerRequest(name: String = "Page") -> Metachat_V1_CreateChannelRequest {
        var request = Metachat_V1_CreateChannelRequest()
        request.name = name
        var config = Metachat_V1_MessengerConfig()
        config.pageID = "3065550003"
        config.pageAccessToken = "EAAP-page-token-PAGE"
        config.appSecret = "messenger-app-secret"
        config.verifyToken = "verify-messenger"
        request.messenger = config
        return request
    }

    /// Creates a channel as tenant A (or `context`).
    func create(_ request: Metachat_V1_CreateChannelRequest, context: ServerContext? = nil) async throws
        -> Metachat_V1_Channel
    {
        try await self.handler.createChannel(request: request, context: context ?? self.asA)
    }

    /// A channel as tenant A (or `context`) sees it.
    func channel(_ id: String, context: ServerContext? = nil) async throws -> Metachat_V1_Channel {
        var request = Metachat_V1_GetChannelRequest()
        request.channelID = id
        return try await self.handler.getChannel(request: request, context: context ?? self.asA)
    }

    /// The stored (sealed) credential columns of a channel.
    func storedCredentials(_ id: String) async throws -> [String?] {
        try await self.pool.withAdminTransaction { connection in
            let rows = try await connection.query(
                "SELECT access_token, app_secret, verify_token FROM channels WHERE id::text = \(id)")
            return try rows.first.map {
                [
                    try $0.decode("access_token", as: String?.self), try $0.decode("app_secret", as: String?.self),
                    try $0.decode("verify_token", as: String?.self),
                ]
            } ?? []
        }
    }
}
