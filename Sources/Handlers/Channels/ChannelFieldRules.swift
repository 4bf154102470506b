internal import MetaChatAPI

/// The rules of the channel fields clients send; violations are `INVALID_ARGUMENT` naming the
/// field (never quoting a credential).
enum ChannelFieldRules {
    /// The most origins a widget lists.
    static let maximumOrigins = 50

    /// The stored name of a type.
    static func storedName(_ type: Metachat_V1_ChannelType) -> String {
        switch type {
        case .webChat: "WEB_CHAT"
        case .whatsapp: "WHATSAPP"
        case .messenger: "MESSENGER"
        default: ""
        }
    }

    /// The type a stored name stands for.
    static func type(named name: String) -> Metachat_V1_ChannelType {
        switch name {
        case "WEB_CHAT": .webChat
        case "WHATSAPP": .whatsapp
        default: .messenger
        }
    }

    /// A display name: 1 to 100 characters on one line.
    static func name(_ text: String, field: String = "name") throws -> String {
        try TenantTextRules.check(text, field: field, minimum: 1, maximum: 100)
        return text
    }

    /// The type of a new channel: the config case's, and the one named when set.
    static func type(_ named: Metachat_V1_ChannelType, config: Metachat_V1_CreateChannelRequest.OneOf_Config?) throws
        -> Metachat_V1_ChannelType
    {
        let inferred: Metachat_V1_ChannelType
        switch config {
        case .webChat: inferred = .webChat
        case .whatsapp: inferred = .whatsapp
        case .messenger: inferred = .messenger
        case nil:
            throw TenantFieldViolation.error("config", "is required: set one of webChat, whatsapp, messenger")
        }
        switch named {
        case .unspecified: return inferred
        case .api: throw TenantFieldViolation.error("type", "API is not a channel type")
        case inferred: return inferred
        case .webChat, .whatsapp, .messenger:
            throw TenantFieldViolation.error("type", "does not match the config that is set")
        case .UNRECOGNIZED: throw TenantFieldViolation.error("type", "is not a known channel type")
        }
    }

    /// A list filter's type: any known type but API.
    static func filterType(_ type: Metachat_V1_ChannelType) throws -> String? {
        switch type {
        case .unspecified: return nil
        case .webChat, .whatsapp, .messenger: return Self.storedName(type)
        case .api: throw TenantFieldViolation.error("type", "API is not a channel type")
        case .UNRECOGNIZED: throw TenantFieldViolation.error("type", "is not a known channel type")
        }
    }

    /// A Meta object id (phone number, business account, page): 1 to 32 digits.
    static func metaID(_ text: String, field: String) throws -> String {
        guard !text.isEmpty else { throw TenantFieldViolation.error(field, "is required") }
        guard text.utf8.count <= 32, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            throw TenantFieldViolation.error(field, "must be 1 to 32 digits")
        }
        return text
    }

    /// An access token or app secret: 1 to 4096 printable ASCII characters without spaces.
    static func credential(_ text: String, field: String) throws -> String {
        guard !text.isEmpty else { throw TenantFieldViolation.error(field, "is required") }
        guard text.utf8.count <= 4096, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw TenantFieldViolation.error(
                field, "must be 1 to 4096 printable ASCII characters without spaces")
        }
        return text
    }

    /// A verify token: 8 to 128 printable ASCII characters without spaces.
    static func verifyToken(_ text: String, field: String) throws -> String {
        guard !text.isEmpty else { throw TenantFieldViolation.error(field, "is required") }
        guard (8...128).contains(text.utf8.count), text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw TenantFieldViolation.error(field, "must be 8 to 128 printable ASCII characters without spaces")
        }
        return text
    }

    /// A widget's allowed origins: at most 50, each `scheme://host[:port]`; duplicates dropped.
    static func origins(_ origins: [String], field: String) throws -> [String] {
        guard origins.count <= Self.maximumOrigins else {
            throw TenantFieldViolation.error(field, "must have at most \(Self.maximumOrigins) entries")
        }
        var kept: [String] = []
        for (index, origin) in origins.enumerated() {
            try TenantTextRules.checkOrigin(origin, field: "\(field)[\(index)]")
            if !kept.contains(origin) { kept.append(origin) }
        }
        return kept
    }

    /// A widget greeting: at most 1000 characters on one line.
    static func greeting(_ text: String, field: String) throws -> String {
        try TenantTextRules.check(text, field: field, maximum: 1000)
        return text
    }

    /// A page size: 0 (50) to 200.
    static func pageSize(_ size: Int32) throws -> Int {
        guard (0...200).contains(size) else {
            throw TenantFieldViolation.error("pageSize", "must be between 0 and 200")
        }
        return size == 0 ? 50 : Int(size)
    }
}
