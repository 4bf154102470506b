internal import FoundationEssentials
package import Logging
internal import ServiceLifecycle
package import Storage
internal import Synchronization

/// Works the channels' durable queues in every `serve` process: processes stored Meta callbacks
/// (``ChannelInboundProcessor``, up to ``ChannelWorkerConfiguration/concurrency`` at once and
/// ``ChannelWorkerConfiguration/concurrencyPerTenant`` of one tenant, each under a lease) and
/// sends queued replies (``ChannelReplySender``, ``ChannelWorkerConfiguration/senders`` at once,
/// beside the claims, so a slow Graph API never holds up new callbacks).
///
/// Woken by `NOTIFY channel_inbound` (a callback stored), by its own finished callbacks (their
/// answers wait in the outbox), and every ``ChannelWorkerConfiguration/pollInterval`` anyway
/// (agent replies, retries coming due, notifications lost while the LISTEN connection was down).
/// On graceful shutdown it stops claiming and cancels the work in flight; leases run out and
/// another worker takes the callbacks again.
package struct ChannelWorker: Service {
    let inbound: ChannelInboundQueue
    let processor: ChannelInboundProcessor
    let sender: ChannelReplySender
    let listener: PostgresNotificationListener
    let configuration: ChannelWorkerConfiguration
    let logger: Logger

    /// Creates the worker.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated; its configuration also opens the LISTEN connection.
    ///   - orchestrator: Answers inbound messages.
    ///   - events: Hears delivery updates (the live stream).
    ///   - sealing: Opens the channels' tokens.
    ///   - graph: Reaches the Graph API.
    ///   - configuration: Timing and limits.
    ///   - logger: Receives failures.
    package init(
        pool: PostgresPool, orchestrator: ChatOrchestrator, events: any ConversationEventSink,
        sealing: ChannelSecretSealing, graph: any GraphAPITransport,
        configuration: ChannelWorkerConfiguration = .defaults,
        logger: Logger
    ) {
        let ledger = ConversationLedger(pool: pool, events: events)
        self.inbound = ChannelInboundQueue(pool: pool, configuration: configuration)
        self.processor = ChannelInboundProcessor(
            pool: pool, orchestrator: orchestrator, ledger: ledger, sealing: sealing, graph: graph)
        self.sender = ChannelReplySender(
            pool: pool, ledger: ledger, sealing: sealing, graph: graph, configuration: configuration)
        self.listener = PostgresNotificationListener(configuration: pool.configuration, channel: "channel_inbound")
        self.configuration = configuration
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
        self.listener.close()
    }

    private func loop() async {
        let (wake, waker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let senders = (0..<max(1, self.configuration.senders)).map { _ in
            AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        }
        let running = InFlightCount()
        await withDiscardingTaskGroup { group in
            group.addTask {
                await self.listen(waker)
            }
            // The senders run beside the claims: a slow Graph API delays replies, never the
            // processing of new callbacks.
            for (stream, _) in senders {
                group.addTask {
                    await self.send(woken: stream)
                }
            }
            var iterator = wake.makeAsyncIterator()
            while !Task.isCancelled {
                let (room, held) = running.room(self.configuration.concurrency)
                if room > 0 {
                    do {
                        for claim in try await self.inbound.claim(limit: room, held: held) {
                            running.add(claim.tenantID)
                            group.addTask {
                                await self.process(claim)
                                running.remove(claim.tenantID)
                                waker.yield()
                            }
                        }
                    } catch {
                        self.logger.warning("could not claim channel callbacks; trying again shortly")
                    }
                }
                for (_, sender) in senders {
                    sender.yield()
                }
                let timer = Task {
                    try? await Task.sleep(for: self.configuration.pollInterval)
                    waker.yield()
                }
                _ = await iterator.next()
                timer.cancel()
            }
            waker.finish()
            for (_, sender) in senders {
                sender.finish()
            }
        }
    }

    private func process(_ claim: ChannelInboundQueue.Claim) async {
        do {
            try await self.processor.process(claim)
            try await self.inbound.done(claim.id)
        } catch let failure as ChannelInboundProcessor.Failure {
            let (text, final) =
                switch failure {
                case .retryable(let text): (text, false)
                case .final(let text): (text, true)
                }
            self.logger.warning(
                "channel callback not processed", metadata: ["id": "\(claim.id)", "error": "\(text)"])
            try? await self.inbound.failed(claim, error: text, final: final)
        } catch {
            self.logger.warning("channel callback not marked done", metadata: ["id": "\(claim.id)"])
        }
    }

    /// One sender: sends every due reply it can take each time it is woken.
    private func send(woken: AsyncStream<Void>) async {
        for await _ in woken {
            do {
                while !Task.isCancelled, try await self.sender.sendNext() {}
            } catch {
                self.logger.warning(
                    "could not send channel replies; trying again shortly",
                    metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }

    private func listen(_ waker: AsyncStream<Void>.Continuation) async {
        while !Task.isCancelled {
            do {
                if try await self.listener.wait(timeout: .seconds(5)) {
                    waker.yield()
                }
            } catch {
                try? await Task.sleep(for: self.configuration.pollInterval)
                waker.yield()
            }
        }
    }
}

/// The callbacks being processed, per tenant.
private final class InFlightCount: Sendable {
    private let counts = Mutex<[UUID: Int]>([:])

    /// How many more may start in all (of `concurrency`), and how many each tenant has running.
    func room(_ concurrency: Int) -> (Int, [UUID: Int]) {
        self.counts.withLock { counts in
            (concurrency - counts.values.reduce(0, +), counts)
        }
    }

    func add(_ tenant: UUID) {
        self.counts.withLock { $0[tenant, default: 0] += 1 }
    }

    func remove(_ tenant: UUID) {
        self.counts.withLock { counts in
            let left = counts[tenant, default: 1] - 1
            counts[tenant] = left > 0 ? left : nil
        }
    }
}
