internal import FoundationEssentials

/// A Meta webhook callback body read into events: WhatsApp Cloud API
/// (`object: whatsapp_business_account`, `entry[].changes[].value`) or Messenger (`object: page`,
/// `entry[].messaging[]`).
///
/// Reading is total and bounded: a body over ``maximumBytes``, not JSON, or of another `object`
/// is a ``MetaPayloadError``; fields the channels do not use are ignored; a message without an id
/// or sender is skipped (it could not be deduplicated or answered); texts are cut to
/// ``maximumTextScalars``; at most ``maximumEvents`` events are read.
public struct MetaPayload: Sendable, Equatable {
    /// Which platform sent it.
    public enum Platform: String, Sendable, Equatable {
        case whatsapp, messenger
    }

    /// The largest body read (Meta's callbacks are a few KiB).
    public static let maximumBytes = 1 << 20
    /// The longest text kept (a message's text column holds 32000 characters).
    public static let maximumTextScalars = 32_000
    /// The most events read from one body.
    public static let maximumEvents = 1000
    /// The longest id kept (longer ids are refused as malformed).
    public static let maximumIDBytes = 256

    /// The platform.
    public var platform: Platform
    /// The events in body order.
    public var events: [MetaInboundEvent]

    /// Reads a body.
    ///
    /// - Throws: ``MetaPayloadError`` naming what is wrong.
    public init(bytes: [UInt8]) throws(MetaPayloadError) {
        guard bytes.count <= Self.maximumBytes else { throw MetaPayloadError("body is larger than 1 MiB") }
        let envelope: Envelope
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            envelope = try decoder.decode(Envelope.self, from: Data(bytes))
        } catch {
            throw MetaPayloadError("body is not a Meta webhook JSON object")
        }
        switch envelope.object {
        case "whatsapp_business_account": self.platform = .whatsapp
        case "page": self.platform = .messenger
        default: throw MetaPayloadError("object must be whatsapp_business_account or page")
        }
        var events: [MetaInboundEvent] = []
        for entry in envelope.entry ?? [] {
            if self.platform == .whatsapp {
                for change in entry.changes ?? [] {
                    Self.readWhatsApp(change, into: &events)
                }
            } else {
                for messaging in entry.messaging ?? [] {
                    Self.readMessenger(messaging, pageID: entry.id ?? "", into: &events)
                }
            }
            if events.count >= Self.maximumEvents { break }
        }
        self.events = Array(events.prefix(Self.maximumEvents))
    }

    // MARK: WhatsApp

    private static func readWhatsApp(_ change: Change, into events: inout [MetaInboundEvent]) {
        guard change.field == nil || change.field == "messages", let value = change.value else {
            events.append(.skipped("field \(Self.clip(change.field ?? "", 64)) is not handled"))
            return
        }
        let phoneNumberID = Self.id(value.metadata?.phoneNumberId) ?? ""
        var names: [String: String] = [:]
        for contact in value.contacts ?? [] {
            if let waID = contact.waId, let name = contact.profile?.name { names[waID] = Self.clip(name, 256) }
        }
        for message in value.messages ?? [] {
            guard let id = Self.id(message.id), let from = Self.id(message.from) else {
                events.append(.skipped("message without id or sender"))
                continue
            }
            var inbound = MetaInboundMessage(
                externalID: id, from: from, recipientID: phoneNumberID, senderName: names[from] ?? "",
                kind: .unsupported, timestamp: Int64(message.timestamp ?? "") ?? 0)
            switch message.type {
            case "text":
                inbound.kind = .text
                inbound.text = Self.text(message.text?.body)
            case "image", "audio", "video", "document", "sticker":
                let type = message.type ?? ""
                inbound.kind = MetaInboundMessage.Kind(rawValue: type) ?? .unsupported
                let media: WhatsAppMedia? =
                    switch type {
                    case "image": message.image
                    case "audio": message.audio
                    case "video": message.video
                    case "document": message.document
                    default: message.sticker
                    }
                inbound.text = Self.text(media?.caption)
                if let media, let mediaID = Self.id(media.id) {
                    inbound.media = [
                        MetaMedia(
                            type: type, id: mediaID, mimeType: Self.clip(media.mimeType ?? "", 128),
                            filename: Self.clip(media.filename ?? "", 256), sha256: Self.clip(media.sha256 ?? "", 128))
                    ]
                }
            case "location":
                inbound.kind = .location
                if let location = message.location, let latitude = location.latitude,
                    let longitude = location.longitude,
                    (-90...90).contains(latitude), (-180...180).contains(longitude)
                {
                    let place = MetaLocation(
                        latitude: latitude, longitude: longitude, name: Self.clip(location.name ?? "", 256),
                        address: Self.clip(location.address ?? "", 512))
                    inbound.location = place
                    inbound.text = place.name.isEmpty ? place.address : place.name
                }
            case "interactive":
                inbound.kind = .interactive
                let reply = message.interactive?.buttonReply ?? message.interactive?.listReply
                inbound.text = Self.text(reply?.title)
                inbound.payload = Self.clip(reply?.id ?? "", 1024)
            case "button":
                inbound.kind = .button
                inbound.text = Self.text(message.button?.text)
                inbound.payload = Self.clip(message.button?.payload ?? "", 1024)
            case "reaction":
                inbound.kind = .reaction
                inbound.text = Self.text(message.reaction?.emoji)
            default:
                inbound.kind = .unsupported
            }
            events.append(.message(inbound))
        }
        for status in value.statuses ?? [] {
            guard let id = Self.id(status.id), let state = MetaDeliveryStatus.State(rawValue: status.status ?? "")
            else {
                events.append(.skipped("status without id or known state"))
                continue
            }
            let error = status.errors?.first
            events.append(
                .status(
                    MetaDeliveryStatus(
                        externalID: id, state: state, recipientID: Self.id(status.recipientId) ?? "",
                        errorCode: error?.code,
                        errorMessage: Self.clip(error?.errorData?.details ?? error?.message ?? error?.title ?? "", 500))
                ))
        }
    }

    // MARK: Messenger

    private static func readMessenger(_ item: Messaging, pageID: String, into events: inout [MetaInboundEvent]) {
        let sender = Self.id(item.sender?.id)
        let recipient = Self.id(item.recipient?.id) ?? Self.id(pageID) ?? ""
        let timestamp = (item.timestamp ?? 0) / 1000
        if let message = item.message {
            if message.isEcho == true {
                events.append(.skipped("echo of the page's own message"))
                return
            }
            guard let id = Self.id(message.mid), let sender else {
                events.append(.skipped("message without mid or sender"))
                return
            }
            var inbound = MetaInboundMessage(
                externalID: id, from: sender, recipientID: recipient, kind: .text, text: Self.text(message.text),
                timestamp: timestamp)
            if let quick = message.quickReply?.payload {
                inbound.kind = .button
                inbound.payload = Self.clip(quick, 1024)
            }
            let attachments = (message.attachments ?? []).prefix(10)
            if !attachments.isEmpty {
                if inbound.kind == .text { inbound.kind = .attachment }
                for attachment in attachments {
                    let type = Self.clip(attachment.type ?? "file", 32)
                    if type == "location", let coordinates = attachment.payload?.coordinates,
                        let latitude = coordinates.lat, let longitude = coordinates.long,
                        (-90...90).contains(latitude), (-180...180).contains(longitude)
                    {
                        inbound.kind = .location
                        inbound.location = MetaLocation(latitude: latitude, longitude: longitude)
                    } else {
                        inbound.media.append(MetaMedia(type: type, url: Self.clip(attachment.payload?.url ?? "", 2048)))
                    }
                }
            }
            events.append(.message(inbound))
        } else if let postback = item.postback {
            guard let sender else {
                events.append(.skipped("postback without sender"))
                return
            }
            // Postbacks carry a mid on current API versions; older ones are keyed by time.
            let id = Self.id(postback.mid) ?? "postback.\(sender).\(item.timestamp ?? 0)"
            events.append(
                .message(
                    MetaInboundMessage(
                        externalID: Self.clip(id, Self.maximumIDBytes), from: sender, recipientID: recipient,
                        kind: .postback, text: Self.text(postback.title),
                        payload: Self.clip(postback.payload ?? "", 1024),
                        timestamp: timestamp)))
        } else if let delivery = item.delivery {
            for mid in (delivery.mids ?? []).prefix(100) {
                guard let id = Self.id(mid) else { continue }
                events.append(.status(MetaDeliveryStatus(externalID: id, state: .delivered, recipientID: sender ?? "")))
            }
        } else if item.read != nil {
            events.append(.skipped("read watermark"))
        } else {
            events.append(.skipped("messaging item without message or postback"))
        }
    }

    // MARK: Helpers

    /// An id: non-empty, at most 256 bytes, printable ASCII.
    private static func id(_ text: String?) -> String? {
        guard let text, !text.isEmpty, text.utf8.count <= Self.maximumIDBytes,
            text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return text
    }

    /// A text cut to ``maximumTextScalars``.
    private static func text(_ text: String?) -> String {
        Self.clip(text ?? "", Self.maximumTextScalars)
    }

    /// `text` cut to `limit` Unicode scalars, without NUL (PostgreSQL text refuses it).
    private static func clip(_ text: String, _ limit: Int) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where scalar.value != 0 {
            if scalars.count >= limit { break }
            scalars.append(scalar)
        }
        return String(scalars)
    }
}
