/// Where a sealed secret lives: its table, column and row. It is the additional authenticated data
/// of the seal, so a ciphertext copied into another row or column does not open.
package struct SecretContext: Sendable, Hashable {
    /// The table, e.g. `tenants`.
    package var table: String
    /// The column, e.g. `llm_api_key`.
    package var column: String
    /// The row's id as text (a UUID's lower-case form).
    package var rowID: String

    /// A context.
    ///
    /// - Parameters:
    ///   - table: The table.
    ///   - column: The column.
    ///   - rowID: The row's id as text.
    package init(table: String, column: String, rowID: String) {
        self.table = table
        self.column = column
        self.rowID = rowID
    }

    /// The bytes authenticated with the secret.
    var additionalData: [UInt8] { Array("\(self.table).\(self.column):\(self.rowID)".utf8) }
}
