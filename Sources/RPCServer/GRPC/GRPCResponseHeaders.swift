/// The header fields every gRPC response starts with, built once: a call that adds no
/// metadata sends these arrays as they are, without building its own.
enum GRPCResponseHeaders {
    /// `:status: 200` and `content-type: application/grpc`.
    static let response: [(name: String, value: String)] = [
        (":status", "200"), ("content-type", "application/grpc"),
    ]
    /// ``response`` with `grpc-encoding: gzip`, for clients that accept gzip.
    static let gzipResponse: [(name: String, value: String)] = response + [("grpc-encoding", "gzip")]
    /// The trailers of a call that succeeded: `grpc-status: 0`.
    static let okTrailers: [(name: String, value: String)] = [("grpc-status", "0")]
}
