/// A message type as the documentation generators see it.
package struct MessageModel: Sendable, Hashable {
    /// The fully qualified proto name, e.g. `metachat.v1.Tenant`.
    package var fullName: String
    /// The documentation comment lines.
    package var documentation: [String]
    /// The fields in declaration order.
    package var fields: [FieldModel]

    /// Creates a message.
    ///
    /// - Parameters:
    ///   - fullName: The fully qualified proto name.
    ///   - documentation: The documentation lines.
    ///   - fields: The fields in declaration order.
    package init(fullName: String, documentation: [String] = [], fields: [FieldModel]) {
        self.fullName = fullName
        self.documentation = documentation
        self.fields = fields
    }

    /// The field with a proto name, or `nil`.
    ///
    /// - Parameter protoName: The proto field name.
    /// - Returns: The field.
    package func field(named protoName: String) -> FieldModel? {
        self.fields.first { $0.protoName == protoName }
    }
}
