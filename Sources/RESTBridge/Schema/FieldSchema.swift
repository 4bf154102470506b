/// What the REST bridge knows about one protobuf field: its names, its JSON type and whether
/// it repeats. Built from descriptors, so the bridge stays schema-agnostic.
package struct FieldSchema: Sendable {
    /// The field's value type.
    package enum Kind: Sendable, Equatable {
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

    /// How a single value is laid out in the binary wire format.
    package enum WireEncoding: Sendable, Equatable {
        /// A varint (int32, int64, uint32, uint64, bool, enum).
        case varint
        /// A zig-zag varint (sint32, sint64).
        case zigzag
        /// Four little-endian bytes (fixed32, sfixed32, float).
        case fixed32
        /// Eight little-endian bytes (fixed64, sfixed64, double).
        case fixed64
        /// Length-delimited (string, bytes, messages).
        case lengthDelimited
    }

    /// The field number.
    package var number: Int
    /// The binary wire encoding of one value.
    package var wireEncoding: WireEncoding
    /// The name in the `.proto` file, e.g. `tenant_id`.
    package var name: String
    /// The JSON name, e.g. `tenantId`.
    package var jsonName: String
    /// The field's type.
    package var kind: Kind
    /// Whether the field is `repeated` (maps are repeated entry messages).
    package var isRepeated: Bool
    /// Whether the field is a `map<K, V>`; ``kind`` then names the entry message.
    package var isMap: Bool
    /// The oneof the field belongs to, if any.
    package var oneofName: String?

    /// Creates a field description.
    ///
    /// - Parameters:
    ///   - name: The proto name.
    ///   - jsonName: The JSON name.
    ///   - kind: The type.
    ///   - isRepeated: Whether it repeats.
    ///   - isMap: Whether it is a map.
    ///   - oneofName: Its oneof.
    ///   - number: The field number.
    ///   - wireEncoding: The binary layout of one value.
    package init(
        number: Int = 0,
        wireEncoding: WireEncoding = .lengthDelimited,
        name: String,
        jsonName: String,
        kind: Kind,
        isRepeated: Bool = false,
        isMap: Bool = false,
        oneofName: String? = nil
    ) {
        self.number = number
        self.wireEncoding = wireEncoding
        self.name = name
        self.jsonName = jsonName
        self.kind = kind
        self.isRepeated = isRepeated
        self.isMap = isMap
        self.oneofName = oneofName
    }
}
