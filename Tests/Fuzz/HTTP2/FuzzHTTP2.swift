internal import FuzzSupport

/// libFuzzer entry point: one HTTP/2 connection.
///
/// The first byte is the delivery plan (``ConnectionHarness/Plan``); the harness then sends the
/// client connection preface, followed by the rest of the input as it is: frames (SETTINGS,
/// HEADERS with HPACK, CONTINUATION, DATA, RST_STREAM, PING, WINDOW_UPDATE, GOAWAY, PRIORITY,
/// unknown types). They go through the protocol sniffer into `HTTP2ConnectionHandler` and its
/// nghttp2 session, then to gRPC calls of every kind (unary, streaming, deadlines, metadata,
/// gzip), gRPC-Web, health, reflection and the REST gateway of ``EchoStack``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP2(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let plan = ConnectionHarness.Plan(controlByte: input[0])
    let bytes = HTTP2Fuzzing.preface + input.dropFirst()
    _ = HTTP2Fuzzing.harness.run(bytes, plan: plan)
    return 0
}

/// What every input shares.
enum HTTP2Fuzzing {
    static let harness = ConnectionHarness(stack: .shared)
    /// The client connection preface (RFC 9113 §3.4).
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
}
