/// One reply from Redis, as the RESP2 protocol types it.
package enum RedisReply: Sendable, Hashable {
    /// A simple status such as `OK` or `PONG`.
    case status(String)
    /// An error reply, e.g. `WRONGTYPE Operation against a key holding the wrong kind of value`.
    /// Top-level error replies are thrown as ``RedisError``; this case appears inside arrays (`EXEC`).
    case error(String)
    /// An integer.
    case integer(Int64)
    /// A binary-safe bulk string.
    case bulkString([UInt8])
    /// A missing value (`GET` of an absent key).
    case null
    /// An array of replies.
    case array([RedisReply])

    /// The text of a status or of a bulk string that is valid UTF-8.
    package var stringValue: String? {
        switch self {
        case .status(let text): text
        case .bulkString(let bytes): String(validating: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The value of an integer reply.
    package var integerValue: Int64? {
        if case .integer(let value) = self {
            return value
        }
        return nil
    }

    /// The bytes of a bulk string.
    package var bytesValue: [UInt8]? {
        if case .bulkString(let bytes) = self {
            return bytes
        }
        return nil
    }

    /// The elements of an array.
    package var arrayValue: [RedisReply]? {
        if case .array(let elements) = self {
            return elements
        }
        return nil
    }

    /// Whether the reply is ``null``.
    package var isNull: Bool { self == .null }
}
