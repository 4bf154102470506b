// The JSON shapes of Meta's webhook callbacks, as far as the channels read them. Every field is
// optional: a missing one is handled where it is read, never a refusal of the whole body.
extension MetaPayload {
    struct Envelope: Decodable {
        var object: String?
        var entry: [Entry]?
    }

    struct Entry: Decodable {
        var id: String?
        var changes: [Change]?
        var messaging: [Messaging]?
    }

    struct Change: Decodable {
        var field: String?
        var value: ChangeValue?
    }

    struct ChangeValue: Decodable {
        var metadata: Metadata?
        var contacts: [Contact]?
        var messages: [WhatsAppMessage]?
        var statuses: [WhatsAppStatus]?
    }

    struct Metadata: Decodable {
        var phoneNumberId: String?
    }

    struct Contact: Decodable {
        var waId: String?
        var profile: Profile?
    }

    struct Profile: Decodable {
        var name: String?
    }

    struct WhatsAppMessage: Decodable {
        var id: String?
        var from: String?
        var timestamp: String?
        var type: String?
        var text: TextBody?
        var image: WhatsAppMedia?
        var audio: WhatsAppMedia?
        var video: WhatsAppMedia?
        var document: WhatsAppMedia?
        var sticker: WhatsAppMedia?
        var location: WhatsAppLocation?
        var interactive: Interactive?
        var button: Button?
        var reaction: Reaction?
    }

    struct TextBody: Decodable {
        var body: String?
    }

    struct WhatsAppMedia: Decodable {
        var id: String?
        var mimeType: String?
        var sha256: String?
        var caption: String?
        var filename: String?
    }

    struct WhatsAppLocation: Decodable {
        var latitude: Double?
        var longitude: Double?
        var name: String?
        var address: String?
    }

    struct Interactive: Decodable {
        var type: String?
        var buttonReply: Reply?
        var listReply: Reply?
    }

    struct Reply: Decodable {
        var id: String?
        var title: String?
    }

    struct Button: Decodable {
        var payload: String?
        var text: String?
    }

    struct Reaction: Decodable {
        var emoji: String?
    }

    struct WhatsAppStatus: Decodable {
        var id: String?
        var status: String?
        var recipientId: String?
        var errors: [StatusError]?
    }

    struct StatusError: Decodable {
        var code: Int?
        var title: String?
        var message: String?
        var errorData: ErrorData?
    }

    struct ErrorData: Decodable {
        var details: String?
    }

    struct Messaging: Decodable {
        var sender: Party?
        var recipient: Party?
        var timestamp: Int64?
        var message: MessengerMessage?
        var postback: Postback?
        var delivery: Delivery?
        var read: Read?
    }

    struct Party: Decodable {
        var id: String?
    }

    struct MessengerMessage: Decodable {
        var mid: String?
        var text: String?
        var isEcho: Bool?
        var quickReply: QuickReply?
        var attachments: [Attachment]?
    }

    struct QuickReply: Decodable {
        var payload: String?
    }

    struct Attachment: Decodable {
        var type: String?
        var payload: AttachmentPayload?
    }

    struct AttachmentPayload: Decodable {
        var url: String?
        var coordinates: Coordinates?
    }

    struct Coordinates: Decodable {
        var lat: Double?
        var long: Double?
    }

    struct Postback: Decodable {
        var mid: String?
        var title: String?
        var payload: String?
    }

    struct Delivery: Decodable {
        var mids: [String]?
    }

    struct Read: Decodable {
        var watermark: Int64?
    }
}
