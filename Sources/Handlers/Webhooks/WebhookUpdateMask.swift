internal import MetaChatAPI

/// The fields an UpdateWebhookEndpoint changes: `url`, `event_types`, `description`, `enabled`
/// (lowerCamelCase accepted too). Output-only fields and unknown paths are `INVALID_ARGUMENT`
/// naming them.
///
/// An empty mask (gRPC clients may send none) means every mutable field holding a non-default
/// value; when that is none, `INVALID_ARGUMENT`.
struct WebhookUpdateMask: Sendable, Hashable {
    var url = false
    var eventTypes = false
    var description = false
    var enabled = false

    /// The fields of `WebhookEndpoint` that exist but are output only.
    private static let outputOnly: Set<String> = [
        "id", "tenant_id", "signing_secret_last_four", "created_at", "updated_at", "secret_rotated_at",
        "disabled_reason", "consecutive_failures", "previous_secret_expires_at",
    ]

    /// Reads a mask.
    ///
    /// - Parameters:
    ///   - paths: The request's `update_mask` paths.
    ///   - body: The request's endpoint, for an empty mask.
    init(paths: [String], body: Metachat_V1_WebhookEndpoint) throws {
        if paths.isEmpty {
            self.url = !body.url.isEmpty
            self.eventTypes = !body.eventTypes.isEmpty
            self.description = !body.description_p.isEmpty
            self.enabled = body.enabled
            guard self.url || self.eventTypes || self.description || self.enabled else {
                throw TenantFieldViolation.error(
                    "updateMask",
                    "is empty and the webhook sets no mutable field (url, event_types, description, enabled)")
            }
            return
        }
        for path in paths {
            switch Self.snakeCase(path) {
            case "url": self.url = true
            case "event_types": self.eventTypes = true
            case "description": self.description = true
            case "enabled": self.enabled = true
            case let other where Self.outputOnly.contains(other):
                throw TenantFieldViolation.error("updateMask", "names \(path), which is output only")
            default:
                throw TenantFieldViolation.error("updateMask", "names \(path), which is not a field of WebhookEndpoint")
            }
        }
    }

    /// `eventTypes` → `event_types`; snake_case stays as it is.
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
