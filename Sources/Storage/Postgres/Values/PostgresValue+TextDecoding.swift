internal import FoundationEssentials

extension PostgresValue {
    /// Decodes a result value from PostgreSQL's text format by its column's type OID.
    ///
    /// The session runs with `DateStyle = ISO`, `TimeZone = UTC` and `bytea_output = hex`
    /// (``LibpqConnection`` sets them), which is the form parsed here. Text that does not parse as
    /// its type is kept as ``otherText`` rather than dropped.
    ///
    /// - Parameters:
    ///   - bytes: The value's bytes.
    ///   - oid: The column's type OID.
    static func decodeText(_ bytes: UnsafeBufferPointer<UInt8>, oid: UInt32) -> PostgresValue {
        let decoded: Storage?
        switch oid {
        case PostgresTypeOID.text, PostgresTypeOID.varchar, PostgresTypeOID.bpchar, PostgresTypeOID.name,
            PostgresTypeOID.char:
            decoded = .text(String(decoding: bytes, as: UTF8.self))
        case PostgresTypeOID.int2, PostgresTypeOID.int4:
            decoded = Int32(String(decoding: bytes, as: UTF8.self)).map(Storage.int32)
        case PostgresTypeOID.int8, PostgresTypeOID.oid:
            decoded = Int64(String(decoding: bytes, as: UTF8.self)).map(Storage.int64)
        case PostgresTypeOID.float4, PostgresTypeOID.float8:
            decoded = Double(String(decoding: bytes, as: UTF8.self)).map(Storage.float64)
        case PostgresTypeOID.bool:
            decoded =
                bytes.count != 1
                ? nil
                : bytes[0] == UInt8(ascii: "t") ? .bool(true) : bytes[0] == UInt8(ascii: "f") ? .bool(false) : nil
        case PostgresTypeOID.uuid:
            decoded = UUID(canonicalText: bytes).map(Storage.uuid)
        case PostgresTypeOID.timestamptz, PostgresTypeOID.timestamp:
            decoded = PostgresTimestamp.parse(String(decoding: bytes, as: UTF8.self)).map(Storage.timestamp)
        case PostgresTypeOID.bytea:
            decoded = Self.decodeHexBytea(bytes).map(Storage.bytea)
        case PostgresTypeOID.json, PostgresTypeOID.jsonb:
            decoded = .jsonb(String(decoding: bytes, as: UTF8.self))
        default:
            decoded = nil
        }
        return PostgresValue(decoded ?? .other(oid: oid, text: String(decoding: bytes, as: UTF8.self)))
    }

    /// `\x0a1b…` to bytes.
    private static func decodeHexBytea(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "\\"), bytes[1] == UInt8(ascii: "x"),
            bytes.count % 2 == 0
        else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count - 2) / 2)
        var index = 2
        while index < bytes.count {
            guard let high = ASCIIHex.value(bytes[index]), let low = ASCIIHex.value(bytes[index + 1]) else {
                return nil
            }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }
}
