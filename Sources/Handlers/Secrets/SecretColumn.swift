/// A database column that holds values sealed by the ``SecretsEnvelope``: what
/// `metachat secrets rewrap`, the start-up sealing of plaintext left from before the envelope, and
/// `serve`'s refusal to start without a key all walk over.
package struct SecretColumn: Sendable, Hashable {
    /// The table.
    package var table: String
    /// The column holding the row's id, whose text is part of each value's ``SecretContext``.
    package var idColumn: String
    /// The column holding the sealed value (text, nullable).
    package var column: String
    /// A column whose `lastFour` copy is kept beside it (written when plaintext is sealed at
    /// start-up), if any.
    package var lastFourColumn: String?

    /// A column.
    ///
    /// - Parameters:
    ///   - table: The table.
    ///   - idColumn: The row id's column.
    ///   - column: The sealed value's column.
    ///   - lastFourColumn: The column with the value's last four characters, if any.
    package init(table: String, idColumn: String = "id", column: String, lastFourColumn: String? = nil) {
        self.table = table
        self.idColumn = idColumn
        self.column = column
        self.lastFourColumn = lastFourColumn
    }

    /// The context a value of the row `rowID` is sealed with.
    ///
    /// - Parameter rowID: The row's id as text.
    package func context(rowID: String) -> SecretContext {
        SecretContext(table: self.table, column: self.column, rowID: rowID)
    }
}
