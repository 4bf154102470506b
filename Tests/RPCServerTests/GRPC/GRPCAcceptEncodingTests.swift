import Testing

@testable import RPCServer

@Suite("grpc-accept-encoding")
struct GRPCAcceptEncodingTests {
    @Test(
        "gzip is found as a whole name anywhere in the list, spaces ignored",
        arguments: ["gzip", "identity,deflate,gzip", "gzip,identity", "deflate, gzip", " gzip ", "identity,\tgzip"]
    )
    func listsGzip(value: String) {
        #expect(GRPCAcceptEncoding.listsGzip(value))
    }

    @Test(
        "Names that only contain or start like gzip do not count",
        arguments: ["", "identity", "gzipx", "xgzip", "gzi", "identity,deflate", "gzip-2,deflate", ",,"]
    )
    func doesNotListGzip(value: String) {
        #expect(!GRPCAcceptEncoding.listsGzip(value))
    }
}

@Suite("HTTP/2 header field roles")
struct HTTP2HeaderFieldRoleTests {
    @Test("Known request headers, reserved names and metadata each get their role")
    func roles() {
        let cases: [(String, HTTP2HeaderField.Role)] = [
            (":method", .method), (":path", .path), (":scheme", .otherPseudo), (":authority", .otherPseudo),
            ("content-type", .contentType), ("content-length", .contentLength), ("grpc-timeout", .grpcTimeout),
            ("grpc-encoding", .grpcEncoding), ("grpc-accept-encoding", .grpcAcceptEncoding), ("te", .reserved),
            ("grpc-status", .reserved), ("host", .reserved), ("user-agent", .metadata),
            ("x-trace-bin", .binaryMetadata),
        ]
        for (name, role) in cases {
            #expect(HTTP2HeaderField.Role(name: name) == role, "\(name)")
        }
    }
}
