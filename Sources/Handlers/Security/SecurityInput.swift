internal import FoundationEssentials
internal import RPCServer
internal import Storage
internal import SwiftProtobuf

/// Checks of the fields SecurityService requests carry; each failure is `INVALID_ARGUMENT` naming
/// the field by its JSON name.
enum SecurityInput {
    /// The longest label.
    static let maximumLabelLength = 100
    /// The longest email address.
    static let maximumEmailLength = 320

    /// A required UUID field.
    static func uuid(_ text: String, field: String) throws -> UUID {
        guard !text.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "\(field) is required.")
        }
        guard text.utf8.count == 36, let id = UUID(canonicalText: text) else {
            throw RPCError(code: .invalidArgument, message: "\(field) must be a UUID.")
        }
        return id
    }

    /// A key label: 1–100 characters, not only spaces, no control character.
    static func label(_ label: String) throws -> String {
        try Self.text(label, field: "label")
        let length = label.unicodeScalars.count
        guard !label.allSatisfy(\.isWhitespace) else {
            throw RPCError(code: .invalidArgument, message: "label is required (1-100 characters).")
        }
        guard length <= Self.maximumLabelLength else {
            throw RPCError(code: .invalidArgument, message: "label must be at most 100 characters, not \(length).")
        }
        return label
    }

    /// An email address: one `@` with text on both sides, no spaces or control characters, at
    /// most 320 characters.
    static func email(_ email: String) throws -> String {
        guard !email.isEmpty else {
            throw RPCError(code: .invalidArgument, message: "email is required.")
        }
        try Self.text(email, field: "email")
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard email.unicodeScalars.count <= Self.maximumEmailLength,
            parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            !email.unicodeScalars.contains(where: \.properties.isWhitespace),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix(".")
        else {
            throw RPCError(code: .invalidArgument, message: "email must be a valid address of at most 320 characters.")
        }
        return email
    }

    /// Refuses single-line text holding a control character (``TextCharacters/singleLine``);
    /// the RPCs check this for every field already (``RequestTextCheck``), `seed-admin` only here.
    static func text(_ text: String, field: String) throws {
        if TextCharacters.singleLine.firstRefused(in: text) != nil {
            throw RPCError(code: .invalidArgument, message: "\(field) \(TextCharacters.singleLine.refusal)")
        }
    }

    /// An optional expiry, which must lie in the future.
    static func expiry(_ timestamp: Google_Protobuf_Timestamp?, now: Date = Date()) throws -> Date? {
        guard let timestamp else { return nil }
        let date = timestamp.date
        guard date > now else {
            throw RPCError(code: .invalidArgument, message: "expiresAt must be in the future.")
        }
        return date
    }

    /// A rotation token's lifetime: unset means `fallback`; otherwise 1 minute to 24 hours.
    static func tokenLifetime(_ ttl: Google_Protobuf_Duration?, fallback: Duration) throws -> Duration {
        guard let ttl else { return fallback }
        let lifetime = Duration.seconds(ttl.seconds) + Duration.nanoseconds(Int64(ttl.nanos))
        guard lifetime >= .seconds(60), lifetime <= .seconds(86_400) else {
            throw RPCError(code: .invalidArgument, message: "tokenTtl must be between 1 minute and 24 hours.")
        }
        return lifetime
    }
}
