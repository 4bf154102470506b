internal import FoundationEssentials
internal import Storage

/// The SQL of the channel methods, on a connection inside a transaction scoped to the tenant.
struct ChannelStore {
    /// The connection, inside the tenant's transaction.
    let connection: PostgresConnection
    /// The tenant.
    let tenantID: UUID
    /// `API_URL`, for callback URLs.
    let publicBaseURL: String

    /// Sorts after every real ID (the first page's cursor).
    static let largestID = UUID(
        uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))

    /// Inserts a channel.
    func insert(id: UUID, type: String, widgetID: String?, _ write: ChannelWrite) async throws -> ChannelRow {
        let rows = try await self.connection.query(
            """
            INSERT INTO channels (tenant_id, id, type, name, enabled, widget_id, allowed_origins, greeting,
                phone_number_id, business_account_id, page_id, access_token, access_token_last_four, app_secret,
                app_secret_last_four, verify_token, verify_token_last_four)
            VALUES (\(self.tenantID), \(id), \(type), \(write.name ?? ""), \(write.enabled ?? true), \(widgetID), \
            \(ChannelWrite.originsLiteral(write.allowedOrigins ?? []))::text[], \(write.greeting ?? ""), \
            \(write.phoneNumberID), \(write.businessAccountID), \(write.pageID), \
            \(write.accessToken?.sealed), \(write.accessToken?.lastFour ?? ""), \
            \(write.appSecret?.sealed), \(write.appSecret?.lastFour ?? ""), \
            \(write.verifyToken?.sealed), \(write.verifyToken?.lastFour ?? ""))
            RETURNING \(unescaped: ChannelRow.columns)
            """
        )
        return try ChannelRow(rows[0], publicBaseURL: self.publicBaseURL)
    }

    /// The channel with `id`, locked for the transaction when `forUpdate`; `nil` when the tenant
    /// has none.
    func find(_ id: UUID, forUpdate: Bool = false) async throws -> ChannelRow? {
        let lock: StaticString = forUpdate ? "FOR UPDATE" : ""
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: ChannelRow.columns) FROM channels
            WHERE tenant_id = \(self.tenantID) AND id = \(id) \(unescaped: lock)
            """
        )
        return try rows.first.map { try ChannelRow($0, publicBaseURL: self.publicBaseURL) }
    }

    /// Up to `limit` channels, newest first, after the cursor, with the filters.
    func list(after cursor: (micros: Int64, id: UUID)?, limit: Int, type: String?, enabled: Bool?) async throws
        -> [ChannelRow]
    {
        let micros = cursor?.micros ?? Int64.max
        let afterID = cursor?.id ?? Self.largestID
        let rows = try await self.connection.query(
            """
            SELECT \(unescaped: ChannelRow.columns) FROM channels
            WHERE tenant_id = \(self.tenantID)
              AND (created_at, id) < (to_timestamp(\(micros)::float8 / 1000000), \(afterID))
              AND (\(type)::text IS NULL OR type = \(type)::text)
              AND (\(enabled)::bool IS NULL OR enabled = \(enabled)::bool)
            ORDER BY created_at DESC, id DESC LIMIT \(Int64(limit))
            """
        )
        return try rows.map { try ChannelRow($0, publicBaseURL: self.publicBaseURL) }
    }

    /// Writes the given columns of a channel.
    func update(_ id: UUID, _ write: ChannelWrite) async throws -> ChannelRow? {
        let rows = try await self.connection.query(
            """
            UPDATE channels SET
                name = coalesce(\(write.name)::text, name),
                enabled = coalesce(\(write.enabled)::bool, enabled),
                allowed_origins = coalesce(\(write.allowedOrigins.map(ChannelWrite.originsLiteral))::text[],
                    allowed_origins),
                greeting = coalesce(\(write.greeting)::text, greeting),
                phone_number_id = coalesce(\(write.phoneNumberID)::text, phone_number_id),
                business_account_id = coalesce(\(write.businessAccountID)::text, business_account_id),
                page_id = coalesce(\(write.pageID)::text, page_id),
                access_token = coalesce(\(write.accessToken?.sealed)::text, access_token),
                access_token_last_four = coalesce(\(write.accessToken?.lastFour)::text, access_token_last_four),
                app_secret = coalesce(\(write.appSecret?.sealed)::text, app_secret),
                app_secret_last_four = coalesce(\(write.appSecret?.lastFour)::text, app_secret_last_four),
                verify_token = coalesce(\(write.verifyToken?.sealed)::text, verify_token),
                verify_token_last_four = coalesce(\(write.verifyToken?.lastFour)::text, verify_token_last_four),
                -- A new token may cure the last error: the next send or test says.
                updated_at = now()
            WHERE tenant_id = \(self.tenantID) AND id = \(id)
            RETURNING \(unescaped: ChannelRow.columns)
            """
        )
        return try rows.first.map { try ChannelRow($0, publicBaseURL: self.publicBaseURL) }
    }

    /// Deletes a channel with its credentials; `false` when the tenant has none with `id`.
    func delete(_ id: UUID) async throws -> Bool {
        try await self.connection.execute(
            "DELETE FROM channels WHERE tenant_id = \(self.tenantID) AND id = \(id)") > 0
    }

    /// Records the outcome of a call to the platform in the channel's health: a success stamps
    /// `last_send_at` (when `isSend`) and clears the last error; a failure records it.
    func recordOutcome(_ id: UUID, error: String?, isSend: Bool) async throws {
        _ = try await self.connection.execute(
            """
            UPDATE channels SET
                last_send_at = CASE WHEN \(error)::text IS NULL AND \(isSend) THEN now() ELSE last_send_at END,
                last_error = coalesce(left(\(error)::text, 1000), ''),
                last_error_at = CASE WHEN \(error)::text IS NULL THEN NULL ELSE now() END
            WHERE tenant_id = \(self.tenantID) AND id = \(id)
            """
        )
    }
}
