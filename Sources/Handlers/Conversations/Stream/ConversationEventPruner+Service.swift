internal import ServiceLifecycle

extension ConversationEventPruner: Service {
    /// Prunes at start and then every interval until graceful shutdown (or cancellation).
    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.runLoop()
        }
    }
}
