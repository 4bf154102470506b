internal import RPCServer
internal import SwiftProtobuf

/// Writes path and query parameters straight into the protobuf binary format, so the common
/// request (a GET with a path variable) reaches its handler without a JSON round trip.
///
/// Each parameter becomes one field occurrence, wrapped in its ancestors' length-delimited
/// fields; the protobuf parse merges repeated occurrences of a nested message, so `target.a` and
/// `target.b` end up in one `target`. Values arrive already checked by ``JSONShapeChecker``.
struct BinaryParameterWriter {
    /// A value this writer does not handle; the caller falls back to the JSON path.
    struct Unsupported: Error {}

    let registry: SchemaRegistry
    private(set) var bytes: [UInt8] = []

    init(registry: SchemaRegistry) {
        self.registry = registry
    }

    /// Appends one value.
    ///
    /// - Parameters:
    ///   - value: The checked JSON value of one (not repeated) occurrence.
    ///   - fields: The field chain from the request message down to the leaf field.
    mutating func append(_ value: JSONValue, along fields: [FieldSchema]) throws(Unsupported) {
        guard let leaf = fields.last else { throw Unsupported() }
        var encoded: [UInt8] = []
        try self.encode(value, field: leaf, into: &encoded)
        for ancestor in fields.dropLast().reversed() {
            var wrapped: [UInt8] = []
            Self.writeTag(ancestor.number, wireType: 2, into: &wrapped)
            Self.writeVarint(UInt64(encoded.count), into: &wrapped)
            wrapped += encoded
            encoded = wrapped
        }
        self.bytes += encoded
    }

    private func encode(_ value: JSONValue, field: FieldSchema, into output: inout [UInt8]) throws(Unsupported) {
        switch field.kind {
        case .string:
            guard case .string(let text) = value else { throw Unsupported() }
            Self.writeLengthDelimited(field.number, Array(text.utf8), into: &output)
        case .bytes:
            guard case .string = value,
                let decoded = try? Google_Protobuf_BytesValue(jsonString: value.text)
            else { throw Unsupported() }
            Self.writeLengthDelimited(field.number, Array(decoded.value), into: &output)
        case .bool:
            guard case .bool(let flag) = value else { throw Unsupported() }
            Self.writeTag(field.number, wireType: 0, into: &output)
            Self.writeVarint(flag ? 1 : 0, into: &output)
        case .int32, .int64:
            try Self.writeSigned(Self.signed(value), field: field, into: &output)
        case .uint32, .uint64:
            try Self.writeUnsigned(Self.unsigned(value), field: field, into: &output)
        case .float, .double:
            try Self.writeFloatingPoint(Self.floatingPoint(value), field: field, into: &output)
        case .enumeration(let enumName):
            let number: Int32
            switch value {
            case .string(let name):
                guard let known = self.registry.enumNumber(name, in: enumName) else { throw Unsupported() }
                number = known
            case .number(let literal):
                guard let parsed = Int32(literal) else { throw Unsupported() }
                number = parsed
            default:
                throw Unsupported()
            }
            Self.writeTag(field.number, wireType: 0, into: &output)
            Self.writeVarint(UInt64(bitPattern: Int64(number)), into: &output)
        case .message(let typeName):
            guard let message = Self.wellKnownMessage(typeName, json: value.text),
                let serialized = try? message.serializedBytes() as [UInt8]
            else { throw Unsupported() }
            Self.writeLengthDelimited(field.number, serialized, into: &output)
        }
    }

    /// Decodes a well-known type's JSON form (the only messages a parameter may fill).
    private static func wellKnownMessage(_ typeName: String, json: String) -> (any SwiftProtobuf.Message)? {
        switch typeName {
        case "google.protobuf.Timestamp": try? Google_Protobuf_Timestamp(jsonString: json)
        case "google.protobuf.Duration": try? Google_Protobuf_Duration(jsonString: json)
        case "google.protobuf.FieldMask": try? Google_Protobuf_FieldMask(jsonString: json)
        case "google.protobuf.DoubleValue": try? Google_Protobuf_DoubleValue(jsonString: json)
        case "google.protobuf.FloatValue": try? Google_Protobuf_FloatValue(jsonString: json)
        case "google.protobuf.Int64Value": try? Google_Protobuf_Int64Value(jsonString: json)
        case "google.protobuf.UInt64Value": try? Google_Protobuf_UInt64Value(jsonString: json)
        case "google.protobuf.Int32Value": try? Google_Protobuf_Int32Value(jsonString: json)
        case "google.protobuf.UInt32Value": try? Google_Protobuf_UInt32Value(jsonString: json)
        case "google.protobuf.BoolValue": try? Google_Protobuf_BoolValue(jsonString: json)
        case "google.protobuf.StringValue": try? Google_Protobuf_StringValue(jsonString: json)
        case "google.protobuf.BytesValue": try? Google_Protobuf_BytesValue(jsonString: json)
        default: nil
        }
    }

    private static func literal(_ value: JSONValue) throws(Unsupported) -> String {
        switch value {
        case .number(let text), .string(let text): return text
        default: throw Unsupported()
        }
    }

    private static func signed(_ value: JSONValue) throws(Unsupported) -> Int64 {
        let text = try Self.literal(value)
        if let exact = Int64(text) { return exact }
        guard let number = Double(text), number.rounded() == number, let converted = Int64(exactly: number) else {
            throw Unsupported()
        }
        return converted
    }

    private static func unsigned(_ value: JSONValue) throws(Unsupported) -> UInt64 {
        let text = try Self.literal(value)
        if let exact = UInt64(text) { return exact }
        guard let number = Double(text), number.rounded() == number, let converted = UInt64(exactly: number) else {
            throw Unsupported()
        }
        return converted
    }

    private static func floatingPoint(_ value: JSONValue) throws(Unsupported) -> Double {
        let text = try Self.literal(value)
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let number = Double(text) else { throw Unsupported() }
            return number
        }
    }

    private static func writeSigned(_ value: Int64, field: FieldSchema, into output: inout [UInt8]) throws(Unsupported)
    {
        switch field.wireEncoding {
        case .varint:
            Self.writeTag(field.number, wireType: 0, into: &output)
            Self.writeVarint(UInt64(bitPattern: value), into: &output)
        case .zigzag:
            Self.writeTag(field.number, wireType: 0, into: &output)
            Self.writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)), into: &output)
        case .fixed32:
            guard let narrow = Int32(exactly: value) else { throw Unsupported() }
            Self.writeTag(field.number, wireType: 5, into: &output)
            Self.writeLittleEndian(UInt64(UInt32(bitPattern: narrow)), byteCount: 4, into: &output)
        case .fixed64:
            Self.writeTag(field.number, wireType: 1, into: &output)
            Self.writeLittleEndian(UInt64(bitPattern: value), byteCount: 8, into: &output)
        case .lengthDelimited:
            throw Unsupported()
        }
    }

    private static func writeUnsigned(_ value: UInt64, field: FieldSchema, into output: inout [UInt8])
        throws(Unsupported)
    {
        switch field.wireEncoding {
        case .varint:
            Self.writeTag(field.number, wireType: 0, into: &output)
            Self.writeVarint(value, into: &output)
        case .fixed32:
            guard let narrow = UInt32(exactly: value) else { throw Unsupported() }
            Self.writeTag(field.number, wireType: 5, into: &output)
            Self.writeLittleEndian(UInt64(narrow), byteCount: 4, into: &output)
        case .fixed64:
            Self.writeTag(field.number, wireType: 1, into: &output)
            Self.writeLittleEndian(value, byteCount: 8, into: &output)
        case .zigzag, .lengthDelimited:
            throw Unsupported()
        }
    }

    private static func writeFloatingPoint(_ value: Double, field: FieldSchema, into output: inout [UInt8])
        throws(Unsupported)
    {
        switch (field.kind, field.wireEncoding) {
        case (.float, .fixed32):
            Self.writeTag(field.number, wireType: 5, into: &output)
            Self.writeLittleEndian(UInt64(Float(value).bitPattern), byteCount: 4, into: &output)
        case (.double, .fixed64):
            Self.writeTag(field.number, wireType: 1, into: &output)
            Self.writeLittleEndian(value.bitPattern, byteCount: 8, into: &output)
        default:
            throw Unsupported()
        }
    }

    /// Appends field `number` with a length-delimited `payload` (a string, bytes or a message).
    static func writeLengthDelimited(_ number: Int, _ payload: [UInt8], into output: inout [UInt8]) {
        Self.writeTag(number, wireType: 2, into: &output)
        Self.writeVarint(UInt64(payload.count), into: &output)
        output += payload
    }

    private static func writeTag(_ number: Int, wireType: UInt64, into output: inout [UInt8]) {
        Self.writeVarint(UInt64(number) << 3 | wireType, into: &output)
    }

    private static func writeVarint(_ value: UInt64, into output: inout [UInt8]) {
        var remaining = value
        while remaining >= 0x80 {
            output.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        output.append(UInt8(remaining))
    }

    private static func writeLittleEndian(_ value: UInt64, byteCount: Int, into output: inout [UInt8]) {
        for index in 0..<byteCount {
            output.append(UInt8(truncatingIfNeeded: value >> (8 * index)))
        }
    }
}
