/// One column of a result.
public struct PostgresColumn: Sendable, Hashable {
    /// The column's name as the query labelled it.
    public var name: String
    /// The OID of the column's type.
    public var typeOID: UInt32

    /// Creates a column description.
    public init(name: String, typeOID: UInt32) {
        self.name = name
        self.typeOID = typeOID
    }
}
