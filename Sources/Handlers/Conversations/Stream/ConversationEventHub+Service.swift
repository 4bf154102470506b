internal import ServiceLifecycle

extension ConversationEventHub: Service {
    /// Publishes, polls and sends heartbeats until graceful shutdown (or cancellation), then ends
    /// every watcher with its position.
    package func run() async throws {
        let loops = Task { await self.runLoops() }
        try? await gracefulShutdown()
        loops.cancel()
        self.stop()
        await loops.value
    }
}
