/// The JSON body of a free-form text message sent through the Graph API (keys written in
/// snake_case by the encoder).
enum GraphTextMessage {
    /// WhatsApp Cloud API: `{"messaging_product":"whatsapp","recipient_type":"individual","to",
    /// "type":"text","text":{"preview_url":false,"body"}}`.
    struct WhatsApp: Encodable {
        struct Text: Encodable {
            var previewUrl = false
            var body: String
        }

        var messagingProduct = "whatsapp"
        var recipientType = "individual"
        var to: String
        var type = "text"
        var text: Text
    }

    /// Messenger Send API: `{"recipient":{"id"},"messaging_type":"RESPONSE","message":{"text"}}`.
    struct Messenger: Encodable {
        struct Recipient: Encodable {
            var id: String
        }

        struct Message: Encodable {
            var text: String
        }

        var recipient: Recipient
        var messagingType = "RESPONSE"
        var message: Message
    }

    /// Messenger sender action: `{"recipient":{"id"},"sender_action":"typing_on"}`.
    struct MessengerSenderAction: Encodable {
        var recipient: Messenger.Recipient
        var senderAction: String
    }

    /// Messenger's typing indicator for `to`.
    static func messengerTyping(to: String) -> MessengerSenderAction {
        MessengerSenderAction(recipient: Messenger.Recipient(id: to), senderAction: "typing_on")
    }

    /// A WhatsApp text message to `to`.
    static func whatsApp(to: String, text: String) -> WhatsApp {
        WhatsApp(to: to, text: WhatsApp.Text(body: text))
    }

    /// A Messenger reply to `to`.
    static func messenger(to: String, text: String) -> Messenger {
        Messenger(recipient: Messenger.Recipient(id: to), message: Messenger.Message(text: text))
    }
}
