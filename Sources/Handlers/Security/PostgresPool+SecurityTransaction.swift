internal import RPCServer
internal import Storage

extension PostgresPool {
    /// Runs `body` in an admin-scope transaction (every row visible, see `docs/decisions.md`) and
    /// turns storage failures into the RPC status they map to; an ``RPCError`` thrown by `body`
    /// passes through and rolls the transaction back.
    func securityTransaction<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await self.withAdminTransaction { connection in
                try await body(connection)
            }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }
}
