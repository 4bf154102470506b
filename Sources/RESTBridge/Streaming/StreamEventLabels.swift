internal import FoundationEssentials
internal import SwiftProtobuf

/// Names a streamed message's Server-Sent Event: `id:` from its `event_id` field (so a client's
/// `Last-Event-ID` can resume), `event:` from the member of its oneof that is set (e.g.
/// `messageCreated`), or else the message type's short name.
///
/// Both are read from the message's top-level fields by field number (``labels(of:)``), not
/// from its JSON: a stream fanned out to many watchers names every event once per watcher.
struct StreamEventLabels: Sendable {
    private let idNumber: Int?
    /// Oneof members by field number, with their JSON names.
    private let oneofNames: [Int: String]
    private let typeName: String

    /// Reads the labels' sources from the response message's schema.
    ///
    /// - Parameters:
    ///   - schema: The response message, if known.
    ///   - fallbackName: The full type name, when the schema is unknown.
    init(schema: MessageSchema?, fallbackName: String) {
        self.idNumber = schema?.field(named: "event_id")?.number
        var oneofNames: [Int: String] = [:]
        for field in schema?.fields ?? [] where field.oneofName != nil {
            oneofNames[field.number] = field.jsonName
        }
        self.oneofNames = oneofNames
        self.typeName = schema?.shortName ?? fallbackName
    }

    /// The id and event name of one message.
    ///
    /// - Parameter message: The streamed message.
    func labels(of message: any SwiftProtobuf.Message) -> (id: String?, name: String) {
        guard self.idNumber != nil || !self.oneofNames.isEmpty else { return (nil, self.typeName) }
        var visitor = TopLevelFieldVisitor(idNumber: self.idNumber ?? -1, oneofNames: self.oneofNames)
        try? message.traverse(visitor: &visitor)
        return (visitor.id, visitor.member ?? self.typeName)
    }
}

/// Visits a message's top-level fields without descending into nested messages, keeping the
/// value of one id field and the JSON name of the first oneof member that is set.
private struct TopLevelFieldVisitor: SwiftProtobuf.Visitor {
    let idNumber: Int
    let oneofNames: [Int: String]
    var id: String?
    var member: String?

    init(idNumber: Int, oneofNames: [Int: String]) {
        self.idNumber = idNumber
        self.oneofNames = oneofNames
    }

    private mutating func saw(_ fieldNumber: Int) {
        if self.member == nil, let name = self.oneofNames[fieldNumber] {
            self.member = name
        }
    }

    mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws { self.saw(fieldNumber) }

    mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws {
        if fieldNumber == self.idNumber { self.id = String(value) }
        self.saw(fieldNumber)
    }

    mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws {
        if fieldNumber == self.idNumber { self.id = String(value) }
        self.saw(fieldNumber)
    }

    mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws { self.saw(fieldNumber) }

    mutating func visitSingularStringField(value: String, fieldNumber: Int) throws {
        if fieldNumber == self.idNumber { self.id = value }
        self.saw(fieldNumber)
    }

    mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws { self.saw(fieldNumber) }

    mutating func visitSingularEnumField<E: SwiftProtobuf.Enum>(value: E, fieldNumber: Int) throws {
        self.saw(fieldNumber)
    }

    mutating func visitSingularMessageField<M: SwiftProtobuf.Message>(value: M, fieldNumber: Int) throws {
        self.saw(fieldNumber)
    }

    mutating func visitMapField<KeyType, ValueType: MapValueType>(
        fieldType: _ProtobufMap<KeyType, ValueType>.Type, value: _ProtobufMap<KeyType, ValueType>.BaseType,
        fieldNumber: Int
    ) throws {}

    mutating func visitMapField<KeyType, ValueType>(
        fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type, value: _ProtobufEnumMap<KeyType, ValueType>.BaseType,
        fieldNumber: Int
    ) throws where ValueType.RawValue == Int {}

    mutating func visitMapField<KeyType, ValueType>(
        fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type,
        value: _ProtobufMessageMap<KeyType, ValueType>.BaseType, fieldNumber: Int
    ) throws {}

    mutating func visitUnknown(bytes: Data) throws {}
}
