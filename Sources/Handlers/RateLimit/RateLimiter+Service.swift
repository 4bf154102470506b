internal import ServiceLifecycle

extension RateLimiter: Service {
    /// Runs until graceful shutdown (or cancellation), then waits for the lease renewals still
    /// running, so none fails against the Redis pool that shuts down after it.
    ///
    /// In `serve`'s `ServiceGroup` it comes after the Redis pool and before the server, so it
    /// stops after the server's last call and before the pool closes.
    package func run() async throws {
        try? await gracefulShutdown()
        await self.waitForRenewals()
    }
}
