/// An incremental parser of `text/event-stream` bytes, fed in whatever pieces the network
/// delivers.
///
/// It follows the WHATWG event-stream interpretation: lines end in CRLF, LF or CR (a CR at the
/// end of one piece and an LF at the start of the next are one line end); a leading UTF-8 BOM is
/// skipped; lines starting with `:` are comments (keep-alives); `field: value` loses one space
/// after the colon; a line without a colon is a field with an empty value; several `data:` lines
/// join with `\n`; a blank line dispatches the event unless it has no data; unknown fields are
/// ignored; bytes that are not UTF-8 become U+FFFD. An event still open when the stream ends
/// is discarded (``finish()`` says whether one was). Lines longer than
/// ``Limits/maximumLineBytes`` and events whose data exceeds ``Limits/maximumEventBytes`` are
/// refused with ``ServerSentEventError``.
///
/// ```swift
/// var parser = ServerSentEventParser()
/// for event in try parser.feed(Array("data: {\"a\":1}\n\n".utf8)) { print(event.data) }
/// ```
package struct ServerSentEventParser: Sendable {
    /// Bounds on what one stream may make the parser hold.
    package struct Limits: Sendable, Hashable {
        /// The longest line (without its end), default 1 MiB.
        package var maximumLineBytes: Int
        /// The most data one event may gather, default 4 MiB.
        package var maximumEventBytes: Int

        /// The defaults above.
        package static let defaults = Limits(maximumLineBytes: 1 << 20, maximumEventBytes: 4 << 20)

        /// Creates limits.
        package init(maximumLineBytes: Int, maximumEventBytes: Int) {
            self.maximumLineBytes = maximumLineBytes
            self.maximumEventBytes = maximumEventBytes
        }
    }

    private let limits: Limits
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var eventType = ""
    private var lastID = ""
    private var atStart = true
    private var bomBytesSeen = 0
    private var afterCR = false
    private var eventOpen = false

    /// Creates a parser.
    ///
    /// - Parameter limits: Its bounds.
    package init(limits: Limits = .defaults) {
        self.limits = limits
    }

    /// Parses the next piece of the stream.
    ///
    /// - Returns: The events the piece completed, in order.
    /// - Throws: ``ServerSentEventError`` when a line or an event grows past the limits.
    package mutating func feed(_ bytes: some Sequence<UInt8>) throws(ServerSentEventError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if self.atStart {
                // The BOM (EF BB BF) is skipped only at the very start of the stream.
                let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                if byte == bom[self.bomBytesSeen] {
                    self.bomBytesSeen += 1
                    if self.bomBytesSeen == 3 { self.atStart = false }
                    continue
                }
                self.atStart = false
                let seen = self.bomBytesSeen
                self.bomBytesSeen = 0
                for partial in bom.prefix(seen) {
                    try self.consume(partial, into: &events)
                }
            }
            try self.consume(byte, into: &events)
        }
        return events
    }

    /// Ends the stream.
    ///
    /// - Returns: Whether an event was still open (data or fields after the last blank line),
    ///   which the format discards: a stream cut mid-event.
    package mutating func finish() -> Bool {
        let open = self.eventOpen || !self.line.isEmpty
        self.line = []
        self.data = []
        self.hasData = false
        self.eventType = ""
        self.eventOpen = false
        return open
    }

    private mutating func consume(_ byte: UInt8, into events: inout [ServerSentEvent]) throws(ServerSentEventError) {
        switch byte {
        case UInt8(ascii: "\n"):
            if self.afterCR {
                // The LF of a CRLF whose CR already ended the line.
                self.afterCR = false
                return
            }
            try self.endLine(into: &events)
        case UInt8(ascii: "\r"):
            self.afterCR = true
            try self.endLine(into: &events)
        default:
            self.afterCR = false
            guard self.line.count < self.limits.maximumLineBytes else {
                throw ServerSentEventError(
                    "an event-stream line is longer than \(self.limits.maximumLineBytes) bytes")
            }
            self.line.append(byte)
        }
    }

    private mutating func endLine(into events: inout [ServerSentEvent]) throws(ServerSentEventError) {
        defer { self.line.removeAll(keepingCapacity: true) }
        if self.line.isEmpty {
            self.dispatch(into: &events)
            return
        }
        if self.line[0] == UInt8(ascii: ":") { return }
        let colon = self.line.firstIndex(of: UInt8(ascii: ":"))
        let name = colon.map { self.line[..<$0] } ?? self.line[...]
        var value = colon.map { self.line[($0 + 1)...] } ?? []
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        switch String(decoding: name, as: UTF8.self) {
        case "data":
            self.eventOpen = true
            if self.hasData { self.data.append(UInt8(ascii: "\n")) }
            guard self.data.count + value.count <= self.limits.maximumEventBytes else {
                throw ServerSentEventError(
                    "an event-stream event holds more than \(self.limits.maximumEventBytes) bytes of data")
            }
            self.data.append(contentsOf: value)
            self.hasData = true
        case "event":
            self.eventOpen = true
            self.eventType = String(decoding: value, as: UTF8.self)
        case "id":
            self.eventOpen = true
            // An id holding NUL is ignored, as the format says.
            if !value.contains(0) { self.lastID = String(decoding: value, as: UTF8.self) }
        default:
            // `retry` and unknown fields do not concern a client that never reconnects.
            self.eventOpen = true
        }
    }

    private mutating func dispatch(into events: inout [ServerSentEvent]) {
        defer {
            self.data.removeAll(keepingCapacity: true)
            self.hasData = false
            self.eventType = ""
            self.eventOpen = false
        }
        guard self.hasData, !self.data.isEmpty else { return }
        events.append(
            ServerSentEvent(event: self.eventType, data: String(decoding: self.data, as: UTF8.self), id: self.lastID))
    }
}
