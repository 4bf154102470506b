/// The rows a statement returned, all read into memory.
package struct PostgresRows: Sendable, Hashable, RandomAccessCollection {
    /// The result's columns (empty for statements that return no rows).
    package let columns: [PostgresColumn]
    /// How many rows the statement inserted, updated, deleted, selected, … (`PQcmdTuples`), or 0
    /// when the command reports no count.
    package let affectedRowCount: Int
    /// The command tag, e.g. `INSERT 0 1` or `ROLLBACK` (what `COMMIT` answers in a failed transaction).
    let commandTag: String
    private let rows: [PostgresRow]

    /// Creates a result.
    package init(columns: [PostgresColumn], rows: [PostgresRow], affectedRowCount: Int) {
        self.init(columns: columns, rows: rows, affectedRowCount: affectedRowCount, commandTag: "")
    }

    init(columns: [PostgresColumn], rows: [PostgresRow], affectedRowCount: Int, commandTag: String) {
        self.columns = columns
        self.rows = rows
        self.affectedRowCount = affectedRowCount
        self.commandTag = commandTag
    }

    package var startIndex: Int { self.rows.startIndex }
    package var endIndex: Int { self.rows.endIndex }
    package subscript(position: Int) -> PostgresRow { self.rows[position] }
}
