internal import ServiceLifecycle

extension RedisSubscriber: Service {
    /// Starts the subscriber's thread (connecting, and reconnecting after failures) and keeps it
    /// until graceful shutdown (or cancellation), then ends every subscription and stops it.
    package func run() async throws {
        self.start()
        try? await gracefulShutdown()
        await self.shutdown()
    }
}
