import Testing
import WidgetProtocol

@Suite("Widget client frames")
struct WidgetClientFrameTests {
    @Test("hello and message read with their fields; unknown fields are ignored")
    func wellFormed() throws {
        #expect(
            try WidgetClientFrame(text: #"{"type":"hello","widgetId":"wdg_1","token":"v1.a.b"}"#)
                == .hello(widgetID: "wdg_1", token: "v1.a.b", after: nil))
        #expect(
            try WidgetClientFrame(text: #"{"type":"hello","widgetId":"wdg_1","token":"t","after":42,"x":[1]}"#)
                == .hello(widgetID: "wdg_1", token: "t", after: 42))
        #expect(
            try WidgetClientFrame(text: #"{"type":"message","clientId":"c-1:a.b_C","text":"Hi\nthere"}"#)
                == .message(clientID: "c-1:a.b_C", text: "Hi\nthere"))
    }

    @Test(
        "Bad frames are refused naming the field",
        arguments: [
            ("", "frame"),
            ("null", "frame"),
            ("[]", "frame"),
            (#"{"type":"#, "frame"),
            ("{}", "type"),
            (#"{"type":7}"#, "type"),
            (#"{"type":"bye"}"#, "type"),
            (#"{"type":"hello","token":"t"}"#, "widgetId"),
            (#"{"type":"hello","widgetId":"","token":"t"}"#, "widgetId"),
            (#"{"type":"hello","widgetId":"a b","token":"t"}"#, "widgetId"),
            (#"{"type":"hello","widgetId":"w"}"#, "token"),
            (#"{"type":"hello","widgetId":"w","token":"t","after":-1}"#, "after"),
            (#"{"type":"hello","widgetId":"w","token":"t","after":1.5}"#, "after"),
            (#"{"type":"hello","widgetId":"w","token":"t","after":"3"}"#, "after"),
            (#"{"type":"hello","widgetId":"w","token":"t","after":9007199254740992}"#, "after"),
            (#"{"type":"hello","widgetId":"w","token":"t","after":99999999999999999999}"#, "after"),
            (#"{"type":"message","text":"hi"}"#, "clientId"),
            (#"{"type":"message","clientId":"a/b","text":"hi"}"#, "clientId"),
            (#"{"type":"message","clientId":"\#(String(repeating: "a", count: 65))","text":"hi"}"#, "clientId"),
            (#"{"type":"message","clientId":"c"}"#, "text"),
            (#"{"type":"message","clientId":"c","text":"   \n "}"#, "text"),
            (#"{"type":"message","clientId":"c","text":"a\u0000b"}"#, "text"),
            (#"{"type":"message","clientId":"c","text":["x"]}"#, "text"),
            (#"{"type":"message","clientId":"c","text":"\#(String(repeating: "é", count: 4001))"}"#, "text"),
            (String(repeating: " ", count: 16_385), "frame"),
        ] as [(String, String)])
    func refused(text: String, field: String) {
        #expect(throws: WidgetFrameError.self) { try WidgetClientFrame(text: text) }
        do {
            _ = try WidgetClientFrame(text: text)
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(!error.problem.isEmpty)
        }
    }

    @Test("A text of exactly the limit is accepted")
    func limitAccepted() throws {
        let text = String(repeating: "é", count: WidgetClientFrame.maximumTextScalars)
        #expect(
            try WidgetClientFrame(text: #"{"type":"message","clientId":"c","text":"\#(text)"}"#)
                == .message(clientID: "c", text: text))
    }

    @Test("Server frames render as JSON with sorted keys, leaving out absent fields")
    func serverFrames() {
        #expect(WidgetServerFrame.ack(clientID: "c1").text == #"{"clientId":"c1","type":"ack"}"#)
        #expect(
            WidgetServerFrame.delta(messageID: "m", text: "Hi \"x\"", final: false, failed: false).text
                == #"{"messageId":"m","text":"Hi \"x\"","type":"delta"}"#)
        #expect(
            WidgetServerFrame.error(code: .invalidToken, message: "no", clientID: nil).text
                == #"{"code":"invalid_token","message":"no","type":"error"}"#)
        #expect(WidgetServerFrame.agentJoined(eventID: 9).text == #"{"eventId":9,"type":"agent_joined"}"#)
    }
}
