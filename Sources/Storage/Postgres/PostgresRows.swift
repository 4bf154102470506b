/// The rows a statement returned, all read into memory.
public struct PostgresRows: Sendable, Hashable, RandomAccessCollection {
    /// The result's columns (empty for statements that return no rows).
    public let columns: [PostgresColumn]
    /// How many rows the statement inserted, updated, deleted, selected, … (`PQcmdTuples`), or 0
    /// when the command reports no count.
    public let affectedRowCount: Int
    /// The command tag, e.g. `INSERT 0 1` or `ROLLBACK` (what `COMMIT` answers in a failed transaction).
    let commandTag: String
    private let rows: [PostgresRow]

    /// Creates a result.
    public init(columns: [PostgresColumn], rows: [PostgresRow], affectedRowCount: Int) {
        self.init(columns: columns, rows: rows, affectedRowCount: affectedRowCount, commandTag: "")
    }

    init(columns: [PostgresColumn], rows: [PostgresRow], affectedRowCount: Int, commandTag: String) {
        self.columns = columns
        self.rows = rows
        self.affectedRowCount = affectedRowCount
        self.commandTag = commandTag
    }

    public var startIndex: Int { self.rows.startIndex }
    public var endIndex: Int { self.rows.endIndex }
    public subscript(position: Int) -> PostgresRow { self.rows[position] }
}
