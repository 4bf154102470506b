internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage
internal import SwiftProtobuf

/// What the orchestrator needs of a tenant: its settings and its stored provider key.
struct ChatTenantSettings: Sendable {
    /// The settings (`tenants.settings`).
    var settings: Metachat_V1_TenantSettings
    /// The stored `llm_api_key` as the column holds it (sealed or not); `nil` when none.
    var storedAPIKey: String?
    /// The tenant's name (the brand in the system prompt).
    var name: String

    /// Reads them.
    ///
    /// - Throws: `NOT_FOUND` when the tenant does not exist, `FAILED_PRECONDITION` when it is
    ///   disabled, `UNAVAILABLE` when PostgreSQL is.
    static func load(_ tenantID: UUID, pool: PostgresPool) async throws -> ChatTenantSettings {
        let row: (settings: String, key: String?, enabled: Bool, name: String)?
        do {
            row = try await pool.withTenantTransaction(tenantID: tenantID) { connection in
                let rows = try await connection.query(
                    "SELECT settings::text AS settings, llm_api_key, enabled, name FROM tenants WHERE id = \(tenantID)")
                guard let first = rows.first else { return nil }
                return (
                    try first.decode("settings", as: String.self), try first.decode("llm_api_key", as: String?.self),
                    try first.decode("enabled", as: Bool.self), try first.decode("name", as: String.self)
                )
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
        guard let row else {
            throw RPCError(code: .notFound, message: "Tenant \(tenantID.lowercasedString) was not found.")
        }
        guard row.enabled else {
            throw RPCError(code: .failedPrecondition, message: "The tenant is disabled.")
        }
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        let settings = (try? Metachat_V1_TenantSettings(jsonString: row.settings, options: options)) ?? .init()
        return ChatTenantSettings(settings: settings, storedAPIKey: row.key, name: row.name)
    }
}
