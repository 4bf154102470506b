import Testing

@testable import RPCServer

@Suite("gRPC message deframer")
struct GRPCMessageDeframerTests {
    /// One length-prefixed frame: flag, big-endian 32-bit length, payload.
    private static func frame(_ payload: [UInt8], flag: UInt8 = 0) -> [UInt8] {
        let length = UInt32(payload.count)
        let prefix: [UInt8] = [
            flag, UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
            UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
        ]
        return prefix + payload
    }

    @Test("A message appended one byte at a time appears only once its last byte arrives")
    func messageSplitByteByByte() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024)
        let payload: [UInt8] = Array("hello, deframer".utf8)
        let bytes = Self.frame(payload, flag: 1)

        for byte in bytes.dropLast() {
            [byte].withUnsafeBytes { deframer.append($0) }
            #expect(try deframer.next() == nil)
        }
        [bytes[bytes.count - 1]].withUnsafeBytes { deframer.append($0) }

        let message = try #require(try deframer.next())
        #expect(message.compressed)
        #expect(message.bytes == payload)
        #expect(try deframer.next() == nil)
    }

    @Test("Several messages in one append come out in order")
    func severalMessagesInOneAppend() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024)
        let payloads: [[UInt8]] = [[1], [2, 3], [4, 5, 6]]
        let bytes = payloads.flatMap { Self.frame($0) }
        bytes.withUnsafeBytes { deframer.append($0) }

        var received: [[UInt8]] = []
        while let message = try deframer.next() {
            received.append(message.bytes)
        }

        #expect(received == payloads)
        #expect(!deframer.hasPartialMessage)
    }

    @Test("A zero-length message is a complete, empty message")
    func emptyMessage() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024)
        Self.frame([]).withUnsafeBytes { deframer.append($0) }

        let message = try #require(try deframer.next())
        #expect(message.bytes.isEmpty)
        #expect(!message.compressed)
        #expect(message.wireBytes == 5)
        #expect(!deframer.hasPartialMessage)
    }

    @Test("An oversized message is refused from its 5-byte prefix, before the payload arrives")
    func sizeLimitFromPrefix() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1000)
        // Only the prefix announcing 2000 bytes: no payload byte has been sent.
        let prefix = Array(Self.frame([UInt8](repeating: 0, count: 2000)).prefix(5))
        prefix.withUnsafeBytes { deframer.append($0) }

        let error = #expect(throws: RPCError.self) { try deframer.next() }
        #expect(error?.code == .resourceExhausted)
        #expect(error?.message.contains("2000") == true)
        #expect(error?.message.contains("1000") == true)
    }

    @Test("A message exactly at the limit is accepted")
    func messageAtLimit() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 8)
        Self.frame([UInt8](repeating: 7, count: 8)).withUnsafeBytes { deframer.append($0) }

        let message = try #require(try deframer.next())
        #expect(message.bytes.count == 8)
    }

    @Test("A flag byte other than 0 or 1 is an INTERNAL error", arguments: [UInt8(2), 0x80, 0xFF])
    func invalidFlag(flag: UInt8) throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024)
        Self.frame([1, 2, 3], flag: flag).withUnsafeBytes { deframer.append($0) }

        let error = #expect(throws: RPCError.self) { try deframer.next() }
        #expect(error?.code == .internalError)
        #expect(error?.message.contains("\(flag)") == true)
    }

    @Test("hasPartialMessage is true mid-message and false once the message is read")
    func partialMessageTracking() throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024)
        #expect(!deframer.hasPartialMessage)
        let bytes = Self.frame([9, 8, 7, 6])

        bytes.prefix(3).withUnsafeBytes { deframer.append($0) }
        #expect(deframer.hasPartialMessage)
        #expect(try deframer.next() == nil)

        bytes.dropFirst(3).prefix(4).withUnsafeBytes { deframer.append($0) }
        #expect(deframer.hasPartialMessage)
        #expect(try deframer.next() == nil)

        bytes.dropFirst(7).withUnsafeBytes { deframer.append($0) }
        #expect(deframer.hasPartialMessage)
        _ = try #require(try deframer.next())
        #expect(!deframer.hasPartialMessage)
    }

    @Test("wireBytes counts the 5-byte prefix plus the payload", arguments: [0, 1, 300, 70_000])
    func wireBytesIncludesPrefix(length: Int) throws {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 100_000)
        Self.frame([UInt8](repeating: 0xAB, count: length)).withUnsafeBytes { deframer.append($0) }

        let message = try #require(try deframer.next())
        #expect(message.wireBytes == 5 + length)
        #expect(message.bytes.count == length)
    }
}
