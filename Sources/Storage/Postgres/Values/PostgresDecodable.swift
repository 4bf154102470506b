package import FoundationEssentials

/// A Swift type a result value can be decoded into with ``PostgresRow/decode(_:as:)``.
///
/// `Optional` conforms when its wrapped type does, and decodes SQL `NULL` as `nil`; every other
/// conforming type treats `NULL` as a decoding failure.
package protocol PostgresDecodable: Sendable {
    /// Decodes a column's value.
    ///
    /// - Parameter postgresValue: The value, `nil` for SQL `NULL`.
    /// - Returns: `nil` when the value is `NULL` (for non-optional types) or of another type.
    init?(postgresValue: PostgresValue?)
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    package init?(postgresValue: PostgresValue?) {
        guard let value = postgresValue else {
            self = .none
            return
        }
        guard let wrapped = Wrapped(postgresValue: value) else { return nil }
        self = .some(wrapped)
    }
}

extension PostgresValue: PostgresDecodable {
    package init?(postgresValue: PostgresValue?) {
        guard let value = postgresValue else { return nil }
        self = value
    }
}

extension String: PostgresDecodable {
    /// From `text`-like columns, JSON text, and the text form of types without a case of their own.
    package init?(postgresValue: PostgresValue?) {
        switch postgresValue?.storage {
        case .text(let text), .jsonb(let text), .other(_, let text): self = text
        default: return nil
        }
    }
}

extension Int: PostgresDecodable {
    /// From `int2`, `int4` or `int8`.
    package init?(postgresValue: PostgresValue?) {
        switch postgresValue?.storage {
        case .int32(let value): self = Int(value)
        case .int64(let value):
            guard let fitting = Int(exactly: value) else { return nil }
            self = fitting
        default: return nil
        }
    }
}

extension Int32: PostgresDecodable {
    /// From `int2` or `int4`, or `int8` when it fits.
    package init?(postgresValue: PostgresValue?) {
        switch postgresValue?.storage {
        case .int32(let value): self = value
        case .int64(let value):
            guard let fitting = Int32(exactly: value) else { return nil }
            self = fitting
        default: return nil
        }
    }
}

extension Int64: PostgresDecodable {
    /// From `int2`, `int4` or `int8`.
    package init?(postgresValue: PostgresValue?) {
        switch postgresValue?.storage {
        case .int32(let value): self = Int64(value)
        case .int64(let value): self = value
        default: return nil
        }
    }
}

extension Double: PostgresDecodable {
    /// From `float4` or `float8`.
    package init?(postgresValue: PostgresValue?) {
        guard case .float64(let value) = postgresValue?.storage else { return nil }
        self = value
    }
}

extension Bool: PostgresDecodable {
    /// From `bool`.
    package init?(postgresValue: PostgresValue?) {
        guard case .bool(let value) = postgresValue?.storage else { return nil }
        self = value
    }
}

extension UUID: PostgresDecodable {
    /// From `uuid`.
    package init?(postgresValue: PostgresValue?) {
        guard case .uuid(let value) = postgresValue?.storage else { return nil }
        self = value
    }
}

extension Date: PostgresDecodable {
    /// From `timestamptz` or `timestamp` (read as UTC).
    package init?(postgresValue: PostgresValue?) {
        guard case .timestamp(let value) = postgresValue?.storage else { return nil }
        self = value
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// From `bytea`.
    package init?(postgresValue: PostgresValue?) {
        guard case .bytea(let value) = postgresValue?.storage else { return nil }
        self = value
    }
}
