internal import FoundationEssentials
internal import Storage

/// One row of `audit_log` written by the dashboard: sign-ins (also failed ones) and every action.
///
/// The actor is `dashboard:<user id>` (`dashboard:anonymous` for a failed sign-in of an unknown
/// email), so the log tells dashboard actions from API-key ones.
struct DashboardAuditEntry: Sendable {
    /// `dashboard:<user id>`.
    var actor: String
    /// What happened, e.g. `dashboard.login.succeeded`.
    var action: String
    /// The object concerned.
    var target: String
    /// The tenant concerned, if any.
    var tenantID: UUID?
    /// The client's address.
    var clientAddress: String
    /// Extra facts; never secrets.
    var details: [String: String] = [:]

    /// The actor name of a dashboard user.
    static func actor(_ userID: UUID?) -> String {
        "dashboard:" + (userID?.uuidString.lowercased() ?? "anonymous")
    }

    /// Inserts the entry (in the caller's admin-scope transaction).
    func write(on connection: PostgresConnection) async throws {
        var details = self.details
        details["clientAddress"] = self.clientAddress
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(details), as: UTF8.self)
        try await connection.execute(
            """
            INSERT INTO audit_log (tenant_id, actor, action, target, details)
            VALUES (\(self.tenantID), \(self.actor), \(self.action), \(self.target), \(PostgresValue.jsonb(json)))
            """
        )
    }
}
