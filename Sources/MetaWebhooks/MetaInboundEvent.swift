/// One thing a Meta callback reports: a message from a user, a delivery receipt of a message the
/// channel sent, or something the channel deliberately ignores.
public enum MetaInboundEvent: Sendable, Equatable {
    /// A user wrote (or tapped a button).
    case message(MetaInboundMessage)
    /// The platform reports the fate of a message the channel sent.
    case status(MetaDeliveryStatus)
    /// Something that makes no message (a Messenger echo of the page's own message, a typing or
    /// read notice, a field the channel does not handle), with why.
    case skipped(String)
}

/// A user's message as a channel stores it.
public struct MetaInboundMessage: Sendable, Equatable {
    /// What kind of message it is.
    public enum Kind: String, Sendable, Equatable {
        case text, image, audio, video, document, sticker, location, interactive, button, postback, attachment,
            reaction, unsupported
    }

    /// The platform's message id (`wamid.…`, Messenger `mid`): the dedupe key.
    public var externalID: String
    /// The sender: WhatsApp `wa_id`, Messenger page-scoped id (PSID).
    public var from: String
    /// The receiving object: WhatsApp phone number id, Messenger page id.
    public var recipientID: String
    /// The sender's profile name, when the platform gives it.
    public var senderName: String
    /// The kind.
    public var kind: Kind
    /// The text: the body, a caption, a button's title, a postback's title, or a location's name.
    public var text: String
    /// A button's, list row's or postback's payload (what the app put behind the button).
    public var payload: String
    /// Media: WhatsApp media ids (resolved through the Graph API) or Messenger attachment URLs.
    public var media: [MetaMedia]
    /// A shared location.
    public var location: MetaLocation?
    /// Unix seconds (WhatsApp) or milliseconds / 1000 (Messenger) of when the user sent it.
    public var timestamp: Int64

    /// A message.
    public init(
        externalID: String, from: String, recipientID: String, senderName: String = "", kind: Kind, text: String = "",
        payload: String = "", media: [MetaMedia] = [], location: MetaLocation? = nil, timestamp: Int64 = 0
    ) {
        self.externalID = externalID
        self.from = from
        self.recipientID = recipientID
        self.senderName = senderName
        self.kind = kind
        self.text = text
        self.payload = payload
        self.media = media
        self.location = location
        self.timestamp = timestamp
    }
}

/// A media item of a message.
public struct MetaMedia: Sendable, Equatable {
    /// `image`, `audio`, `video`, `document`, `sticker`, `file`, …
    public var type: String
    /// The WhatsApp media id (empty for Messenger).
    public var id: String
    /// The URL (Messenger attachments; WhatsApp after resolving the id).
    public var url: String
    /// The MIME type, when given.
    public var mimeType: String
    /// The file name (documents), when given.
    public var filename: String
    /// The SHA-256 the platform reports, when given.
    public var sha256: String

    /// A media item.
    public init(
        type: String, id: String = "", url: String = "", mimeType: String = "", filename: String = "",
        sha256: String = ""
    ) {
        self.type = type
        self.id = id
        self.url = url
        self.mimeType = mimeType
        self.filename = filename
        self.sha256 = sha256
    }
}

/// A shared location.
public struct MetaLocation: Sendable, Equatable {
    /// Degrees, -90…90.
    public var latitude: Double
    /// Degrees, -180…180.
    public var longitude: Double
    /// The place's name, when given.
    public var name: String
    /// Its address, when given.
    public var address: String

    /// A location.
    public init(latitude: Double, longitude: Double, name: String = "", address: String = "") {
        self.latitude = latitude
        self.longitude = longitude
        self.name = name
        self.address = address
    }
}

/// A delivery receipt.
public struct MetaDeliveryStatus: Sendable, Equatable {
    /// What happened to the message.
    public enum State: String, Sendable, Equatable {
        case sent, delivered, read, failed
    }

    /// The platform's id of the message the channel sent.
    public var externalID: String
    /// The new state.
    public var state: State
    /// The recipient (WhatsApp `recipient_id`, Messenger PSID).
    public var recipientID: String
    /// For `failed`: the platform's error code and text.
    public var errorCode: Int?
    /// For `failed`: what went wrong.
    public var errorMessage: String

    /// A receipt.
    public init(externalID: String, state: State, recipientID: String, errorCode: Int? = nil, errorMessage: String = "")
    {
        self.externalID = externalID
        self.state = state
        self.recipientID = recipientID
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }
}
