internal import FuzzSupport
internal import RPCServer

/// libFuzzer entry point: the gRPC wire formats a server parses from the network, each checked
/// against the invariant it promises.
///
/// The first byte picks the parser (modulo the count); the rest is its input:
/// 0. the message deframer: the same body delivered whole and in chunks yields the same
///    messages and the same error, and the messages re-framed are exactly the bytes consumed;
/// 1. `grpc-timeout` values;
/// 2. metadata from header lines (`name: value`), and back to headers (`-bin` values survive);
/// 3. base64 (`-bin` metadata, gRPC-Web text): decoded bytes re-encode and decode to themselves;
/// 4. `grpc-message` percent-encoding: decoding an encoded message gives it back;
/// 5. `grpc-accept-encoding` lists;
/// 6. gzip message decompression within its limit, and recompression.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGRPCFraming(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    switch input.byte() % 7 {
    case 0: GRPCFramingChecks.deframer(&input)
    case 1: GRPCFramingChecks.timeout(input.rest)
    case 2: GRPCFramingChecks.metadata(&input)
    case 3: GRPCFramingChecks.base64(input.rest)
    case 4: GRPCFramingChecks.statusMessage(input.rest)
    case 5: _ = GRPCAcceptEncoding.listsGzip(String(decoding: input.rest, as: UTF8.self))
    default: GRPCFramingChecks.gzip(input.rest)
    }
    return 0
}
