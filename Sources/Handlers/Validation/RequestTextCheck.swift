internal import SwiftProtobuf

/// The character check every string of a request passes before a handler uses it: NUL and other
/// control characters are refused with `INVALID_ARGUMENT` naming the field (see
/// ``TextCharacters`` for the rule, `docs/validation.md` for the list), so they never reach
/// PostgreSQL (which cannot store NUL and answered such requests with an internal error) and never
/// change stored data.
///
/// ```swift
/// package func createTenant(request: Metachat_V1_CreateTenantRequest, context: ServerContext) async throws -> … {
///     try RequestTextCheck.check(request)
///     …
/// }
/// ```
enum RequestTextCheck {
    /// The fields that take multiline prose (tab and line breaks accepted), as
    /// `package.Message.field_name`; for maps, the values (keys are always single-line).
    static let multilineFields: Set<String> = [
        "metachat.v1.LlmSettings.system_prompt",
        "metachat.v1.EscalationSettings.handoff_message",
        "metachat.v1.WidgetSettings.greeting",
        "metachat.v1.Tenant.metadata",
        "metachat.v1.CreateTenantRequest.metadata",
        "metachat.v1.Conversation.metadata",
        "metachat.v1.CreateConversationRequest.metadata",
        "metachat.v1.PostAgentReplyRequest.text",
        "metachat.v1.PostAgentReplyRequest.metadata",
        "metachat.v1.EscalateConversationRequest.note",
        "metachat.v1.Attachment.caption",
        "metachat.v1.Location.address",
        "metachat.v1.Message.text",
        "metachat.v1.Message.metadata",
        "metachat.v1.CreateDocumentRequest.content",
        "metachat.v1.CreateDocumentRequest.metadata",
        "metachat.v1.UpdateDocumentRequest.content",
        "metachat.v1.Document.metadata",
        "metachat.v1.UploadHeader.metadata",
        "metachat.v1.SearchDocumentsRequest.query",
    ]

    /// Checks every string of `request`, nested messages, lists and maps included.
    ///
    /// - Throws: `INVALID_ARGUMENT` naming the first field (by its JSON path) holding a refused
    ///   character.
    static func check(_ request: some SwiftProtobuf.Message) throws {
        var visitor = RequestTextVisitor(
            names: .metaChat, multilineFields: Self.multilineFields, messageName: type(of: request).protoMessageName)
        try request.traverse(visitor: &visitor)
    }
}
