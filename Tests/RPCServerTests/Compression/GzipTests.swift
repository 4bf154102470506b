import Testing

@testable import RPCServer

@Suite("gzip compression")
struct GzipTests {
    private static let mebibyte = 1024 * 1024

    @Test("Empty input round-trips")
    func emptyRoundTrip() throws {
        let compressed = try Gzip.compress([])

        #expect(try Gzip.decompress(compressed, limit: 0) == [])
    }

    @Test("Small input round-trips")
    func smallRoundTrip() throws {
        let input = Array("The quick brown fox jumps over the lazy dog.".utf8)

        #expect(try Gzip.decompress(try Gzip.compress(input), limit: input.count) == input)
    }

    @Test("1 MiB of pseudo-random bytes round-trips")
    func largeRandomRoundTrip() throws {
        var generator = DeterministicBytes(seed: 0x9E37_79B9_7F4A_7C15)
        let input = generator.next(Self.mebibyte)

        #expect(try Gzip.decompress(try Gzip.compress(input), limit: Self.mebibyte) == input)
    }

    @Test("Output is a gzip member: it starts with the magic bytes 1f 8b")
    func gzipMagic() throws {
        for input in [[], Array("abc".utf8)] as [[UInt8]] {
            let compressed = try Gzip.compress(input)
            #expect(Array(compressed.prefix(2)) == [0x1F, 0x8B])
        }
    }

    @Test("A 10 MiB zero run is refused with RESOURCE_EXHAUSTED when the limit is 1 MiB")
    func decompressionBomb() throws {
        let bomb = try Gzip.compress([UInt8](repeating: 0, count: 10 * Self.mebibyte))
        #expect(bomb.count < 64 * 1024)

        let error = #expect(throws: RPCError.self) { try Gzip.decompress(bomb, limit: Self.mebibyte) }
        #expect(error?.code == .resourceExhausted)
    }

    @Test("Output exactly at the limit is accepted, one byte over is not")
    func limitBoundary() throws {
        let compressed = try Gzip.compress([UInt8](repeating: 7, count: 1000))

        #expect(try Gzip.decompress(compressed, limit: 1000).count == 1000)
        let error = #expect(throws: RPCError.self) { try Gzip.decompress(compressed, limit: 999) }
        #expect(error?.code == .resourceExhausted)
    }

    @Test("Bytes that are not gzip fail with INTERNAL")
    func notGzip() throws {
        let error = #expect(throws: RPCError.self) {
            try Gzip.decompress(Array("definitely not compressed".utf8), limit: Self.mebibyte)
        }
        #expect(error?.code == .internalError)
    }

    @Test("A corrupted body or checksum fails with INTERNAL")
    func corruptInput() throws {
        let input = Array(String(repeating: "metachat ", count: 200).utf8)
        let compressed = try Gzip.compress(input)
        // Byte 10 is the first deflate byte after the 10-byte gzip header; the last 8 bytes
        // are the CRC-32 and the length.
        for index in [10, compressed.count - 8, compressed.count - 1] {
            var corrupted = compressed
            corrupted[index] ^= 0xFF
            let error = #expect(throws: RPCError.self) { try Gzip.decompress(corrupted, limit: Self.mebibyte) }
            #expect(error?.code == .internalError, "flipping byte \(index)")
        }
    }

    @Test("Input cut short in the body or the trailer fails with INTERNAL", arguments: [1, 4, 8, 100])
    func truncatedInput(droppedBytes: Int) throws {
        var generator = DeterministicBytes(seed: 42)
        let compressed = try Gzip.compress(generator.next(4096))
        let truncated = Array(compressed.dropLast(droppedBytes))

        let error = #expect(throws: RPCError.self) { try Gzip.decompress(truncated, limit: Self.mebibyte) }
        #expect(error?.code == .internalError)
    }

    @Test("A gzip header with no body fails with INTERNAL")
    func headerOnly() throws {
        let header = Array(try Gzip.compress(Array("abc".utf8)).prefix(10))

        let error = #expect(throws: RPCError.self) { try Gzip.decompress(header, limit: Self.mebibyte) }
        #expect(error?.code == .internalError)
    }
}
