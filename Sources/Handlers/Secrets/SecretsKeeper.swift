internal import Logging
package import Storage

/// Keeps the stored secrets in step with the envelope's keys: counts what is sealed, seals
/// plaintext left from before the envelope existed, and seals everything again under the current
/// key (`metachat secrets rewrap`).
///
/// Every statement runs in an admin-scope transaction (all tenants' rows), one row at a time and
/// guarded by the value it read, so a row changed meanwhile by a request is left to that request.
package struct SecretsKeeper: Sendable {
    /// What a pass over the registered columns did.
    package struct Report: Sendable, Equatable {
        /// Values sealed from plaintext.
        package var sealedPlaintext = 0
        /// Values sealed again under the current key.
        package var rewrapped = 0
        /// Values already under the current key.
        package var current = 0

        /// A report.
        ///
        /// - Parameters:
        ///   - sealedPlaintext: Values sealed from plaintext.
        ///   - rewrapped: Values sealed again under the current key.
        ///   - current: Values already under the current key.
        package init(sealedPlaintext: Int = 0, rewrapped: Int = 0, current: Int = 0) {
            self.sealedPlaintext = sealedPlaintext
            self.rewrapped = rewrapped
            self.current = current
        }
    }

    private let pool: PostgresPool
    private let envelope: SecretsEnvelope
    private let columns: [SecretColumn]

    /// A keeper.
    ///
    /// - Parameters:
    ///   - pool: The database.
    ///   - envelope: The configured keys.
    ///   - columns: The columns to walk (``SecretColumn/registered`` outside tests).
    package init(pool: PostgresPool, envelope: SecretsEnvelope, columns: [SecretColumn] = SecretColumn.registered) {
        self.pool = pool
        self.envelope = envelope
        self.columns = columns
    }

    /// How many stored values are sealed, over every registered column.
    package func sealedValueCount() async throws -> Int {
        var total = 0
        for column in self.columns {
            let rows = try await self.pool.withAdminTransaction { connection in
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "SELECT count(*) FROM \(column.table) WHERE \(column.column) LIKE 'mcs1:%'",
                        binds: []))
            }
            total += try rows.first.map { try $0.decode(0, as: Int.self) } ?? 0
        }
        return total
    }

    /// Checks that `serve` may start: without a current key, no value may be sealed (it could be
    /// neither opened nor written again).
    ///
    /// - Throws: ``SecretsEnvelopeError/noKey`` with a count when sealed values exist and no key is set.
    package func requireKeyIfSealedDataExists() async throws {
        guard self.envelope.current == nil else { return }
        let sealed = try await self.sealedValueCount()
        if sealed > 0 { throw SecretsEnvelopeError.noKey }
    }

    /// Seals every value that is still plaintext (from before the envelope) and, when `rewrap`,
    /// seals again every value sealed under another key than the current one.
    ///
    /// - Parameter rewrap: Whether to re-encrypt values under old keys too.
    /// - Returns: What was done.
    /// - Throws: ``SecretsEnvelopeError/noKey`` without a current key, another
    ///   ``SecretsEnvelopeError`` when a value cannot be opened, or a database error.
    package func sealAll(rewrap: Bool) async throws -> Report {
        var report = Report()
        guard let currentID = self.envelope.current?.id else { throw SecretsEnvelopeError.noKey }
        for column in self.columns {
            let rows = try await self.pool.withAdminTransaction { connection in
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT \(column.idColumn)::text, \(column.column) FROM \(column.table)
                            WHERE \(column.column) IS NOT NULL
                            """,
                        binds: []))
            }
            for row in rows {
                let id = try row.decode(0, as: String.self)
                let stored = try row.decode(1, as: String.self)
                let context = column.context(rowID: id)
                let plaintext: String
                if let keyID = SecretsEnvelope.keyID(of: stored) {
                    if keyID == currentID || !rewrap {
                        report.current += keyID == currentID ? 1 : 0
                        continue
                    }
                    plaintext = try self.envelope.open(stored, context: context)
                    report.rewrapped += 1
                } else {
                    plaintext = stored
                    report.sealedPlaintext += 1
                }
                let sealed = try self.envelope.seal(plaintext, context: context)
                var binds: [PostgresValue?] = [.text(id), .text(stored), .text(sealed)]
                var lastFour = ""
                if let lastFourColumn = column.lastFourColumn {
                    binds.append(.text(SecretsEnvelope.lastFour(of: plaintext)))
                    lastFour = ", \(lastFourColumn) = $4"
                }
                let update = PostgresQuery(
                    unsafeSQL: """
                        UPDATE \(column.table) SET \(column.column) = $3\(lastFour)
                        WHERE \(column.idColumn)::text = $1 AND \(column.column) = $2
                        """,
                    binds: binds)
                _ = try await self.pool.withAdminTransaction { connection in try await connection.execute(update) }
            }
        }
        return report
    }
}
