internal import NIOPosix
internal import ServiceLifecycle

/// A thread pool as a `Service`: its threads start when the group runs it and stop at graceful
/// shutdown, after the work they run has returned.
struct ThreadPoolService: Service {
    /// The pool; not started until ``run()``.
    let threadPool: NIOThreadPool

    func run() async throws {
        self.threadPool.start()
        try? await gracefulShutdown()
        try await self.threadPool.shutdownGracefully()
    }
}
