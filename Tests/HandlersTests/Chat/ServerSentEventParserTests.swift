import ChatStreams
import Testing

/// The event-stream parser: the format's rules, every way a stream may be split, and a table of
/// bad input.
@Suite("Server-sent event parser")
struct ServerSentEventParserTests {
    static func parse(_ text: String, limits: ServerSentEventParser.Limits = .defaults) throws(ServerSentEventError)
        -> [ServerSentEvent]
    {
        var parser = ServerSentEventParser(limits: limits)
        return try parser.feed(Array(text.utf8))
    }

    @Test(
        "The format's rules",
        arguments: [
            ("data: a\n\n", [ServerSentEvent(data: "a")]),
            ("data:a\n\n", [ServerSentEvent(data: "a")]),
            ("data:  two spaces\n\n", [ServerSentEvent(data: " two spaces")]),
            ("data: one\ndata: two\n\n", [ServerSentEvent(data: "one\ntwo")]),
            (": keep-alive\n\ndata: x\n\n", [ServerSentEvent(data: "x")]),
            ("event: ping\ndata: {}\n\n", [ServerSentEvent(event: "ping", data: "{}")]),
            (
                "id: 7\ndata: x\n\ndata: y\n\n",
                [ServerSentEvent(data: "x", id: "7"), ServerSentEvent(data: "y", id: "7")]
            ),
            ("data: crlf\r\n\r\n", [ServerSentEvent(data: "crlf")]),
            ("data: cr\r\r", [ServerSentEvent(data: "cr")]),
            ("\u{FEFF}data: bom\n\n", [ServerSentEvent(data: "bom")]),
            ("data\n\n", []),
            ("data\ndata\n\n", [ServerSentEvent(data: "\n")]),
            ("event: only\n\n", []),
            ("retry: 100\nfoo: bar\ndata: z\n\n", [ServerSentEvent(data: "z")]),
            ("data: [DONE]\n\n", [ServerSentEvent(data: "[DONE]")]),
            ("data: open", []),
        ])
    func rules(input: String, expected: [ServerSentEvent]) throws {
        #expect(try Self.parse(input) == expected)
    }

    @Test("Every split of a stream into two pieces gives the same events")
    func everySplit() throws {
        let stream =
            "\u{FEFF}: hi\r\nevent: a\r\ndata: first\r\ndata: line ü\r\n\r\nid: 9\ndata: {\"x\":1}\n\ndata: last\r\r"
        let bytes = Array(stream.utf8)
        let whole = try Self.parse(stream)
        #expect(whole.count == 3)
        for split in 0...bytes.count {
            var parser = ServerSentEventParser()
            let events = try parser.feed(bytes[..<split]) + parser.feed(bytes[split...])
            #expect(events == whole, "split at \(split)")
        }
    }

    @Test("Byte by byte gives the same events")
    func byteByByte() throws {
        let stream = "data: a\r\n\r\ndata: b\n\n"
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for byte in stream.utf8 { events += try parser.feed([byte]) }
        #expect(events == [ServerSentEvent(data: "a"), ServerSentEvent(data: "b")])
    }

    @Test("finish() reports an event cut off by the end of the stream")
    func finishReportsOpenEvent() throws {
        var parser = ServerSentEventParser()
        _ = try parser.feed(Array("data: complete\n\ndata: cut".utf8))
        let open = parser.finish()
        #expect(open)
        var clean = ServerSentEventParser()
        _ = try clean.feed(Array("data: complete\n\n".utf8))
        let cleanOpen = clean.finish()
        #expect(!cleanOpen)
    }

    @Test(
        "Bad input is refused with a message naming the limit, never buffered without bound",
        arguments: [
            (String(repeating: "a", count: 65), "line is longer than 64 bytes"),
            ("data: " + String(repeating: "b", count: 60), "line is longer than 64 bytes"),
            (
                "data: 0123456789012345678901234567890123456789\ndata: 0123456789012345678901234567890123456789\n",
                "holds more than 80 bytes"
            ),
        ])
    func badInput(input: String, fragment: String) {
        let limits = ServerSentEventParser.Limits(maximumLineBytes: 64, maximumEventBytes: 80)
        do {
            _ = try Self.parse(input, limits: limits)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.message.contains(fragment), "message: \(error.message)")
        }
    }

    @Test("Bytes that are not UTF-8 become U+FFFD instead of failing")
    func invalidUTF8() throws {
        var parser = ServerSentEventParser()
        let events = try parser.feed(Array("data: ".utf8) + [0xFF, 0xFE] + Array("\n\n".utf8))
        #expect(events == [ServerSentEvent(data: "\u{FFFD}\u{FFFD}")])
    }
}
