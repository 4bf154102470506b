/// One column of a result.
package struct PostgresColumn: Sendable, Hashable {
    /// The column's name as the query labelled it.
    package var name: String
    /// The OID of the column's type.
    package var typeOID: UInt32

    /// Creates a column description.
    package init(name: String, typeOID: UInt32) {
        self.name = name
        self.typeOID = typeOID
    }
}
