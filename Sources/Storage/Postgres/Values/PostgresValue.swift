package import FoundationEssentials

/// One non-null value sent to PostgreSQL as a bind parameter or read back from a result.
///
/// Binds travel in PostgreSQL's binary format with their type's OID, so the server never parses
/// them as text. Results arrive as text and are decoded by their column's OID: `text`, `varchar`,
/// `name` and `char` become ``text(_:)``, `int2`/`int4` ``int32(_:)``, `int8` ``int64(_:)``,
/// `float4`/`float8` ``float64(_:)``, `bool`, `uuid`, `timestamptz`/`timestamp` ``timestamp(_:)``,
/// `bytea`, and `json`/`jsonb` ``jsonb(_:)``. Any other type keeps its text form (``otherText``).
///
/// SQL `NULL` is `nil` wherever a `PostgresValue?` is expected.
package struct PostgresValue: Sendable, Hashable {
    enum Storage: Sendable, Hashable {
        case text(String)
        case int32(Int32)
        case int64(Int64)
        case float64(Double)
        case bool(Bool)
        case uuid(UUID)
        case timestamp(Date)
        case bytea([UInt8])
        case jsonb(String)
        case other(oid: UInt32, text: String)
    }

    let storage: Storage

    init(_ storage: Storage) {
        self.storage = storage
    }

    /// A `text` value.
    package static func text(_ value: String) -> PostgresValue { PostgresValue(.text(value)) }
    /// An `int4` value.
    package static func int32(_ value: Int32) -> PostgresValue { PostgresValue(.int32(value)) }
    /// An `int8` value.
    package static func int64(_ value: Int64) -> PostgresValue { PostgresValue(.int64(value)) }
    /// A `float8` value.
    package static func float64(_ value: Double) -> PostgresValue { PostgresValue(.float64(value)) }
    /// A `bool` value.
    package static func bool(_ value: Bool) -> PostgresValue { PostgresValue(.bool(value)) }
    /// A `uuid` value.
    package static func uuid(_ value: UUID) -> PostgresValue { PostgresValue(.uuid(value)) }
    /// A `timestamptz` value, with microsecond precision.
    package static func timestamp(_ value: Date) -> PostgresValue { PostgresValue(.timestamp(value)) }
    /// A `bytea` value.
    package static func bytea(_ value: [UInt8]) -> PostgresValue { PostgresValue(.bytea(value)) }
    /// A `jsonb` value, given as JSON text (the server checks that it parses).
    package static func jsonb(_ json: String) -> PostgresValue { PostgresValue(.jsonb(json)) }
    /// A value in text form whose type the server infers from where the parameter appears, like an
    /// untyped SQL literal: for types without a case of their own, e.g. `numeric`, `date` or a
    /// pgvector `'[1,2,3]'`.
    package static func unknown(_ text: String) -> PostgresValue { PostgresValue(.other(oid: 0, text: text)) }

    /// The OID of the value's PostgreSQL type, e.g. 25 for `text`.
    package var typeOID: UInt32 {
        switch self.storage {
        case .text: PostgresTypeOID.text
        case .int32: PostgresTypeOID.int4
        case .int64: PostgresTypeOID.int8
        case .float64: PostgresTypeOID.float8
        case .bool: PostgresTypeOID.bool
        case .uuid: PostgresTypeOID.uuid
        case .timestamp: PostgresTypeOID.timestamptz
        case .bytea: PostgresTypeOID.bytea
        case .jsonb: PostgresTypeOID.jsonb
        case .other(let oid, _): oid
        }
    }

    /// The server's text form of a value whose type has no case of its own (e.g. `numeric`,
    /// `date`, arrays, `vector`); `nil` for the types listed above.
    package var otherText: String? {
        if case .other(_, let text) = self.storage {
            return text
        }
        return nil
    }
}
