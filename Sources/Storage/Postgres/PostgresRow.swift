/// One row of a result: its values in column order, decoded by type (see ``PostgresValue``).
package struct PostgresRow: Sendable, Hashable {
    /// The result's columns.
    package let columns: [PostgresColumn]
    /// The values, one per column; `nil` is SQL `NULL`.
    package let values: [PostgresValue?]

    /// Creates a row.
    package init(columns: [PostgresColumn], values: [PostgresValue?]) {
        precondition(columns.count == values.count, "a row needs one value per column")
        self.columns = columns
        self.values = values
    }

    /// Decodes the value of the first column with the given name.
    ///
    /// ```swift
    /// let id = try row.decode("id", as: UUID.self)
    /// let lastUsed = try row.decode("last_used_at", as: Date?.self)
    /// ```
    ///
    /// - Throws: ``PostgresError`` with code ``PostgresError/Code/decodingFailed`` when there is no
    ///   such column, or its value is `NULL` (for a non-optional type) or of another type. The
    ///   message names the column and the Swift type, never the value.
    @inlinable
    package func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = self.columns.firstIndex(where: { $0.name == column }) else {
            throw PostgresError(code: .decodingFailed, message: "the result has no column \"\(column)\"")
        }
        return try self.decode(index, as: type)
    }

    /// Decodes the value at a column index.
    ///
    /// - Throws: ``PostgresError`` with code ``PostgresError/Code/decodingFailed`` as
    ///   ``decode(_:as:)-(String,_)`` does, and for an index out of range.
    @inlinable
    package func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard self.values.indices.contains(index) else {
            throw PostgresError(code: .decodingFailed, message: "the result has no column \(index)")
        }
        guard let decoded = T(postgresValue: self.values[index]) else {
            let what = self.values[index] == nil ? "NULL" : "of type OID \(self.columns[index].typeOID)"
            throw PostgresError(
                code: .decodingFailed,
                message: "column \"\(self.columns[index].name)\" is \(what) and cannot be decoded as \(T.self)"
            )
        }
        return decoded
    }
}
