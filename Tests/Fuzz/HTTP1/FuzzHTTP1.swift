internal import FuzzSupport

/// libFuzzer entry point: one HTTP/1.1 connection.
///
/// The first byte is the delivery plan (``ConnectionHarness/Plan``: chunk size and pauses);
/// the rest is what the client sends, as it is: request lines, headers, bodies (fixed-length and
/// chunked), pipelined requests, gRPC-Web, WebSocket handshakes and frames, REST calls. It goes
/// through the protocol sniffer into NIO's HTTP/1.1 decoder and `HTTP1ConnectionHandler`, then
/// to gRPC-Web, the REST gateway, the raw routes and the WebSocket route of ``EchoStack``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTP1(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    let plan = ConnectionHarness.Plan(controlByte: input[0])
    _ = HTTP1Fuzzing.harness.run(Array(input.dropFirst()), plan: plan)
    return 0
}

/// The harness every input shares.
enum HTTP1Fuzzing {
    static let harness = ConnectionHarness(stack: .shared)
}
