import NIOCore
import Testing

@testable import RPCServer

@Suite("gRPC message framer")
struct GRPCMessageFramerTests {
    @Test("An uncompressed frame starts with flag 0 and the big-endian length")
    func uncompressedPrefix() {
        var buffer = ByteBuffer()
        GRPCMessageFramer.frame([0xAA, 0xBB, 0xCC], compressed: false, into: &buffer)

        #expect(Array(buffer.readableBytesView) == [0, 0, 0, 0, 3, 0xAA, 0xBB, 0xCC])
    }

    @Test("A compressed frame starts with flag 1")
    func compressedPrefix() {
        var buffer = ByteBuffer()
        GRPCMessageFramer.frame([], compressed: true, into: &buffer)

        #expect(Array(buffer.readableBytesView) == [1, 0, 0, 0, 0])
    }

    @Test("Every byte of the length is written most significant first")
    func multiByteLength() {
        var buffer = ByteBuffer()
        let payload = [UInt8](repeating: 0x5A, count: 0x01_02_03)
        GRPCMessageFramer.frame(payload, compressed: false, into: &buffer)

        let bytes = Array(buffer.readableBytesView)
        #expect(Array(bytes.prefix(5)) == [0, 0x00, 0x01, 0x02, 0x03])
        #expect(bytes.count == 5 + payload.count)
        #expect(Array(bytes.dropFirst(5)) == payload)
    }

    @Test("Frames are appended after what the buffer already holds")
    func appendsToBuffer() {
        var buffer = ByteBuffer(bytes: [0xEE])
        GRPCMessageFramer.frame([1], compressed: false, into: &buffer)
        GRPCMessageFramer.frame([2], compressed: true, into: &buffer)

        #expect(Array(buffer.readableBytesView) == [0xEE, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 2])
    }
}
