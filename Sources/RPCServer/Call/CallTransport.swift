/// How a call reached the server, for interceptors whose answer depends on the face: plain
/// HTTP clients expect conventions (such as `RateLimit-*` headers on every response) that gRPC
/// clients do not.
package enum CallTransport: Sendable, Hashable {
    /// gRPC over HTTP/2.
    case grpc
    /// gRPC-Web, over HTTP/1.1 or HTTP/2.
    case grpcWeb
    /// A plain HTTP request the REST bridge turned into a call.
    case http
    /// An in-process client.
    case inProcess
}
