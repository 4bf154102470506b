internal import MetaChatAPI

/// The fields an UpdateChannel changes, as snake_case leaf paths relative to `Channel`: `name`,
/// `enabled` and the fields of the channel's own config case (`whatsapp.access_token`, …;
/// lowerCamelCase accepted too). A config case alone (`whatsapp`) names each of its fields the
/// body sets. Output-only fields, another config case and unknown paths are `INVALID_ARGUMENT`
/// naming them.
///
/// An empty mask (gRPC clients may send none) means every mutable field holding a non-default
/// value; when that is none, `INVALID_ARGUMENT`.
struct ChannelUpdateMask: Sendable, Hashable {
    /// The leaf paths to change.
    private(set) var paths: Set<String> = []

    /// The mutable leaves of each config case.
    static let mutableLeaves: [String: [String]] = [
        "web_chat": ["allowed_origins", "greeting"],
        "whatsapp": ["phone_number_id", "business_account_id", "access_token", "app_secret", "verify_token"],
        "messenger": ["page_id", "page_access_token", "app_secret", "verify_token"],
    ]

    /// Output-only fields of `Channel` and of its config cases.
    private static let outputOnly: Set<String> = [
        "id", "tenant_id", "type", "callback_url", "created_at", "updated_at", "health", "web_chat.widget_id",
        "whatsapp.access_token_last_four", "whatsapp.app_secret_last_four", "whatsapp.verify_token_last_four",
        "messenger.page_access_token_last_four", "messenger.app_secret_last_four",
        "messenger.verify_token_last_four",
    ]

    /// Reads a mask.
    ///
    /// - Parameters:
    ///   - paths: The request's `update_mask` paths.
    ///   - body: The request's channel, for an empty mask or a whole config case.
    ///   - configCase: The stored channel's config case (`web_chat`, `whatsapp`, `messenger`).
    init(paths: [String], body: Metachat_V1_Channel, configCase: String) throws {
        let setLeaves = Self.setLeaves(body)
        if paths.isEmpty {
            for leaf in setLeaves {
                if leaf.contains("."), !leaf.hasPrefix(configCase + ".") {
                    throw TenantFieldViolation.error("channel.\(Self.camel(leaf))", "belongs to another channel type")
                }
                self.paths.insert(leaf)
            }
            guard !self.paths.isEmpty else {
                throw TenantFieldViolation.error(
                    "updateMask", "is empty and the channel sets no mutable field (name, enabled, config fields)")
            }
            return
        }
        for path in paths {
            let snake = path.split(separator: ".", omittingEmptySubsequences: false).map {
                Self.snakeCase(String($0))
            }.joined(separator: ".")
            if snake == "name" || snake == "enabled" {
                self.paths.insert(snake)
                continue
            }
            if Self.outputOnly.contains(snake) {
                throw TenantFieldViolation.error("updateMask", "names \(path), which is output only")
            }
            let parts = snake.split(separator: ".", maxSplits: 1).map(String.init)
            guard let leaves = Self.mutableLeaves[parts[0]] else {
                throw TenantFieldViolation.error("updateMask", "names \(path), which is not a field of Channel")
            }
            guard parts[0] == configCase else {
                throw TenantFieldViolation.error(
                    "updateMask", "names \(path), which belongs to another channel type (the type cannot change)")
            }
            if parts.count == 1 {
                let named = setLeaves.filter { $0.hasPrefix(configCase + ".") }
                guard !named.isEmpty else {
                    throw TenantFieldViolation.error(
                        "updateMask", "names \(path), but the channel sets none of its fields")
                }
                self.paths.formUnion(named)
            } else if leaves.contains(parts[1]) {
                self.paths.insert(snake)
            } else {
                throw TenantFieldViolation.error("updateMask", "names \(path), which is not a field of Channel")
            }
        }
    }

    /// Whether `path` is to change.
    func contains(_ path: String) -> Bool { self.paths.contains(path) }

    /// The mutable leaves of `body` holding non-default values.
    private static func setLeaves(_ body: Metachat_V1_Channel) -> [String] {
        var leaves: [String] = []
        if !body.name.isEmpty { leaves.append("name") }
        if body.enabled { leaves.append("enabled") }
        switch body.config {
        case .webChat(let config):
            if !config.allowedOrigins.isEmpty { leaves.append("web_chat.allowed_origins") }
            if !config.greeting.isEmpty { leaves.append("web_chat.greeting") }
        case .whatsapp(let config):
            if !config.phoneNumberID.isEmpty { leaves.append("whatsapp.phone_number_id") }
            if !config.businessAccountID.isEmpty { leaves.append("whatsapp.business_account_id") }
            if !config.accessToken.isEmpty { leaves.append("whatsapp.access_token") }
            if !config.appSecret.isEmpty { leaves.append("whatsapp.app_secret") }
            if !config.verifyToken.isEmpty { leaves.append("whatsapp.verify_token") }
        case .messenger(let config):
            if !config.pageID.isEmpty { leaves.append("messenger.page_id") }
            if !config.pageAccessToken.isEmpty { leaves.append("messenger.page_access_token") }
            if !config.appSecret.isEmpty { leaves.append("messenger.app_secret") }
            if !config.verifyToken.isEmpty { leaves.append("messenger.verify_token") }
        case nil: break
        }
        return leaves
    }

    /// `whatsapp.accessToken`-style path of a snake_case one, for error messages.
    static func camel(_ snake: String) -> String {
        var result = ""
        var upper = false
        for character in snake {
            if character == "_" {
                upper = true
            } else {
                result += upper ? character.uppercased() : String(character)
                upper = false
            }
        }
        return result
    }

    /// `allowedOrigins` → `allowed_origins`; snake_case stays as it is.
    private static func snakeCase(_ path: String) -> String {
        var result = ""
        for character in path {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
