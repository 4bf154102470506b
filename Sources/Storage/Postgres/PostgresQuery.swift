/// SQL text with its bind parameters, built so that values never become part of the text.
///
/// Every interpolated value becomes the next `$n` parameter:
///
/// ```swift
/// let rows = try await pool.query("SELECT name FROM tenants WHERE id = \(tenantID) AND enabled = \(true)")
/// // sql: "SELECT name FROM tenants WHERE id = $1 AND enabled = $2", binds: [.uuid(tenantID), .bool(true)]
/// ```
///
/// SQL assembled at run time has to say so with ``init(unsafeSQL:binds:)``.
package struct PostgresQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    /// The SQL text, with `$1`, `$2`, … where the binds go.
    package var sql: String
    /// The parameters, in order; `nil` is SQL `NULL`.
    package var binds: [PostgresValue?]

    /// Creates a query from SQL text built at run time and its parameters.
    ///
    /// - Parameters:
    ///   - sql: SQL text; it must not contain values that came from outside.
    ///   - binds: The values of `$1`, `$2`, …
    package init(unsafeSQL sql: String, binds: [PostgresValue?] = []) {
        self.sql = sql
        self.binds = binds
    }

    /// Creates a query without parameters from a literal.
    package init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    /// Creates a query from a literal with interpolated parameters.
    package init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// Collects the literal parts and the interpolated parameters of a ``PostgresQuery``.
    package struct StringInterpolation: StringInterpolationProtocol {
        var sql: String
        var binds: [PostgresValue?]

        /// Reserves room for the literal parts and parameters.
        package init(literalCapacity: Int, interpolationCount: Int) {
            self.sql = ""
            self.sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            self.binds = []
            self.binds.reserveCapacity(interpolationCount)
        }

        /// Appends SQL text.
        package mutating func appendLiteral(_ literal: String) {
            self.sql += literal
        }

        /// Appends a parameter.
        package mutating func appendInterpolation(_ value: some PostgresEncodable) {
            self.binds.append(value.postgresValue)
            self.sql += "$\(self.binds.count)"
        }

        /// Appends SQL text fixed at compile time (a column list, a constant fragment), not a
        /// parameter: `unescaped` says that it becomes part of the statement's text.
        package mutating func appendInterpolation(unescaped sql: StaticString) {
            self.sql += sql.description
        }

        /// Appends a parameter that may be SQL `NULL`.
        package mutating func appendInterpolation(_ value: (some PostgresEncodable)?) {
            self.binds.append(value?.postgresValue)
            self.sql += "$\(self.binds.count)"
        }
    }
}
