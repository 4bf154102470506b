internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage

/// Reads and writes `api_keys` for admin users and tenants: creation, listing, revocation and the two
/// rotation steps. Every change writes its audit entry in the same transaction; callers announce the
/// change to a ``KeyChangeListener`` after it returns.
struct ApiKeyStore: Sendable {
    let pool: PostgresPool
    /// The server's pepper for key and token hashes.
    let pepper: [UInt8]

    /// A key just created or rotated: its plaintext (shown once) and its metadata.
    struct IssuedKey: Sendable {
        var material: ApiKeyMaterial
        var record: ApiKeyRecord
    }

    /// Creates a key.
    ///
    /// - Throws: `NOT_FOUND` for an unknown owner, `FAILED_PRECONDITION` for a disabled tenant,
    ///   `ALREADY_EXISTS` when an active key of the owner has the label.
    func create(owner: ApiKeyOwner, label: String, expiresAt: Date?, actor: AuditActor) async throws -> IssuedKey {
        try await self.pool.securityTransaction { connection in
            let enabled = try await Self.requireOwner(owner, on: connection)
            guard enabled else {
                throw RPCError(code: .failedPrecondition, message: "The \(owner.noun) is disabled.")
            }
            let material = ApiKeyMaterial(generating: owner.materialKind)
            var adminID: UUID? = nil
            var tenantID: UUID? = nil
            switch owner {
            case .admin(let id): adminID = id
            case .tenant(let id): tenantID = id
            }
            let insert: PostgresQuery = """
                INSERT INTO api_keys (owner_kind, admin_id, tenant_id, label, prefix, last_four, key_hash, expires_at)
                VALUES (\(owner.kind), \(adminID), \(tenantID), \(label), \(material.prefix), \(material.lastFour), \
                \(material.hash(pepper: self.pepper)), \(expiresAt))
                """
            let record = try ApiKeyRecord(row: try await connection.query(Self.returningKey(insert))[0])
            try await Self.audit("api_key.created", record: record, owner: owner, actor: actor, on: connection)
            return IssuedKey(material: material, record: record)
        }
    }

    /// One page of an owner's keys, newest first, and whether more follow.
    ///
    /// - Throws: `NOT_FOUND` for an unknown owner.
    func list(owner: ApiKeyOwner, includeRevoked: Bool, page: PageRequest) async throws -> (
        keys: [ApiKeyRecord], hasMore: Bool
    ) {
        try await self.pool.securityTransaction { connection in
            _ = try await Self.requireOwner(owner, on: connection)
            let rows = try await connection.query(
                Self.selectKeys(
                    """
                    WHERE owner_kind = \(owner.kind) AND coalesce(admin_id, tenant_id) = \(owner.id) \
                    AND (\(includeRevoked) OR active) ORDER BY created_at DESC, id DESC \
                    LIMIT \(page.size + 1) OFFSET \(page.offset)
                    """
                )
            )
            let keys = try rows.map(ApiKeyRecord.init(row:))
            return (Array(keys.prefix(page.size)), keys.count > page.size)
        }
    }

    /// The owner's active key with this label, if any.
    func findActive(owner: ApiKeyOwner, label: String) async throws -> ApiKeyRecord? {
        try await self.pool.securityTransaction { connection in
            let rows = try await connection.query(
                Self.selectKeys(
                    """
                    WHERE owner_kind = \(owner.kind) AND coalesce(admin_id, tenant_id) = \(owner.id) \
                    AND label = \(label) AND active
                    """
                )
            )
            return try rows.first.map(ApiKeyRecord.init(row:))
        }
    }

    /// Revokes a key at once, recording when; revoking a revoked key changes nothing (its
    /// `revoked_at` stays the first revocation's) and answers it.
    ///
    /// - Parameter protectLastKey: Refuse when the key is its owner's last active key (an admin
    ///   revoking their own).
    /// - Returns: The key and whether this call revoked it.
    /// - Throws: `NOT_FOUND` for an unknown owner or key, `FAILED_PRECONDITION` for a protected last key.
    func revoke(owner: ApiKeyOwner, keyID: UUID, protectLastKey: Bool, actor: AuditActor) async throws -> (
        record: ApiKeyRecord, changed: Bool
    ) {
        try await self.pool.securityTransaction { connection in
            _ = try await Self.requireOwner(owner, on: connection)
            let existing = try await Self.requireKey(keyID, of: owner, on: connection)
            if protectLastKey && existing.notRevoked {
                let others = try await connection.query(
                    """
                    SELECT count(*) AS n FROM api_keys WHERE owner_kind = \(owner.kind) \
                    AND coalesce(admin_id, tenant_id) = \(owner.id) AND id <> \(keyID) AND active \
                    AND (expires_at IS NULL OR expires_at > now())
                    """
                )[0].decode("n", as: Int.self)
                guard others > 0 else {
                    throw RPCError(
                        code: .failedPrecondition,
                        message: "This is your last active key; create another before revoking it."
                    )
                }
            }
            let update: PostgresQuery = """
                UPDATE api_keys SET active = false, revoked_at = now(), pending_rotation_token_hash = NULL, \
                pending_rotation_expires_at = NULL, previous_key_hash = NULL, previous_key_valid_until = NULL \
                WHERE id = \(keyID) AND active
                """
            guard let row = try await connection.query(Self.returningKey(update)).first else {
                return (existing, false)
            }
            let record = try ApiKeyRecord(row: row)
            try await Self.audit("api_key.revoked", record: record, owner: owner, actor: actor, on: connection)
            return (record, true)
        }
    }

    /// Step one of a rotation: issues a token valid for `lifetime`, replacing any pending one.
    ///
    /// - Returns: The plaintext token (shown once) and when it expires.
    /// - Throws: `NOT_FOUND` for an unknown owner or key, `FAILED_PRECONDITION` for a revoked or
    ///   expired key.
    func startRotation(owner: ApiKeyOwner, keyID: UUID, lifetime: Duration, actor: AuditActor) async throws -> (
        token: String, expiresAt: Date
    ) {
        try await self.pool.securityTransaction { connection in
            _ = try await Self.requireOwner(owner, on: connection)
            let token = RotationToken()
            let rows = try await connection.query(
                """
                UPDATE api_keys SET pending_rotation_token_hash = \(token.hash(pepper: self.pepper)), \
                pending_rotation_expires_at = now() + \(Self.seconds(lifetime)) * interval '1 second' \
                WHERE id = \(keyID) AND owner_kind = \(owner.kind) AND coalesce(admin_id, tenant_id) = \(owner.id) \
                AND active AND (expires_at IS NULL OR expires_at > now()) \
                RETURNING pending_rotation_expires_at
                """
            )
            guard let row = rows.first else {
                let record = try await Self.requireKey(keyID, of: owner, on: connection)
                throw Self.notRotatable(record)
            }
            let expiresAt = try row.decode("pending_rotation_expires_at", as: Date.self)
            try await AuditEntry(
                actor: actor.name, action: "api_key.rotation.started", target: keyID.lowercasedString,
                tenantID: owner.tenantID, requestID: actor.requestID
            ).write(on: connection)
            return (token.plaintext, expiresAt)
        }
    }

    /// Step two of a rotation: exchanges the pending token for a new secret under the same key id.
    ///
    /// One `UPDATE` matches the token and swaps the secret, so of many concurrent confirmations of one
    /// token exactly one succeeds. With a `gracePeriod` above zero the old secret's hash stays in
    /// `previous_key_hash` until it ends; otherwise the old secret stops working at once.
    ///
    /// - Throws: `INVALID_ARGUMENT` for a missing, wrong, expired or already used token or when no
    ///   rotation is pending; `NOT_FOUND` for an unknown owner or key; `FAILED_PRECONDITION` for a
    ///   revoked or expired key.
    func confirmRotation(
        owner: ApiKeyOwner, keyID: UUID, token: String, gracePeriod: Duration, actor: AuditActor
    ) async throws -> IssuedKey {
        guard !token.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "token is required: the rotationToken from the start step.")
        }
        let tokenHash = RotationToken(presented: token).hash(pepper: self.pepper)
        return try await self.pool.securityTransaction { connection in
            _ = try await Self.requireOwner(owner, on: connection)
            let material = ApiKeyMaterial(generating: owner.materialKind)
            let grace = Self.seconds(gracePeriod)
            let update: PostgresQuery = """
                UPDATE api_keys SET prefix = \(material.prefix), last_four = \(material.lastFour), \
                key_hash = \(material.hash(pepper: self.pepper)), rotated_at = now(), \
                pending_rotation_token_hash = NULL, pending_rotation_expires_at = NULL, \
                previous_key_hash = CASE WHEN \(grace) > 0 THEN key_hash END, \
                previous_key_valid_until = CASE WHEN \(grace) > 0 THEN now() + \(grace) * interval '1 second' END \
                WHERE id = \(keyID) AND owner_kind = \(owner.kind) AND coalesce(admin_id, tenant_id) = \(owner.id) \
                AND active AND (expires_at IS NULL OR expires_at > now()) \
                AND pending_rotation_token_hash = \(tokenHash) AND pending_rotation_expires_at > now()
                """
            guard let row = try await connection.query(Self.returningKey(update)).first else {
                throw try await Self.confirmationFailure(
                    keyID: keyID, owner: owner, tokenHash: tokenHash, on: connection)
            }
            let record = try ApiKeyRecord(row: row)
            try await AuditEntry(
                actor: actor.name, action: "api_key.rotation.confirmed", target: keyID.lowercasedString,
                tenantID: owner.tenantID, requestID: actor.requestID, details: ["tokenHash": Hex.encode(tokenHash)]
            ).write(on: connection)
            try await Self.announce(.apiKeyRotated, record: record, owner: owner, actor: actor, on: connection)
            return IssuedKey(material: material, record: record)
        }
    }

    // MARK: - Helpers

    /// Why a confirmation's `UPDATE` matched no row, read after it.
    private static func confirmationFailure(
        keyID: UUID, owner: ApiKeyOwner, tokenHash: [UInt8], on connection: PostgresConnection
    ) async throws -> RPCError {
        let record = try await Self.requireKey(keyID, of: owner, on: connection)
        if !record.notRevoked || !record.unexpired {
            return Self.notRotatable(record)
        }
        let pending = try await connection.query(
            """
            SELECT pending_rotation_token_hash AS hash, pending_rotation_expires_at > now() AS live \
            FROM api_keys WHERE id = \(keyID)
            """
        )[0]
        let pendingHash = try pending.decode("hash", as: [UInt8]?.self)
        let used = try await connection.query(
            """
            SELECT 1 AS used FROM audit_log WHERE action = 'api_key.rotation.confirmed' \
            AND target = \(keyID.lowercasedString) AND details ->> 'tokenHash' = \(Hex.encode(tokenHash)) LIMIT 1
            """
        )
        if !used.isEmpty {
            return RPCError(
                code: .invalidArgument, message: "The rotation token was already used; start a new rotation.")
        }
        guard let pendingHash else {
            return RPCError(
                code: .invalidArgument, message: "No rotation is pending for this key; start one first.")
        }
        guard Secrets.constantTimeEquals(pendingHash, tokenHash) else {
            return RPCError(code: .invalidArgument, message: "The rotation token does not match the pending rotation.")
        }
        if try pending.decode("live", as: Bool.self) {
            // The row changed between the UPDATE and this read: a concurrent confirmation won.
            return RPCError(
                code: .invalidArgument, message: "The rotation token was already used; start a new rotation.")
        }
        return RPCError(
            code: .invalidArgument, message: "The rotation token has expired; start the rotation again.")
    }

    /// The error for starting or confirming a rotation of a revoked or expired key.
    private static func notRotatable(_ record: ApiKeyRecord) -> RPCError {
        let id = record.id.lowercasedString
        if !record.notRevoked {
            return RPCError(code: .failedPrecondition, message: "API key \(id) is revoked; it cannot be rotated.")
        }
        return RPCError(code: .failedPrecondition, message: "API key \(id) has expired; it cannot be rotated.")
    }

    /// Checks that the owner exists.
    ///
    /// - Returns: Whether the owner is enabled (admin users always are).
    /// - Throws: `NOT_FOUND` when it does not exist.
    private static func requireOwner(_ owner: ApiKeyOwner, on connection: PostgresConnection) async throws -> Bool {
        let rows: PostgresRows
        switch owner {
        case .admin(let id):
            rows = try await connection.query("SELECT true AS enabled FROM admin_users WHERE id = \(id)")
        case .tenant(let id):
            rows = try await connection.query("SELECT enabled FROM tenants WHERE id = \(id)")
        }
        guard let row = rows.first else {
            let noun = owner.noun
            throw RPCError(code: .notFound, message: noun.prefix(1).uppercased() + noun.dropFirst() + " was not found.")
        }
        return try row.decode("enabled", as: Bool.self)
    }

    /// The owner's key with this id.
    ///
    /// - Throws: `NOT_FOUND` when the owner has no such key.
    private static func requireKey(_ keyID: UUID, of owner: ApiKeyOwner, on connection: PostgresConnection)
        async throws -> ApiKeyRecord
    {
        let rows = try await connection.query(
            Self.selectKeys(
                "WHERE id = \(keyID) AND owner_kind = \(owner.kind) AND coalesce(admin_id, tenant_id) = \(owner.id)"
            )
        )
        guard let row = rows.first else {
            throw RPCError(
                code: .notFound, message: "API key \(keyID.lowercasedString) of the \(owner.noun) was not found."
            )
        }
        return try ApiKeyRecord(row: row)
    }

    private static func audit(
        _ action: String, record: ApiKeyRecord, owner: ApiKeyOwner, actor: AuditActor, on connection: PostgresConnection
    ) async throws {
        try await AuditEntry(
            actor: actor.name, action: action, target: record.id.lowercasedString, tenantID: owner.tenantID,
            requestID: actor.requestID, details: ["ownerKind": owner.kind, "ownerId": owner.id.lowercasedString]
        ).write(on: connection)
        switch action {
        case "api_key.created":
            try await Self.announce(.apiKeyCreated, record: record, owner: owner, actor: actor, on: connection)
        case "api_key.revoked":
            try await Self.announce(.apiKeyRevoked, record: record, owner: owner, actor: actor, on: connection)
        default:
            break
        }
    }

    /// Writes the outbox event of a change to a tenant's key (admin users' keys have none).
    private static func announce(
        _ type: Metachat_V1_WebhookEventType, record: ApiKeyRecord, owner: ApiKeyOwner, actor: AuditActor,
        on connection: PostgresConnection
    ) async throws {
        guard let tenantID = owner.tenantID else { return }
        try await OutboxWriter(connection: connection).append(
            [try OutboxEvent.apiKey(type, key: record.message, tenantID: tenantID, actor: actor.name)])
    }

    /// `SELECT <key columns> FROM api_keys` followed by `tail`. The prefix is constant text, so the
    /// tail's `$n` numbering stays right.
    private static func selectKeys(_ tail: PostgresQuery) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "SELECT \(ApiKeyRecord.columns) FROM api_keys " + tail.sql, binds: tail.binds)
    }

    /// `statement RETURNING <key columns>`; the added text is constant.
    private static func returningKey(_ statement: PostgresQuery) -> PostgresQuery {
        PostgresQuery(unsafeSQL: statement.sql + " RETURNING " + ApiKeyRecord.columns, binds: statement.binds)
    }

    /// A duration in seconds, for `* interval '1 second'`.
    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
