import PropertyBased
import Testing

@testable import RPCServer

@Suite("gRPC length prefixes and base64 metadata: any value is handled without trapping")
struct GRPCLengthPrefixPropertyTests {
    private static func prefix(flag: UInt8, length: UInt32) -> [UInt8] {
        [
            flag, UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
            UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length),
        ]
    }

    @Test("Any announced length is refused above the limit before a byte of it is buffered, else awaited")
    func anyLength() async {
        await propertyCheck(count: 2000, input: Gen.uint32(), Gen.uint8(in: 0...3), Gen.int(in: 0...64)) {
            length, flag, extra in
            var deframer = GRPCMessageDeframer(maxMessageBytes: 4 * 1024 * 1024)
            let bytes = Self.prefix(flag: flag, length: length) + [UInt8](repeating: 7, count: extra)
            var messages: [GRPCMessageDeframer.Message] = []
            do {
                try bytes.withUnsafeBytes { buffer in try deframer.process(buffer) { messages.append($0) } }
            } catch let error as RPCError {
                #expect(flag > 1 || length > 4 * 1024 * 1024, "refused \(flag)/\(length): \(error)")
                #expect(error.code == (flag > 1 ? .internalError : .resourceExhausted))
                return
            } catch {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(flag <= 1 && length <= 4 * 1024 * 1024)
            if Int(length) <= extra {
                #expect(messages.first?.bytes.count == Int(length))
            } else {
                #expect(messages.isEmpty && deframer.hasPartialMessage)
            }
        }
    }

    @Test("The largest length prefixes are refused, also when they arrive one byte at a time")
    func largestLengths() throws {
        let lengths: [UInt32] = [.max, .max - 4, UInt32(Int32.max), 4 * 1024 * 1024 + 1]
        for length in lengths {
            var deframer = GRPCMessageDeframer(maxMessageBytes: 4 * 1024 * 1024)
            for byte in Self.prefix(flag: 0, length: length).dropLast() {
                [byte].withUnsafeBytes { deframer.append($0) }
            }
            #expect(throws: RPCError.self) {
                try [UInt8(truncatingIfNeeded: length)].withUnsafeBytes { buffer in
                    try deframer.process(buffer) { _ in }
                }
            }
        }
    }

    @Test("Any text as -bin metadata decodes or is refused; encoding round-trips")
    func base64() async {
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...64), Gen.uint8(in: 0...127).array(of: 0...64))
        {
            bytes, text in
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            _ = Base64.decode(String(decoding: text, as: UTF8.self))
        }
    }
}
