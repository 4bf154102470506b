/// The fields of one protobuf message, looked up by either JSON spelling.
package struct MessageSchema: Sendable {
    /// The full name, e.g. `metachat.v1.Tenant`.
    package var fullName: String
    /// The fields in declaration order.
    package var fields: [FieldSchema]
    private var byName: [String: Int]

    /// Creates a message description.
    ///
    /// - Parameters:
    ///   - fullName: The full name.
    ///   - fields: The fields.
    package init(fullName: String, fields: [FieldSchema]) {
        self.fullName = fullName
        self.fields = fields
        var byName: [String: Int] = [:]
        for (index, field) in fields.enumerated() {
            byName[field.name] = index
            byName[field.jsonName] = index
        }
        self.byName = byName
    }

    /// The field whose proto name or JSON name is `name`.
    ///
    /// - Parameter name: `tenant_id` or `tenantId`.
    package func field(named name: some StringProtocol) -> FieldSchema? {
        self.byName[String(name)].map { self.fields[$0] }
    }

    /// The short type name, e.g. `Tenant`.
    package var shortName: String {
        self.fullName.split(separator: ".").last.map(String.init) ?? self.fullName
    }
}
