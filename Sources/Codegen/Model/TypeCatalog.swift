/// The messages and enums the REST routes use, by fully qualified proto name.
///
/// Well-known types and map entries are not listed: their JSON form is fixed and fields
/// describe them inline.
package struct TypeCatalog: Sendable, Hashable {
    /// The messages by fully qualified proto name.
    package var messages: [String: MessageModel]
    /// The enums by fully qualified proto name.
    package var enums: [String: EnumModel]

    /// Creates a catalog.
    ///
    /// - Parameters:
    ///   - messages: The messages.
    ///   - enums: The enums.
    package init(messages: [MessageModel], enums: [EnumModel]) {
        self.messages = Dictionary(messages.map { ($0.fullName, $0) }, uniquingKeysWith: { first, _ in first })
        self.enums = Dictionary(enums.map { ($0.fullName, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The field a dotted path of proto names reaches from a message, e.g. `target.room_id`.
    ///
    /// - Parameters:
    ///   - path: The dotted field path.
    ///   - message: The fully qualified name of the message the path starts at.
    /// - Returns: The last field of the path, or `nil` when a component names no field or
    ///   passes through something that is not a catalogued message.
    package func field(at path: String, in message: String) -> FieldModel? {
        var current = self.messages[message]
        var found: FieldModel?
        for component in path.split(separator: ".") {
            guard let model = current, let field = model.field(named: String(component)) else { return nil }
            found = field
            if case .message(let name) = field.valueType, field.cardinality == .singular {
                current = self.messages[name]
            } else {
                current = nil
            }
        }
        return found
    }
}
