internal import FoundationEssentials
internal import Storage

/// One row of `audit_log`, written in the same transaction as the change it records.
struct AuditEntry: Sendable {
    /// Who made the change: an admin user's id, `bootstrap` (the global key) or `seed-admin` (the CLI).
    var actor: String
    /// What happened, e.g. `api_key.rotation.confirmed`.
    var action: String
    /// The changed object's id.
    var target: String
    /// The tenant concerned, if any.
    var tenantID: UUID?
    /// The request id of the call that made the change.
    var requestID: String?
    /// Extra facts; never secrets.
    var details: [String: String] = [:]

    /// Inserts the entry.
    func write(on connection: PostgresConnection) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(self.details)
        try await connection.execute(
            """
            INSERT INTO audit_log (tenant_id, actor, action, target, request_id, details)
            VALUES (\(self.tenantID), \(self.actor), \(self.action), \(self.target), \(self.requestID), \
            \(PostgresValue.jsonb(String(decoding: json, as: UTF8.self))))
            """
        )
    }
}
