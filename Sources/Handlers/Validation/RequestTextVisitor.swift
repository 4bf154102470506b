internal import FoundationEssentials
internal import RPCServer
internal import SwiftProtobuf

/// Walks every string of a request message (nested messages, repeated fields, map keys and
/// values included) and throws `INVALID_ARGUMENT` naming the first one whose characters its
/// field's ``TextCharacters`` rule refuses.
///
/// Fields are named by their JSON path from the request (`tenant.settings.llm.model`,
/// `settings.escalation.keywords[2]`, `metadata.plan`); a string inside a well-known type is named
/// by the well-known field itself (`updateMask`), as its JSON form is one value.
struct RequestTextVisitor: Visitor {
    /// The names of the fields.
    let names: RequestTextFieldNames
    /// `package.Message.field_name` of the fields that take ``TextCharacters/multiline`` text
    /// (for a map, its values); every other field is ``TextCharacters/singleLine``.
    let multilineFields: Set<String>
    /// The full name of the message being walked.
    let messageName: String
    /// The JSON path of that message from the request, `""` for the request itself.
    let path: String
    /// Inside a well-known type: the path of the field holding it, which names every string in it.
    let wellKnownPath: String?

    /// A visitor for the request itself.
    init(names: RequestTextFieldNames, multilineFields: Set<String>, messageName: String) {
        self.init(
            names: names, multilineFields: multilineFields, messageName: messageName, path: "", wellKnownPath: nil)
    }

    private init(
        names: RequestTextFieldNames, multilineFields: Set<String>, messageName: String, path: String,
        wellKnownPath: String?
    ) {
        self.names = names
        self.multilineFields = multilineFields
        self.messageName = messageName
        self.path = path
        self.wellKnownPath = wellKnownPath
    }

    // MARK: Strings

    mutating func visitSingularStringField(value: String, fieldNumber: Int) throws {
        try self.check(value, as: self.rule(of: fieldNumber), named: self.fieldPath(fieldNumber))
    }

    mutating func visitRepeatedStringField(value: [String], fieldNumber: Int) throws {
        let rule = self.rule(of: fieldNumber)
        let name = self.fieldPath(fieldNumber)
        for (index, element) in value.enumerated() {
            try self.check(element, as: rule, named: self.wellKnownPath ?? "\(name)[\(index)]")
        }
    }

    mutating func visitMapField<KeyType, ValueType: MapValueType>(
        fieldType: _ProtobufMap<KeyType, ValueType>.Type,
        value: _ProtobufMap<KeyType, ValueType>.BaseType,
        fieldNumber: Int
    ) throws {
        let name = self.fieldPath(fieldNumber)
        let rule = self.rule(of: fieldNumber)
        for (key, entry) in value.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            let keyText = try self.checkKey(key, of: name)
            if let text = entry as? String {
                try self.check(text, as: rule, named: "\(name).\(keyText)")
            }
        }
    }

    mutating func visitMapField<KeyType, ValueType>(
        fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type,
        value: _ProtobufEnumMap<KeyType, ValueType>.BaseType,
        fieldNumber: Int
    ) throws where ValueType.RawValue == Int {
        let name = self.fieldPath(fieldNumber)
        for key in value.keys {
            _ = try self.checkKey(key, of: name)
        }
    }

    mutating func visitMapField<KeyType, ValueType>(
        fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type,
        value: _ProtobufMessageMap<KeyType, ValueType>.BaseType,
        fieldNumber: Int
    ) throws {
        let name = self.fieldPath(fieldNumber)
        for (key, entry) in value.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            let keyText = try self.checkKey(key, of: name)
            var child = self.child(ValueType.protoMessageName, path: "\(name).\(keyText)")
            try entry.traverse(visitor: &child)
        }
    }

    // MARK: Messages

    mutating func visitSingularMessageField<M: Message>(value: M, fieldNumber: Int) throws {
        var child = self.child(M.protoMessageName, path: self.fieldPath(fieldNumber))
        try value.traverse(visitor: &child)
    }

    mutating func visitRepeatedMessageField<M: Message>(value: [M], fieldNumber: Int) throws {
        let name = self.fieldPath(fieldNumber)
        for (index, element) in value.enumerated() {
            var child = self.child(M.protoMessageName, path: "\(name)[\(index)]")
            try element.traverse(visitor: &child)
        }
    }

    // MARK: Everything else holds no text

    mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws {}
    mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws {}
    mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws {}
    mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws {}
    mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws {}
    mutating func visitSingularEnumField<E: Enum>(value: E, fieldNumber: Int) throws {}
    mutating func visitUnknown(bytes: Data) throws {}

    // MARK: Helpers

    /// The visitor for a nested message at `path`.
    private func child(_ messageName: String, path: String) -> RequestTextVisitor {
        let wellKnown = self.wellKnownPath ?? (messageName.hasPrefix("google.protobuf.") ? path : nil)
        return RequestTextVisitor(
            names: self.names, multilineFields: self.multilineFields, messageName: messageName, path: path,
            wellKnownPath: wellKnown)
    }

    /// The JSON path of field `number` of the current message.
    private func fieldPath(_ number: Int) -> String {
        if let wellKnownPath = self.wellKnownPath {
            return wellKnownPath
        }
        let name = self.names.field(number, of: self.messageName)?.jsonName ?? "field \(number)"
        return self.path.isEmpty ? name : self.path + "." + name
    }

    /// The rule of field `number` of the current message.
    private func rule(of number: Int) -> TextCharacters {
        guard let field = self.names.field(number, of: self.messageName) else { return .singleLine }
        return self.multilineFields.contains(self.messageName + "." + field.protoName) ? .multiline : .singleLine
    }

    /// Checks a map key (always single-line text when it is a string) and returns it for naming
    /// the entry's value.
    private func checkKey(_ key: Any, of name: String) throws -> String {
        guard let text = key as? String else { return "\(key)" }
        if TextCharacters.singleLine.firstRefused(in: text) != nil {
            throw RPCError(code: .invalidArgument, message: "\(name) keys \(TextCharacters.singleLine.refusal)")
        }
        return text
    }

    private func check(_ text: String, as rule: TextCharacters, named name: String) throws {
        if rule.firstRefused(in: text) != nil {
            throw RPCError(code: .invalidArgument, message: "\(name) \(rule.refusal)")
        }
    }
}
