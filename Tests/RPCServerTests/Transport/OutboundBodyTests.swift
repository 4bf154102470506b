import Testing

@testable import RPCServer

@Suite("Outbound body")
struct OutboundBodyTests {
    /// Takes everything queued, `chunkSize` bytes at a time, as nghttp2 would for small frames.
    private static func drain(_ body: inout OutboundBody, chunkSize: Int) -> [UInt8] {
        var taken: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while body.readableBytes > 0 {
            let before = body.readableBytes
            let count = chunk.withUnsafeMutableBytes { body.take(into: $0) }
            #expect(count > 0)
            #expect(body.readableBytes == before - count)
            taken += chunk[0..<count]
        }
        return taken
    }

    @Test("Messages are framed, then raw bytes follow as they are, in order", arguments: [1, 3, 5, 6, 16, 4096])
    func framingAndOrder(chunkSize: Int) {
        var body = OutboundBody()
        body.appendMessage([1, 2, 3], compressed: false)
        body.appendMessage([], compressed: true)
        body.appendMessage(Array(repeating: 7, count: 300), compressed: false)
        body.appendRaw([42, 43])
        #expect(body.readableBytes == 8 + 5 + 305 + 2)

        let taken = Self.drain(&body, chunkSize: chunkSize)

        let expected: [UInt8] =
            [0, 0, 0, 0, 3, 1, 2, 3] + [1, 0, 0, 0, 0] + [0, 0, 0, 1, 44] + Array(repeating: 7, count: 300) + [42, 43]
        #expect(taken == expected)
    }

    @Test("A message queued after the first was drained waits whole again")
    func reuseAfterDrain() {
        var body = OutboundBody()
        body.appendMessage([5], compressed: false)
        #expect(Self.drain(&body, chunkSize: 2) == [0, 0, 0, 0, 1, 5])
        body.appendMessage([6, 6], compressed: false)
        #expect(Self.drain(&body, chunkSize: 100) == [0, 0, 0, 0, 2, 6, 6])
        #expect(body.readableBytes == 0)
    }
}
