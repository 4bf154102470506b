package import FoundationEssentials

/// A Swift value that can be sent to PostgreSQL as a bind parameter.
///
/// Interpolating one into a ``PostgresQuery`` adds it as the next `$n` parameter.
package protocol PostgresEncodable: Sendable {
    /// The value to send.
    var postgresValue: PostgresValue { get }
}

extension PostgresValue: PostgresEncodable {
    package var postgresValue: PostgresValue { self }
}

extension String: PostgresEncodable {
    /// `text`.
    package var postgresValue: PostgresValue { .text(self) }
}

extension Int: PostgresEncodable {
    /// `int8`.
    package var postgresValue: PostgresValue { .int64(Int64(self)) }
}

extension Int32: PostgresEncodable {
    /// `int4`.
    package var postgresValue: PostgresValue { .int32(self) }
}

extension Int64: PostgresEncodable {
    /// `int8`.
    package var postgresValue: PostgresValue { .int64(self) }
}

extension Double: PostgresEncodable {
    /// `float8`.
    package var postgresValue: PostgresValue { .float64(self) }
}

extension Bool: PostgresEncodable {
    /// `bool`.
    package var postgresValue: PostgresValue { .bool(self) }
}

extension UUID: PostgresEncodable {
    /// `uuid`.
    package var postgresValue: PostgresValue { .uuid(self) }
}

extension Date: PostgresEncodable {
    /// `timestamptz`.
    package var postgresValue: PostgresValue { .timestamp(self) }
}

extension Array: PostgresEncodable where Element == UInt8 {
    /// `bytea`.
    package var postgresValue: PostgresValue { .bytea(self) }
}
