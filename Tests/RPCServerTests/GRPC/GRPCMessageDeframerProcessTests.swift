import Testing

@testable import RPCServer

@Suite("gRPC message deframer: processing DATA chunks")
struct GRPCMessageDeframerProcessTests {
    private static func frame(_ payload: [UInt8], flag: UInt8 = 0) -> [UInt8] {
        let length = UInt32(payload.count)
        return [
            flag, UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
            UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
        ] + payload
    }

    /// Feeds `bytes` in chunks of `chunkSize` and collects the messages.
    private static func messages(of bytes: [UInt8], chunkSize: Int) throws -> [GRPCMessageDeframer.Message] {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 1024)
        var messages: [GRPCMessageDeframer.Message] = []
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + chunkSize)
            try bytes[start..<end].withUnsafeBytes { chunk in
                try deframer.process(chunk) { messages.append($0) }
            }
            start = end
        }
        #expect(!deframer.hasPartialMessage)
        return messages
    }

    @Test("Messages come out whole and in order however the chunks cut them", arguments: [1, 2, 4, 5, 7, 11, 64])
    func anyChunking(chunkSize: Int) throws {
        let payloads: [[UInt8]] = [[], [1], Array(0..<20), [9, 8, 7]]
        let bytes = payloads.enumerated().flatMap { Self.frame($1, flag: UInt8($0 % 2)) }

        let messages = try Self.messages(of: bytes, chunkSize: chunkSize)

        #expect(messages.map(\.bytes) == payloads)
        #expect(messages.map(\.compressed) == [false, true, false, true])
        #expect(messages.map(\.wireBytes) == payloads.map { $0.count + 5 })
    }

    @Test("An oversized length is refused from its prefix, before the payload arrives")
    func oversizedFromPrefix() {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 8)
        let prefix = Array(Self.frame(Array(repeating: 0, count: 9)).prefix(5))
        #expect(throws: RPCError.self) {
            try prefix.withUnsafeBytes { try deframer.process($0) { _ in Issue.record("no message expected") } }
        }
    }

    @Test("A flag other than 0 or 1 is refused")
    func badFlag() {
        var deframer = GRPCMessageDeframer(maxMessageBytes: 8)
        #expect(throws: RPCError.self) {
            try Self.frame([1], flag: 2).withUnsafeBytes { try deframer.process($0) { _ in } }
        }
    }
}
