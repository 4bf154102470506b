/// Sent down every connection's pipeline when the server begins a graceful shutdown: HTTP/2
/// connections send GOAWAY and close once their streams finish; HTTP/1.1 connections close
/// after the response in progress, or at once when idle.
struct GracefulShutdownEvent: Sendable {}
