internal import ServiceLifecycle

extension ApiLogRecorder: Service {
    /// Writes batches every flush interval, or at once when a batch is full, until graceful
    /// shutdown; then writes what is left.
    package func run() async throws {
        let wakeUps = self.wakeUps()
        let interval = self.flushInterval
        let ticker = Task {
            while (try? await Task.sleep(for: interval)) != nil { self.wake() }
        }
        defer { ticker.cancel() }
        await cancelWhenGracefulShutdown {
            for await _ in wakeUps {
                do {
                    try await self.flush()
                } catch {
                    self.reportFailure(error)
                }
            }
        }
        do {
            try await self.flush()
        } catch {
            self.reportFailure(error)
        }
    }
}
