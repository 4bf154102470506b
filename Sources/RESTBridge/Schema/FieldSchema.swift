/// What the REST bridge knows about one protobuf field: its names, its JSON type and whether
/// it repeats. Built from descriptors, so the bridge stays schema-agnostic.
public struct FieldSchema: Sendable {
    /// The field's value type.
    public enum Kind: Sendable, Equatable {
        /// `string`.
        case string
        /// `bytes` (base64 in JSON).
        case bytes
        /// `bool`.
        case bool
        /// `int32`, `sint32`, `sfixed32`.
        case int32
        /// `uint32`, `fixed32`.
        case uint32
        /// `int64`, `sint64`, `sfixed64` (a string in JSON).
        case int64
        /// `uint64`, `fixed64` (a string in JSON).
        case uint64
        /// `float`.
        case float
        /// `double`.
        case double
        /// An enum, by full name.
        case enumeration(String)
        /// A message, by full name (well-known types included).
        case message(String)
    }

    /// The name in the `.proto` file, e.g. `tenant_id`.
    public var name: String
    /// The JSON name, e.g. `tenantId`.
    public var jsonName: String
    /// The field's type.
    public var kind: Kind
    /// Whether the field is `repeated` (maps are repeated entry messages).
    public var isRepeated: Bool
    /// Whether the field is a `map<K, V>`; ``kind`` then names the entry message.
    public var isMap: Bool
    /// The oneof the field belongs to, if any.
    public var oneofName: String?

    /// Creates a field description.
    ///
    /// - Parameters:
    ///   - name: The proto name.
    ///   - jsonName: The JSON name.
    ///   - kind: The type.
    ///   - isRepeated: Whether it repeats.
    ///   - isMap: Whether it is a map.
    ///   - oneofName: Its oneof.
    public init(
        name: String,
        jsonName: String,
        kind: Kind,
        isRepeated: Bool = false,
        isMap: Bool = false,
        oneofName: String? = nil
    ) {
        self.name = name
        self.jsonName = jsonName
        self.kind = kind
        self.isRepeated = isRepeated
        self.isMap = isMap
        self.oneofName = oneofName
    }
}
