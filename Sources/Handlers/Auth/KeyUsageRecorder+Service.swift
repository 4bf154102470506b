internal import ServiceLifecycle

extension KeyUsageRecorder: Service {
    /// Writes the collected `last_used_at` values every ``flushInterval`` until graceful
    /// shutdown (or cancellation), then writes the last batch.
    package func run() async throws {
        await cancelWhenGracefulShutdown { await self.run(every: self.flushInterval) }
        _ = try? await self.flush()
    }
}
