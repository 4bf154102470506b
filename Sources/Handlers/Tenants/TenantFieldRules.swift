internal import FoundationEssentials
internal import Storage

/// The rules for a tenant's own fields besides its settings: name, metadata and ID.
enum TenantFieldRules {
    /// The name trimmed of surrounding whitespace, which must leave 1 to 200 characters.
    static func name(_ name: String) throws -> String {
        let start = name.firstIndex { !$0.isWhitespace } ?? name.endIndex
        let end = name.lastIndex { !$0.isWhitespace }.map(name.index(after:)) ?? start
        let trimmed = String(name[start..<end])
        try TenantTextRules.check(trimmed, field: "name", minimum: 1, maximum: 200)
        return trimmed
    }

    /// Checks metadata: at most 32 entries, keys 1-64 characters of `[A-Za-z0-9_.-]`, values at
    /// most 512 characters.
    static func checkMetadata(_ metadata: [String: String]) throws {
        guard metadata.count <= 32 else {
            throw TenantFieldViolation.error("metadata", "must have at most 32 entries")
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            let validKey =
                (1...64).contains(key.utf8.count)
                && key.utf8.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                        || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                }
            guard validKey else {
                throw TenantFieldViolation.error("metadata", "keys must be 1-64 characters of [A-Za-z0-9_.-]")
            }
            try TenantTextRules.check(value, field: "metadata.\(key)", maximum: 512, singleLine: false)
        }
    }

    /// The tenant ID of a request as a UUID.
    ///
    /// - Throws: `INVALID_ARGUMENT` naming `tenantId` when it is empty or not a UUID.
    static func tenantID(_ text: String) throws -> UUID {
        guard !text.isEmpty else {
            throw TenantFieldViolation.error("tenantId", "is required")
        }
        guard text.utf8.count == 36, let id = UUID(canonicalText: text) else {
            throw TenantFieldViolation.error("tenantId", "must be a UUID")
        }
        return id
    }
}
