internal import FoundationEssentials
package import Logging
internal import ServiceLifecycle
package import Storage
internal import Synchronization

/// Delivers webhooks in every `serve` process: fans new outbox events out into deliveries,
/// claims due deliveries and sends each in a task of its own, up to
/// ``WebhookConfiguration/concurrency`` at once and ``WebhookConfiguration/concurrencyPerEndpoint``
/// per endpoint (so one slow endpoint never holds up the others), and records every attempt
/// (in batches: one transaction, one pooled connection, for all attempts that finished meanwhile).
///
/// Woken by `NOTIFY outbox` (a new event, a redelivery) and by its own finished attempts; looks
/// again when the next retry comes due, and every ``WebhookConfiguration/pollInterval`` anyway
/// (notifications lost while the LISTEN connection was down).
///
/// On graceful shutdown it stops claiming and cancels attempts in flight; their leases run out and
/// another relay (or this one after a restart) sends them again with the same `webhook-id`.
package struct WebhookRelay: Service {
    let queue: WebhookDeliveryQueue
    let sender: WebhookSender
    let sealing: any WebhookSecretSealing
    let listener: PostgresNotificationListener
    let configuration: WebhookConfiguration
    let logger: Logger

    /// Creates the relay.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated; its configuration also opens the LISTEN connection.
    ///   - sender: Makes the attempts.
    ///   - sealing: Opens the endpoints' signing secrets.
    ///   - configuration: Retries, limits and timing.
    ///   - logger: Receives failures.
    package init(
        pool: PostgresPool, sender: WebhookSender, sealing: any WebhookSecretSealing,
        configuration: WebhookConfiguration = .defaults, logger: Logger
    ) {
        self.queue = WebhookDeliveryQueue(pool: pool, configuration: configuration)
        self.sender = sender
        self.sealing = sealing
        self.listener = PostgresNotificationListener(configuration: pool.configuration, channel: OutboxWriter.channel)
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
        let (recordWake, recordWaker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let inFlight = InFlightDeliveries()
        let finished = FinishedAttempts()
        await withDiscardingTaskGroup { group in
            group.addTask {
                await self.listen(waker)
            }
            group.addTask {
                await self.recordAll(finished, woken: recordWake)
            }
            var iterator = wake.makeAsyncIterator()
            while !Task.isCancelled {
                await self.fanOutAll()
                await self.claimAll(
                    inFlight: inFlight, group: &group, waker: waker, finished: finished, recordWaker: recordWaker)
                var wait = self.configuration.pollInterval
                if let due = try? await self.queue.untilNextDue(), due > .zero {
                    wait = min(wait, due)
                }
                let timer = Task {
                    try? await Task.sleep(for: wait)
                    waker.yield()
                }
                _ = await iterator.next()
                timer.cancel()
            }
            waker.finish()
            recordWaker.finish()
        }
    }

    /// Turns every waiting outbox event into deliveries.
    private func fanOutAll() async {
        do {
            while !Task.isCancelled, try await self.queue.fanOut() >= self.configuration.fanOutBatch {}
        } catch {
            self.logger.warning("could not fan out outbox events; trying again shortly")
        }
    }

    /// Claims due deliveries while there is room, starting an attempt for each.
    private func claimAll(
        inFlight: InFlightDeliveries, group: inout DiscardingTaskGroup, waker: AsyncStream<Void>.Continuation,
        finished: FinishedAttempts, recordWaker: AsyncStream<Void>.Continuation
    ) async {
        while !Task.isCancelled {
            let counts = inFlight.counts()
            let room = self.configuration.concurrency - counts.values.reduce(0, +)
            guard room > 0 else { return }
            let perEndpoint = self.configuration.concurrencyPerEndpoint
            let busy = Set(counts.filter { $0.value >= perEndpoint }.keys)
            let claims: [WebhookClaim]
            do {
                claims = try await self.queue.claim(limit: room, busy: busy) { perEndpoint - counts[$0, default: 0] }
            } catch {
                self.logger.warning(
                    "could not claim webhook deliveries; trying again shortly",
                    metadata: ["error": "\(String(reflecting: error))"])
                return
            }
            guard !claims.isEmpty else { return }
            for claim in claims {
                inFlight.add(claim.webhookID)
                group.addTask {
                    if let attempt = await self.attempt(claim) {
                        finished.append(claim, attempt)
                        recordWaker.yield()
                    }
                    inFlight.remove(claim.webhookID)
                    waker.yield()
                }
            }
        }
    }

    /// Makes one attempt of a claimed delivery; `nil` when there is nothing to record (the endpoint
    /// was disabled meanwhile, or the relay is shutting down and leaves the claim to run out).
    private func attempt(_ claim: WebhookClaim) async -> WebhookAttempt? {
        guard claim.endpointEnabled else {
            try? await self.queue.abandon(claim, reason: "endpoint disabled")
            return nil
        }
        let attempt: WebhookAttempt
        do {
            let secrets = try WebhookEndpointRow.signingSecrets(
                current: claim.sealedSecret, previous: claim.sealedPreviousSecret, endpointID: claim.webhookID,
                sealing: self.sealing)
            attempt = await self.sender.send(url: claim.url, eventID: claim.eventID, body: claim.body, secrets: secrets)
        } catch {
            let now = Date()
            attempt = WebhookAttempt(
                startedAt: now, finishedAt: now, statusCode: 0,
                error: "the signing secret could not be opened (SECRETS_ENCRYPTION_KEY)", responseBody: "",
                outcome: .final)
        }
        return Task.isCancelled ? nil : attempt
    }

    /// Records finished attempts in batches, one transaction each, as they come.
    private func recordAll(_ finished: FinishedAttempts, woken: AsyncStream<Void>) async {
        for await _ in woken {
            while true {
                let batch = finished.take(500)
                guard !batch.isEmpty else { break }
                do {
                    try await self.queue.record(batch)
                } catch {
                    self.logger.warning(
                        "could not record \(batch.count) webhook attempts; they are sent again when their leases run out",
                        metadata: ["error": "\(String(reflecting: error))"])
                    break
                }
            }
        }
    }

    /// Wakes the loop on every `NOTIFY outbox`.
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

/// Attempts made and not yet recorded.
private final class FinishedAttempts: Sendable {
    private let state = Mutex<[(claim: WebhookClaim, attempt: WebhookAttempt)]>([])

    func append(_ claim: WebhookClaim, _ attempt: WebhookAttempt) {
        self.state.withLock { $0.append((claim, attempt)) }
    }

    /// Up to `limit` of them, oldest first, removed.
    func take(_ limit: Int) -> [(claim: WebhookClaim, attempt: WebhookAttempt)] {
        self.state.withLock { results in
            let batch = Array(results.prefix(limit))
            results.removeFirst(batch.count)
            return batch
        }
    }
}

/// Attempts in flight in one relay, per endpoint.
private final class InFlightDeliveries: Sendable {
    private let state = Mutex<[UUID: Int]>([:])

    func counts() -> [UUID: Int] {
        self.state.withLock { $0 }
    }

    func add(_ endpoint: UUID) {
        self.state.withLock { $0[endpoint, default: 0] += 1 }
    }

    func remove(_ endpoint: UUID) {
        self.state.withLock { counts in
            let left = counts[endpoint, default: 1] - 1
            counts[endpoint] = left > 0 ? left : nil
        }
    }
}
