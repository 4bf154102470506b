import Foundation
import Handlers
import RPCServer
import Storage
import Testing

/// Rows and calls for the authentication tests: tenants, admins and keys inserted with SQL, keys
/// hashed with ``ApiKeyMaterial`` under ``pepper``, and calls run through interceptors to a stub
/// handler.
struct AuthFixture {
    /// The pepper the tests hash keys under.
    static let pepper = Array("pepper for the authentication tests".utf8)

    let pool: PostgresPool

    /// A method that is not on the public list.
    static let tenantMethod = MethodDescriptor(service: "metachat.v1.TenantService", method: "GetTenant", kind: .unary)

    /// Inserts a tenant.
    func tenant(enabled: Bool = true, settings: String = "{}") async throws -> UUID {
        try await self.pool.withAdminTransaction { connection in
            try await connection.query(
                """
                INSERT INTO tenants (name, enabled, disabled_at, settings)
                VALUES ('t', \(enabled), CASE WHEN \(enabled) THEN NULL ELSE now() END, \(PostgresValue.jsonb(settings)))
                RETURNING id
                """
            )[0].decode("id", as: UUID.self)
        }
    }

    /// Inserts an admin user.
    func admin(role: String) async throws -> UUID {
        try await self.pool.withAdminTransaction { connection in
            try await connection.query(
                "INSERT INTO admin_users (email, role) VALUES (\(UUID().uuidString + "@example.com"), \(role)) RETURNING id"
            )[0].decode("id", as: UUID.self)
        }
    }

    /// Inserts a key for a tenant or an admin and returns its id and plaintext material.
    func key(
        tenant: UUID? = nil, admin: UUID? = nil, active: Bool = true, expiresAt: Date? = nil
    ) async throws -> (id: UUID, material: ApiKeyMaterial) {
        let material = ApiKeyMaterial(generating: admin == nil ? .tenant : .admin)
        let id = try await self.pool.withAdminTransaction { connection in
            try await connection.query(
                """
                INSERT INTO api_keys (owner_kind, admin_id, tenant_id, label, prefix, last_four, key_hash, active,
                                      revoked_at, expires_at)
                VALUES (\(admin == nil ? "tenant" : "admin"), \(admin), \(tenant), \(UUID().uuidString), \(material.prefix),
                        \(material.lastFour), \(material.hash(pepper: Self.pepper)), \(active),
                        CASE WHEN \(active) THEN NULL ELSE now() END, \(expiresAt))
                RETURNING id
                """
            )[0].decode("id", as: UUID.self)
        }
        return (id, material)
    }

    /// Runs one SQL statement in the admin scope.
    func execute(_ query: PostgresQuery) async throws {
        try await self.pool.withAdminTransaction { connection in
            _ = try await connection.execute(query)
        }
    }

    /// Runs `interceptors` around a stub handler through an ``RPCDispatcher`` (the chain every
    /// face runs: only the interceptors that apply to `method`, immediate decisions first) and
    /// returns the context the handler saw.
    static func call(
        _ interceptors: [any ServerInterceptor],
        method: MethodDescriptor = Self.tenantMethod,
        metadata: [String: String] = [:],
        peer: String = "ipv4:192.0.2.7:40000",
        connection: ConnectionValues? = nil,
        transport: CallTransport = .grpc
    ) async throws -> ServerContext {
        var requestMetadata = Metadata()
        for (key, value) in metadata { requestMetadata.addString(value, forKey: key) }
        let context = ServerContext(
            descriptor: method, requestMetadata: requestMetadata, peer: peer, requestID: "test", connection: connection,
            transport: transport)
        let seen = Seen()
        var router = RPCRouter()
        router.register(
            RPCMethodHandler(
                descriptor: method,
                unary: { request, context in
                    await seen.set(context)
                    return request
                }))
        let dispatcher = RPCDispatcher(router: router, interceptors: interceptors)
        let handler = try #require(dispatcher.router.handler(forPath: method.path))
        _ = try await dispatcher.unary(handler, request: [], context: context)
        return try #require(await seen.context)
    }

    private actor Seen {
        var context: ServerContext?
        func set(_ context: ServerContext) { self.context = context }
    }
}

/// The status a call ended with, or `nil` when it succeeded.
func statusOf(_ body: () async throws -> Void) async -> RPCError? {
    do {
        try await body()
        return nil
    } catch let error as RPCError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}
