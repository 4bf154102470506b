internal import FoundationEssentials
internal import MetaChatAPI
internal import RPCServer
internal import Storage

/// The rules for the fields of ConversationService requests. Each failure is `INVALID_ARGUMENT`
/// whose message starts with the field's JSON path (`attachments[1].mimeType must …`) and never
/// repeats the value; lengths count Unicode scalars, as PostgreSQL's `length()` does.
enum ConversationFieldRules {
    /// The longest text a user or an agent may send.
    static let maximumTextLength = 8000
    /// The most attachments one message carries.
    static let maximumAttachments = 10

    /// A required UUID field (`conversationId`, `channelId`, `messageId`).
    static func uuid(_ text: String, field: String) throws -> UUID {
        guard !text.isEmpty else {
            throw TenantFieldViolation.error(field, "is required")
        }
        guard text.utf8.count == 36, let id = UUID(canonicalText: text) else {
            throw TenantFieldViolation.error(field, "must be a UUID")
        }
        return id
    }

    /// A required identifier of a person (end user, agent, assignee): 1–256 characters.
    static func identifier(_ text: String, field: String) throws -> String {
        try TenantTextRules.check(text, field: field, minimum: 1, maximum: 256)
        guard !text.allSatisfy(\.isWhitespace) else {
            throw TenantFieldViolation.error(field, "must not be blank")
        }
        return text
    }

    /// An optional actor: at most 256 characters; empty means the caller.
    static func actor(_ text: String) throws -> String? {
        try TenantTextRules.check(text, field: "actorId", maximum: 256)
        return text.isEmpty ? nil : text
    }

    /// A message text: at most `maximumTextLength` characters with line breaks, required unless
    /// the message carries something else (`allowEmpty`).
    static func text(_ text: String, allowEmpty: Bool) throws {
        try TenantTextRules.check(
            text, field: "text", minimum: allowEmpty ? 0 : 1, maximum: Self.maximumTextLength, singleLine: false)
        if !allowEmpty, text.allSatisfy(\.isWhitespace) {
            throw TenantFieldViolation.error("text", "must not be blank")
        }
    }

    /// An idempotency key: 1–128 characters without control characters.
    static func idempotencyKey(_ key: String, field: String) throws {
        try TenantTextRules.check(key, field: field, minimum: 1, maximum: 128)
    }

    /// Checks attachments: at most ten, each with a kind, a `type/subtype` MIME type, a size within
    /// 0…2 GiB and a provider media id or a storage key.
    static func checkAttachments(_ attachments: [Metachat_V1_Attachment]) throws {
        guard attachments.count <= Self.maximumAttachments else {
            throw TenantFieldViolation.error("attachments", "must hold at most \(Self.maximumAttachments) entries")
        }
        for (index, attachment) in attachments.enumerated() {
            let path = "attachments[\(index)]"
            switch attachment.kind {
            case .image, .audio, .video, .document, .sticker: break
            default: throw TenantFieldViolation.error("\(path).kind", "must be an attachment kind")
            }
            try TenantTextRules.check(attachment.mimeType, field: "\(path).mimeType", minimum: 1, maximum: 255)
            let parts = attachment.mimeType.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                !attachment.mimeType.contains(where: \.isWhitespace)
            else {
                throw TenantFieldViolation.error("\(path).mimeType", "must look like type/subtype")
            }
            guard (0...2_147_483_648).contains(attachment.sizeBytes) else {
                throw TenantFieldViolation.error("\(path).sizeBytes", "must be between 0 and 2147483648")
            }
            try TenantTextRules.check(attachment.caption, field: "\(path).caption", maximum: 1024, singleLine: false)
            try TenantTextRules.check(attachment.providerMediaID, field: "\(path).providerMediaId", maximum: 256)
            try TenantTextRules.check(attachment.storageKey, field: "\(path).storageKey", maximum: 1024)
            try TenantTextRules.check(attachment.fileName, field: "\(path).fileName", maximum: 255)
            guard !attachment.providerMediaID.isEmpty || !attachment.storageKey.isEmpty else {
                throw TenantFieldViolation.error(path, "needs a providerMediaId or a storageKey")
            }
        }
    }

    /// Checks a location: finite coordinates in range, short name and address.
    static func checkLocation(_ location: Metachat_V1_Location) throws {
        guard location.latitude.isFinite, (-90...90).contains(location.latitude) else {
            throw TenantFieldViolation.error("location.latitude", "must be between -90 and 90")
        }
        guard location.longitude.isFinite, (-180...180).contains(location.longitude) else {
            throw TenantFieldViolation.error("location.longitude", "must be between -180 and 180")
        }
        try TenantTextRules.check(location.name, field: "location.name", maximum: 256)
        try TenantTextRules.check(location.address, field: "location.address", maximum: 1024, singleLine: false)
    }
}
