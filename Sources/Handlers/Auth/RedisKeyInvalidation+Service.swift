internal import ServiceLifecycle

extension RedisKeyInvalidation: Service {
    /// Listens for key and tenant changes (retrying in the background while Redis is away, see
    /// ``startRetrying(every:)``) until graceful shutdown (or cancellation), then stops for good.
    package func run() async throws {
        await self.startRetrying()
        try? await gracefulShutdown()
        await self.stop()
    }
}
