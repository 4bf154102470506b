package import Logging
internal import ServiceLifecycle
package import Storage
internal import Synchronization

/// Runs ingestion jobs in every `serve` process: up to ``concurrency`` at once, claiming the
/// next as soon as one ends, woken by `NOTIFY document_ingest` when a document is queued, and
/// looking again every ``pollInterval`` anyway (retries that came due, leases of dead workers
/// that ran out, notifications lost while the LISTEN connection was down).
///
/// On graceful shutdown it stops claiming; jobs in progress are cancelled and handed back
/// (due again at once, for this or another process).
package struct DocumentIngestionWorker: Service {
    let ingestor: DocumentIngestor
    let listener: PostgresNotificationListener
    let concurrency: Int
    let pollInterval: Duration
    let logger: Logger

    /// Creates the worker.
    ///
    /// - Parameters:
    ///   - ingestor: Runs one job.
    ///   - pool: Its configuration opens the LISTEN connection.
    ///   - concurrency: Jobs at once (default 2).
    ///   - pollInterval: Longest wait between looks at the queue (default 2 s).
    ///   - logger: Receives failures.
    package init(
        ingestor: DocumentIngestor, pool: PostgresPool, concurrency: Int = 2, pollInterval: Duration = .seconds(2),
        logger: Logger
    ) {
        self.ingestor = ingestor
        self.listener = PostgresNotificationListener(configuration: pool.configuration, channel: "document_ingest")
        self.concurrency = max(1, concurrency)
        self.pollInterval = pollInterval
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
        self.listener.close()
    }

    private func loop() async {
        let active = ActiveJobs()
        let (finished, finishedContinuation) = AsyncStream.makeStream(of: Void.self)
        await withDiscardingTaskGroup { group in
            var iterator = finished.makeAsyncIterator()
            // LISTEN before the first claim, so a document queued in between still wakes us.
            _ = try? await self.listener.wait(timeout: .zero)
            while !Task.isCancelled {
                var claimed = false
                while active.count.load(ordering: .acquiring) < self.concurrency, !Task.isCancelled {
                    let job: IngestJob?
                    do {
                        job = try await self.ingestor.queue.claim()
                    } catch {
                        self.logger.warning("could not claim an ingestion job; trying again shortly")
                        job = nil
                    }
                    guard let job else { break }
                    claimed = true
                    active.count.add(1, ordering: .relaxed)
                    group.addTask {
                        await self.ingestor.run(job)
                        active.count.subtract(1, ordering: .releasing)
                        finishedContinuation.yield()
                    }
                }
                if active.count.load(ordering: .acquiring) >= self.concurrency {
                    _ = await iterator.next()
                } else if !claimed {
                    do {
                        _ = try await self.listener.wait(timeout: self.pollInterval)
                    } catch {
                        // PostgreSQL is away: look again after the poll interval.
                        try? await Task.sleep(for: self.pollInterval)
                    }
                }
            }
            finishedContinuation.finish()
        }
    }
}

/// How many jobs a worker runs right now (its tasks decrement it as they end).
private final class ActiveJobs: Sendable {
    let count = Atomic<Int>(0)
}
