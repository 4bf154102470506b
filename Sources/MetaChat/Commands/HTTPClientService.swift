internal import AsyncHTTPClient
internal import ServiceLifecycle

/// The outbound HTTP client (embeddings) as a `Service`: it runs until graceful shutdown, then
/// closes its connections, after the services that use it stopped (it starts before them).
struct HTTPClientService: Service {
    /// The client; requests may start once the group runs.
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await self.client.shutdown()
    }
}
