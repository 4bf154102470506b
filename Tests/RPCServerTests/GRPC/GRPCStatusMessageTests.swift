import Testing

@testable import RPCServer

@Suite("grpc-message percent-encoding")
struct GRPCStatusMessageTests {
    @Test("Printable ASCII other than % is sent unchanged")
    func printableASCIIUnchanged() {
        let printable = String(decoding: (UInt8(0x20)...0x7E).filter { $0 != UInt8(ascii: "%") }, as: UTF8.self)

        #expect(GRPCStatusMessage.encode(printable) == printable)
    }

    @Test("Non-ASCII characters become %XX of each UTF-8 byte")
    func nonASCIIEncoded() {
        #expect(GRPCStatusMessage.encode("café") == "caf%C3%A9")
        #expect(GRPCStatusMessage.encode("😀") == "%F0%9F%98%80")
    }

    @Test("The percent sign itself is escaped")
    func percentEscaped() {
        #expect(GRPCStatusMessage.encode("100%") == "100%25")
    }

    @Test("Control characters and DEL are escaped")
    func controlCharactersEscaped() {
        #expect(GRPCStatusMessage.encode("a\nb\tc\r\u{0}") == "a%0Ab%09c%0D%00")
        #expect(GRPCStatusMessage.encode("\u{7F}") == "%7F")
    }

    @Test(
        "Decoding an encoded message gives back the original",
        arguments: [
            "",
            "plain message",
            "100% done",
            "%25 literally",
            "line one\nline two",
            "naïve façade",
            "日本語のメッセージ",
            "emoji 😀👍🏽 and flags 🇫🇷",
            "tab\there\u{7F}",
        ]
    )
    func roundTrip(message: String) {
        #expect(GRPCStatusMessage.decode(GRPCStatusMessage.encode(message)) == message)
    }

    @Test("Lower-case hex escapes decode too")
    func lowerCaseHex() {
        #expect(GRPCStatusMessage.decode("caf%c3%a9") == "café")
    }

    @Test(
        "Malformed escapes are kept as they are",
        arguments: [
            ("%zz", "%zz"),
            ("bad %g1 escape", "bad %g1 escape"),
            ("trailing %", "trailing %"),
            ("short %4", "short %4"),
            ("%%41", "%A"),
        ]
    )
    func malformedEscapesKept(encoded: String, expected: String) {
        #expect(GRPCStatusMessage.decode(encoded) == expected)
    }
}
