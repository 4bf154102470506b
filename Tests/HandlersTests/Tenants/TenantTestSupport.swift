import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

/// Records which tenants the handler announced as changed.
actor RecordingTenantChangeListener: TenantChangeListener {
    private(set) var changed: [String] = []

    func tenantChanged(tenantID: String) async {
        self.changed.append(tenantID)
    }
}

/// Callers the tenant tests act as.
enum TestCaller {
    static let superAdminID = "0b6f2a4e-1111-4c3b-9a55-000000000001"
    static let standardAdminID = "0b6f2a4e-2222-4c3b-9a55-000000000002"

    static let superAdmin = Principal.admin(adminID: superAdminID, keyID: "key-super", role: .super)
    static let standardAdmin = Principal.admin(adminID: standardAdminID, keyID: "key-standard", role: .standard)

    static func tenant(_ id: String) -> Principal {
        .tenant(tenantID: id, keyID: "key-of-\(id)")
    }

    /// A call context carrying `principal` (none when `nil`) and `requestID`.
    static func context(_ principal: Principal?, requestID: String = "req-test") -> ServerContext {
        var context = ServerContext(
            descriptor: Metachat_V1_TenantService.Method.getTenant,
            requestMetadata: [:],
            peer: "test",
            requestID: requestID
        )
        context.principal = principal
        return context
    }
}

/// Builders and checks the tenant tests share.
enum TenantFixtures {
    static let llmKey = "sk-llm-secret-0123456789-WXYZ"
    static let embeddingKey = "sk-emb-secret-9876543210-ABCD"

    /// A create request with a name, some settings (both API keys included) and metadata.
    static func createRequest(name: String = "Acme") -> Metachat_V1_CreateTenantRequest {
        var request = Metachat_V1_CreateTenantRequest()
        request.name = name
        request.settings.llm.provider = .openai
        request.settings.llm.model = "gpt-4o-mini"
        request.settings.llm.temperature = Google_Protobuf_DoubleValue(0.7)
        request.settings.llm.apiKey = llmKey
        request.settings.rag.topK = 8
        request.settings.rag.textSearchLanguage = "english"
        request.settings.rag.embedding.apiKey = embeddingKey
        request.settings.widget.primaryColor = "#112233"
        request.settings.widget.allowedOrigins = ["https://shop.example.com", "http://localhost:3000"]
        request.metadata = ["plan": "gold"]
        return request
    }

    /// Creates a tenant as the super admin.
    static func create(
        _ handler: TenantHandler, name: String = "Acme",
        configure: (inout Metachat_V1_CreateTenantRequest) -> Void = { _ in }
    ) async throws -> Metachat_V1_Tenant {
        var request = self.createRequest(name: name)
        configure(&request)
        return try await handler.createTenant(request: request, context: TestCaller.context(TestCaller.superAdmin))
    }

    /// Fails the test when `message`'s JSON (and binary form) contains either API key.
    static func expectNoSecrets(
        _ message: some SwiftProtobuf.Message, sourceLocation: SourceLocation = #_sourceLocation
    )
        throws
    {
        let json = try message.jsonString()
        let binary = String(decoding: try message.serializedBytes() as [UInt8], as: UTF8.self)
        for secret in [llmKey, embeddingKey] {
            #expect(!json.contains(secret), "the JSON answer holds a secret", sourceLocation: sourceLocation)
            #expect(!binary.contains(secret), "the binary answer holds a secret", sourceLocation: sourceLocation)
        }
    }

    /// The status code `body` failed with, or `nil` when it succeeded.
    static func code(of body: () async throws -> some Any) async -> RPCError.Code? {
        do {
            _ = try await body()
            return nil
        } catch let error as RPCError {
            return error.code
        } catch {
            return .unknown
        }
    }

    /// The error `body` threw as an ``RPCError``; records an issue when it succeeded.
    static func rpcError(
        sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> some Any
    ) async -> RPCError? {
        do {
            _ = try await body()
            Issue.record("expected an error", sourceLocation: sourceLocation)
            return nil
        } catch let error as RPCError {
            return error
        } catch {
            Issue.record("expected an RPCError, got \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// The audit entries about `tenantID`, oldest first.
    static func auditRows(_ pool: PostgresPool, tenantID: String) async throws -> [(
        actor: String, action: String, target: String?, requestID: String?, details: String
    )] {
        guard let id = UUID(uuidString: tenantID) else { return [] }
        return try await pool.withAdminTransaction { connection in
            try await connection.query(
                "SELECT actor, action, target, request_id, details FROM audit_log WHERE tenant_id = \(id) ORDER BY id"
            ).map {
                (
                    try $0.decode("actor", as: String.self), try $0.decode("action", as: String.self),
                    try $0.decode("target", as: String?.self), try $0.decode("request_id", as: String?.self),
                    try $0.decode("details", as: String.self)
                )
            }
        }
    }
}
