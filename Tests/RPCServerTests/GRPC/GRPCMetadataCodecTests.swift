import Testing

@testable import RPCServer

@Suite("gRPC metadata codec")
struct GRPCMetadataCodecTests {
    @Test("Pseudo-headers and headers reserved by gRPC are not metadata")
    func reservedHeadersAreNotMetadata() {
        let headers: [(name: String, value: String)] = [
            (":method", "POST"), (":path", "/svc/Method"), (":authority", "example.com"), (":scheme", "http"),
            ("content-type", "application/grpc"), ("te", "trailers"), ("grpc-timeout", "1S"),
            ("grpc-encoding", "gzip"), ("grpc-accept-encoding", "gzip"), ("grpc-status", "0"),
            ("grpc-message", "ok"), ("grpc-status-details-bin", "AAAA"), ("content-length", "5"),
            ("connection", "close"), ("host", "example.com"),
            ("x-user", "alice"),
        ]

        let metadata = GRPCMetadataCodec.metadata(from: headers)

        #expect(Array(metadata) == [Metadata.Element(key: "x-user", value: .string("alice"))])
    }

    @Test("Text values are kept in order, repeated keys included")
    func textValuesKept() {
        let metadata = GRPCMetadataCodec.metadata(from: [("x-a", "1"), ("x-b", "two"), ("x-a", "3")])

        #expect(metadata.strings(forKey: "x-a") == ["1", "3"])
        #expect(Array(metadata).map(\.key) == ["x-a", "x-b", "x-a"])
    }

    @Test("-bin values are base64-decoded, padded or not", arguments: ["Zm9vYg==", "Zm9vYg"])
    func binaryValuesDecoded(value: String) {
        let metadata = GRPCMetadataCodec.metadata(from: [("trace-bin", value)])

        #expect(metadata.binaries(forKey: "trace-bin") == [Array("foob".utf8)])
        #expect(metadata.strings(forKey: "trace-bin").isEmpty)
    }

    @Test("-bin values that are not base64 are dropped")
    func invalidBinaryDropped() {
        let metadata = GRPCMetadataCodec.metadata(from: [("a-bin", "not base64!"), ("b-bin", "Z"), ("x-keep", "yes")])

        #expect(Array(metadata) == [Metadata.Element(key: "x-keep", value: .string("yes"))])
    }

    @Test("headers(from:) base64-encodes binary values and skips reserved keys")
    func headersFromMetadata() {
        var metadata = Metadata()
        metadata.addString("alice", forKey: "x-user")
        metadata.addBinary([0xDE, 0xAD, 0xBE, 0xEF], forKey: "blob-bin")
        metadata.addString("13", forKey: "grpc-status")
        metadata.addString("application/json", forKey: "content-type")
        metadata.addString("oops", forKey: "grpc-message")
        metadata.addString("x", forKey: ":path")
        metadata.addString("second", forKey: "x-user")

        let headers = GRPCMetadataCodec.headers(from: metadata)

        #expect(headers.map(\.name) == ["x-user", "blob-bin", "x-user"])
        #expect(headers.map(\.value) == ["alice", "3q2+7w==", "second"])
    }

    @Test("Binary metadata survives headers(from:) then metadata(from:)")
    func binaryRoundTrip() {
        var metadata = Metadata()
        metadata.addBinary((0...255).map { UInt8($0) }, forKey: "all-bytes-bin")
        metadata.addString("text", forKey: "x-text")

        #expect(GRPCMetadataCodec.metadata(from: GRPCMetadataCodec.headers(from: metadata)) == metadata)
    }
}
