internal import FoundationEssentials
internal import MetaChatAPI

/// What a gateway's envelopes must hold (`ChannelInbound`); each check throws
/// `INVALID_ARGUMENT` naming the field, as `hello.channelId`, `message.text`, ….
enum ChannelGatewayEnvelopeRules {
    /// The envelope's own id: at most 128 characters, required on messages and receipts (their
    /// acknowledgements and errors refer to it).
    static func envelopeID(_ envelope: Metachat_V1_ChannelInbound, required: Bool) throws {
        try TenantTextRules.check(envelope.envelopeID, field: "envelopeId", minimum: required ? 1 : 0, maximum: 128)
    }

    /// A hello: the channel it serves, and the gateway's name for logs.
    static func hello(_ hello: Metachat_V1_ChannelInbound.Hello) throws -> UUID {
        let channelID = try ConversationFieldRules.uuid(hello.channelID, field: "hello.channelId")
        try TenantTextRules.check(hello.gatewayName, field: "hello.gatewayName", maximum: 100)
        return channelID
    }

    /// An end-user message.
    static func message(_ message: Metachat_V1_ChannelInbound.InboundMessage) throws {
        _ = try ConversationFieldRules.identifier(message.externalUserID, field: "message.externalUserId")
        _ = try ConversationFieldRules.identifier(message.externalMessageID, field: "message.externalMessageId")
        try TenantTextRules.check(
            message.text, field: "message.text", minimum: 1, maximum: ConversationFieldRules.maximumTextLength,
            singleLine: false)
        guard !message.text.allSatisfy(\.isWhitespace) else {
            throw TenantFieldViolation.error("message.text", "must not be blank")
        }
        try TenantTextRules.check(message.userDisplayName, field: "message.userDisplayName", maximum: 200)
        try TenantFieldRules.checkMetadata(message.metadata)
    }

    /// A delivery receipt: the message and its new state.
    static func receipt(_ receipt: Metachat_V1_ChannelInbound.DeliveryReceipt) throws -> UUID {
        let messageID = try ConversationFieldRules.uuid(receipt.messageID, field: "receipt.messageId")
        switch receipt.status {
        case .sent, .delivered, .read, .failed: break
        default:
            throw TenantFieldViolation.error("receipt.status", "must be SENT, DELIVERED, READ or FAILED")
        }
        try TenantTextRules.check(receipt.externalMessageID, field: "receipt.externalMessageId", maximum: 256)
        try TenantTextRules.check(receipt.errorMessage, field: "receipt.errorMessage", maximum: 1000, singleLine: false)
        return messageID
    }
}
