internal import ServiceLifecycle

extension PostgresPool: Service {
    /// Starts the pool's threads and keeps the pool open until graceful shutdown (or
    /// cancellation), then shuts it down: waiting callers fail, connections close.
    package func run() async throws {
        self.startThreads()
        try? await gracefulShutdown()
        await self.shutdown()
    }
}
