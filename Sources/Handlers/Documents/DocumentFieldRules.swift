internal import DocumentReaders
internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer

/// The rules for the fields of DocumentService requests. Each failure is `INVALID_ARGUMENT`
/// whose message starts with the field's JSON name and never repeats the value.
enum DocumentFieldRules {
    /// The largest text content of CreateDocument and UpdateDocument (10 MiB).
    static let maximumTextContentBytes = 10 * 1024 * 1024
    /// The largest upload (100 MiB).
    static let maximumUploadBytes: Int64 = 100 * 1024 * 1024
    /// The largest piece of an upload stream (1 MiB).
    static let maximumUploadPieceBytes = 1024 * 1024

    /// A title: 1-300 characters, not blank.
    static func title(_ text: String, field: String = "title") throws -> String {
        try TenantTextRules.check(text, field: field, minimum: 1, maximum: 300)
        guard !text.allSatisfy(\.isWhitespace) else {
            throw TenantFieldViolation.error(field, "must not be blank")
        }
        return text
    }

    /// A file name: 1-255 characters without path separators, not `.` or `..`.
    static func filename(_ text: String, field: String = "header.filename") throws -> String {
        try TenantTextRules.check(text, field: field, minimum: 1, maximum: 255)
        guard !text.contains("/"), !text.contains("\\"), text != ".", text != ".." else {
            throw TenantFieldViolation.error(field, "must be a file name without path separators")
        }
        return text
    }

    /// Text content: 1 byte..10 MiB.
    static func textContent(_ text: String, field: String = "content") throws {
        guard !text.isEmpty else { throw TenantFieldViolation.error(field, "is required") }
        guard text.utf8.count <= Self.maximumTextContentBytes else {
            throw TenantFieldViolation.error(field, "must be at most 10485760 bytes")
        }
    }

    /// The kind of content, checked against its bytes.
    static func kind(_ prefix: some Collection<UInt8>, declared: String, filename: String, field: String) throws
        -> DocumentKind
    {
        guard declared.utf8.count <= 255 else {
            throw TenantFieldViolation.error(field, "must be at most 255 characters")
        }
        do {
            return try DocumentKind.sniff(prefix, declared: declared, filename: filename)
        } catch {
            throw TenantFieldViolation.error(field, error.message)
        }
    }

    /// A list filter's status.
    static func status(_ status: Metachat_V1_DocumentStatus) throws -> String? {
        switch status {
        case .unspecified: return nil
        case .UNRECOGNIZED: throw TenantFieldViolation.error("status", "must be a document status")
        default: return DocumentRow.statusName(status)
        }
    }

    /// A page size: 0 means 50, more than 200 is clamped to 200.
    static func pageSize(_ value: Int32) throws -> Int {
        guard value >= 0 else { throw TenantFieldViolation.error("pageSize", "must not be negative") }
        return value == 0 ? 50 : min(Int(value), 200)
    }

    /// A lowercase hex SHA-256, or empty.
    static func sha256(_ text: String, field: String) throws {
        guard text.isEmpty || (text.utf8.count == 64 && text.utf8.allSatisfy { Hex.isLowercaseHexDigit($0) }) else {
            throw TenantFieldViolation.error(field, "must be 64 lowercase hexadecimal digits")
        }
    }
}

extension Hex {
    /// Whether `byte` is `0-9` or `a-f`.
    static func isLowercaseHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
