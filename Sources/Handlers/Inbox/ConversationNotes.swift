package import FoundationEssentials
internal import RPCServer
package import Storage

/// Agents' private notes on a conversation (`conversation_notes`): for the tenant's agents only.
/// A note is not a message: it writes no conversation event, so it never reaches the customer,
/// a channel, webhooks or the event bus.
package struct ConversationNotes: Sendable {
    /// A stored note.
    package struct Note: Sendable, Hashable {
        /// The note's id.
        package var id: UUID
        /// Who wrote it.
        package var author: String
        /// The text.
        package var text: String
        /// When, as RFC 3339 text in UTC.
        package var createdAt: String
    }

    private let pool: PostgresPool

    /// Creates the store.
    package init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Adds a note.
    ///
    /// - Throws: `INVALID_ARGUMENT` naming `text` (1–8000 characters, not blank, line breaks
    ///   allowed) or `author`; `NOT_FOUND` for a conversation the tenant does not have.
    @discardableResult
    package func add(tenantID: UUID, conversationID: UUID, author: String, text: String) async throws -> Note {
        try ConversationFieldRules.text(text, allowEmpty: false)
        let author = try ConversationFieldRules.identifier(author, field: "author")
        return try await self.transaction(tenantID) { connection in
            let found = try await connection.query(
                "SELECT 1 AS found FROM conversations WHERE tenant_id = \(tenantID) AND id = \(conversationID) FOR SHARE"
            )
            guard !found.isEmpty else { throw ConversationLedger.notFound(conversationID) }
            let rows = try await connection.query(
                """
                INSERT INTO conversation_notes (tenant_id, conversation_id, author, text)
                VALUES (\(tenantID), \(conversationID), \(author), \(text))
                RETURNING \(unescaped: Self.columns)
                """)
            return try Self.note(rows[0])
        }
    }

    /// The conversation's notes, oldest first (at most 500).
    package func list(tenantID: UUID, conversationID: UUID) async throws -> [Note] {
        try await self.transaction(tenantID) { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM conversation_notes
                WHERE tenant_id = \(tenantID) AND conversation_id = \(conversationID)
                ORDER BY created_at, id LIMIT 500
                """)
            return try rows.map(Self.note)
        }
    }

    private static let columns: StaticString = """
        id, author, text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created
        """

    private static func note(_ row: PostgresRow) throws -> Note {
        Note(
            id: try row.decode("id"), author: try row.decode("author"), text: try row.decode("text"),
            createdAt: try row.decode("created"))
    }

    private func transaction<Result: Sendable>(
        _ tenantID: UUID, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await self.pool.withTenantTransaction(tenantID: tenantID) { connection in
                try await body(connection)
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }
}
