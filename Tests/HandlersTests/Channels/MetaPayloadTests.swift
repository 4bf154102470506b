import Foundation
import MetaWebhooks
import Testing

@Suite("Meta webhook payloads")
struct MetaPayloadTests {
    /// A WhatsApp callback with `value` merged into its change.
    static func whatsApp(_ value: String) -> [UInt8] {
        Array(
            """
            {"object":"whatsapp_business_account","entry":[{"id":"2065550002","changes":[{"field":"messages",\
            "value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"1065550001"},\
            "contacts":[{"profile":{"name":"Ana"},"wa_id":"385911234567"}],\(value)}}]}]}
            """.utf8)
    }

    static func message(_ fields: String) -> String {
        #""messages":[{"from":"385911234567","id":"wamid.X1","timestamp":"1700000000",\#(fields)}]"#
    }

    @Test("WhatsApp text, media, location, interactive and button messages")
    func whatsAppMessages() throws {
        let text = try MetaPayload(bytes: Self.whatsApp(Self.message(#""type":"text","text":{"body":"Hello"}"#)))
        #expect(text.platform == .whatsapp)
        #expect(
            text.events == [
                .message(
                    MetaInboundMessage(
                        externalID: "wamid.X1", from: "385911234567", recipientID: "1065550001", senderName: "Ana",
                        kind: .text, text: "Hello", timestamp: 1_700_000_000))
            ])
        let image = try MetaPayload(
            bytes: Self.whatsApp(
                Self.message(#""type":"image","image":{"id":"9001","mime_type":"image/jpeg","caption":"look"}"#)))
        guard case .message(let photo) = image.events.first else { throw PayloadMismatch() }
        #expect(photo.kind == .image && photo.text == "look")
        #expect(photo.media == [MetaMedia(type: "image", id: "9001", mimeType: "image/jpeg")])
        let location = try MetaPayload(
            bytes: Self.whatsApp(
                Self.message(#""type":"location","location":{"latitude":45.8,"longitude":15.97,"name":"Zagreb"}"#)))
        guard case .message(let place) = location.events.first else { throw PayloadMismatch() }
        #expect(
            place.kind == .location && place.location == MetaLocation(latitude: 45.8, longitude: 15.97, name: "Zagreb"))
        let interactive = try MetaPayload(
            bytes: Self.whatsApp(
                Self.message(
                    #""type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"row-2","title":"Two"}}"#
                )))
        guard case .message(let choice) = interactive.events.first else { throw PayloadMismatch() }
        #expect(choice.kind == .interactive && choice.text == "Two" && choice.payload == "row-2")
        let button = try MetaPayload(
            bytes: Self.whatsApp(Self.message(#""type":"button","button":{"payload":"STOP","text":"Stop"}"#)))
        guard case .message(let tapped) = button.events.first else { throw PayloadMismatch() }
        #expect(tapped.kind == .button && tapped.text == "Stop" && tapped.payload == "STOP")
    }

    @Test("WhatsApp statuses, with the error of a failed one")
    func whatsAppStatuses() throws {
        let payload = try MetaPayload(
            bytes: Self.whatsApp(
                #"""
                "statuses":[{"id":"wamid.OUT","status":"delivered","recipient_id":"385911234567"},\#
                {"id":"wamid.OUT","status":"failed","recipient_id":"385911234567","errors":[{"code":131047,\#
                "title":"Re-engagement message","error_data":{"details":"More than 24 hours"}}]},\#
                {"id":"wamid.OUT","status":"deleted"}]
                """#))
        #expect(
            payload.events == [
                .status(MetaDeliveryStatus(externalID: "wamid.OUT", state: .delivered, recipientID: "385911234567")),
                .status(
                    MetaDeliveryStatus(
                        externalID: "wamid.OUT", state: .failed, recipientID: "385911234567", errorCode: 131047,
                        errorMessage: "More than 24 hours")),
                .skipped("status without id or known state"),
            ])
    }

    @Test("Messenger messages, attachments and postbacks; echoes and read notices are skipped")
    func messenger() throws {
        let body = Array(
            #"""
            {"object":"page","entry":[{"id":"3065550003","messaging":[
            {"sender":{"id":"PSID1"},"recipient":{"id":"3065550003"},"timestamp":1700000000000,"message":{"mid":"m_1","text":"hi"}},
            {"sender":{"id":"3065550003"},"recipient":{"id":"PSID1"},"timestamp":1,"message":{"mid":"m_2","text":"x","is_echo":true}},
            {"sender":{"id":"PSID1"},"recipient":{"id":"3065550003"},"timestamp":1,"postback":{"mid":"m_3","title":"Start","payload":"GO"}},
            {"sender":{"id":"PSID1"},"recipient":{"id":"3065550003"},"timestamp":1,"message":{"mid":"m_4","attachments":[{"type":"image","payload":{"url":"https://cdn.example/x.jpg"}}]}},
            {"sender":{"id":"PSID1"},"recipient":{"id":"3065550003"},"timestamp":1,"delivery":{"mids":["m_out"]}},
            {"sender":{"id":"PSID1"},"recipient":{"id":"3065550003"},"timestamp":1,"read":{"watermark":2}}
            ]}]}
            """#.utf8)
        let payload = try MetaPayload(bytes: body)
        #expect(payload.platform == .messenger)
        #expect(
            payload.events == [
                .message(
                    MetaInboundMessage(
                        externalID: "m_1", from: "PSID1", recipientID: "3065550003", kind: .text, text: "hi",
                        timestamp: 1_700_000_000)),
                .skipped("echo of the page's own message"),
                .message(
                    MetaInboundMessage(
                        externalID: "m_3", from: "PSID1", recipientID: "3065550003", kind: .postback, text: "Start",
                        payload: "GO")),
                .message(
                    MetaInboundMessage(
                        externalID: "m_4", from: "PSID1", recipientID: "3065550003", kind: .attachment,
                        media: [MetaMedia(type: "image", url: "https://cdn.example/x.jpg")])),
                .status(MetaDeliveryStatus(externalID: "m_out", state: .delivered, recipientID: "PSID1")),
                .skipped("read watermark"),
            ])
    }

    @Test(
        "Bodies that are not Meta callbacks are refused with a reason",
        arguments: [
            ("", "not a Meta webhook JSON object"),
            ("[1,2]", "not a Meta webhook JSON object"),
            (#"{"object":"instagram","entry":[]}"#, "object must be"),
            (#"{"entry":[]}"#, "object must be"),
            (#"{"object":"page","entry":"x"}"#, "not a Meta webhook JSON object"),
        ])
    func refusals(body: String, reason: String) {
        #expect(throws: MetaPayloadError.self) { try MetaPayload(bytes: Array(body.utf8)) }
        do {
            _ = try MetaPayload(bytes: Array(body.utf8))
        } catch {
            #expect(error.description.contains(reason))
        }
    }

    @Test("Messages without an id or sender, bad ids and off-globe locations are not taken as messages")
    func malformedParts() throws {
        let payload = try MetaPayload(
            bytes: Self.whatsApp(
                #"""
                "messages":[{"from":"1","type":"text","text":{"body":"no id"}},\#
                {"from":"1","id":"has space","type":"text"},\#
                {"from":"1","id":"wamid.L","type":"location","location":{"latitude":200,"longitude":0}}]
                """#))
        #expect(payload.events.count == 3)
        #expect(payload.events[0] == .skipped("message without id or sender"))
        #expect(payload.events[1] == .skipped("message without id or sender"))
        guard case .message(let place) = payload.events[2] else { throw PayloadMismatch() }
        #expect(place.location == nil)
    }

    @Test("A long text is cut to 32000 scalars and NUL is dropped")
    func limits() throws {
        let long = String(repeating: "é", count: 40_000)
        let payload = try MetaPayload(
            bytes: Self.whatsApp(Self.message(#""type":"text","text":{"body":"a\u0000\#(long)"}"#)))
        guard case .message(let message) = payload.events.first else { throw PayloadMismatch() }
        #expect(message.text.unicodeScalars.count == 32_000)
        #expect(!message.text.unicodeScalars.contains("\u{0}"))
    }
}

/// A payload read into other events than the test expects.
struct PayloadMismatch: Error {}
