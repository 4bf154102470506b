internal import MetaChatAPI
internal import RPCServer

/// The fields an UpdateConversation changes: `title`, `metadata`, `needs_review` (lowerCamelCase
/// accepted too). Every other field of `Conversation` is output only or changes through the
/// transition methods; naming one, or an unknown path, is `INVALID_ARGUMENT` naming it.
///
/// An empty mask (gRPC clients may send none) means every mutable field holding a non-default
/// value; when that is none, `INVALID_ARGUMENT`.
struct ConversationUpdateMask: Sendable, Hashable {
    var title = false
    var metadata = false
    var needsReview = false

    /// The fields of `Conversation` that exist but UpdateConversation does not change.
    private static let notMutable: Set<String> = [
        "id", "tenant_id", "channel_type", "channel_id", "external_user_id", "status", "assignee_id",
        "message_count", "escalated", "escalation_reason", "last_message_at", "created_at", "updated_at",
        "closed_at", "last_event_id",
    ]

    /// Reads a mask.
    ///
    /// - Parameters:
    ///   - paths: The request's `update_mask` paths.
    ///   - body: The request's conversation, for an empty mask.
    init(paths: [String], body: Metachat_V1_Conversation) throws {
        if paths.isEmpty {
            self.title = !body.title.isEmpty
            self.metadata = !body.metadata.isEmpty
            self.needsReview = body.needsReview
            guard self.title || self.metadata || self.needsReview else {
                throw TenantFieldViolation.error(
                    "updateMask", "is empty and the conversation sets no mutable field (title, metadata, needs_review)")
            }
            return
        }
        for path in paths {
            switch Self.snakeCase(path) {
            case "title": self.title = true
            case "metadata": self.metadata = true
            case "needs_review": self.needsReview = true
            case let other where Self.notMutable.contains(other):
                let hint =
                    other == "status" || other == "assignee_id"
                    ? " (status and assignee change through Escalate, Assign, Unassign, HandBack, Resolve, Reopen and Close)"
                    : ""
                throw TenantFieldViolation.error(
                    "updateMask", "names \(path), which UpdateConversation does not change\(hint)")
            default:
                throw TenantFieldViolation.error("updateMask", "names \(path), which is not a field of Conversation")
            }
        }
    }

    /// `needsReview` → `needs_review`; snake_case stays as it is.
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
