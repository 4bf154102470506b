internal import FoundationEssentials

extension PostgresValue {
    /// The value in PostgreSQL's binary wire format, as a bind parameter.
    var binaryEncoded: [UInt8] {
        switch self.storage {
        case .text(let text):
            return Array(text.utf8)
        case .int32(let value):
            return Self.bigEndianBytes(UInt32(bitPattern: value))
        case .int64(let value):
            return Self.bigEndianBytes(UInt64(bitPattern: value))
        case .float64(let value):
            return Self.bigEndianBytes(value.bitPattern)
        case .bool(let value):
            return [value ? 1 : 0]
        case .uuid(let uuid):
            return withUnsafeBytes(of: uuid.uuid) { Array($0) }
        case .timestamp(let date):
            return Self.bigEndianBytes(UInt64(bitPattern: PostgresTimestamp.microseconds(since2000: date)))
        case .bytea(let bytes):
            return bytes
        case .jsonb(let json):
            // jsonb's binary format is a version byte (1) followed by the JSON text.
            return [1] + Array(json.utf8)
        case .other(_, let text):
            return Array(text.utf8)
        }
    }

    /// Whether ``binaryEncoded`` is binary (1) or text (0) format; only values of types without a
    /// case of their own travel as text.
    var wireFormat: Int32 {
        if case .other = self.storage {
            return 0
        }
        return 1
    }

    private static func bigEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
}
