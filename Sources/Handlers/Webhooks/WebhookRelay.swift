internal import FoundationEssentials
package import Logging
package import Monitoring
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
    let metrics: WebhookMetrics
    let logger: Logger

    /// Creates the relay.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated; its configuration also opens the LISTEN connection.
    ///   - sender: Makes the attempts.
    ///   - sealing: Opens the endpoints' signing secrets.
    ///   - configuration: Retries, limits and timing.
    ///   - metrics: Counts every attempt by outcome.
    ///   - logger: Receives failures.
    package init(
        pool: PostgresPool, sender: WebhookSender, sealing: any WebhookSecretSealing,
        configuration: WebhookConfiguration = .defaults,
        metrics: WebhookMetrics = PlatformMetrics.unobserved().webhooks,
        logger: Logger
    ) {
        self.queue = WebhookDeliveryQueue(pool: pool, configuration: configuration)
        self.sender = sender
        self.sealing = sealing
        self.listener = PostgresNotificationListener(configuration: pool.configuration, channel: OutboxWriter.channel)
        self.configuration = configuration
        self.metrics = metrics
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
        let lanes = DeliveryLanes(
            concurrency: self.configuration.concurrency, perEndpoint: self.configuration.concurrencyPerEndpoint)
        let finished = FinishedAttempts()
        // Set by a notification and by the poll timer; a wake-up by a finished attempt claims
        // without looking for new events first.
        let fanOutPending = PendingFlag()
        await withDiscardingTaskGroup { group in
            group.addTask {
                await self.listen(waker, fanOutPending: fanOutPending)
            }
            group.addTask {
                await self.recordAll(finished, woken: recordWake)
            }
            var iterator = wake.makeAsyncIterator()
            while !Task.isCancelled {
                if fanOutPending.take() {
                    await self.fanOutAll()
                }
                let drained = await self.claimAll(
                    lanes: lanes, group: &group, waker: waker, finished: finished, recordWaker: recordWaker)
                var wait = self.configuration.pollInterval
                // Only when nothing was due: with the lanes full, the next finished attempt wakes
                // the loop anyway.
                if drained, let due = try? await self.queue.untilNextDue(), due > .zero {
                    wait = min(wait, due)
                }
                let timer = Task {
                    try? await Task.sleep(for: wait)
                    fanOutPending.set()
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

    /// Claims due deliveries while the lanes have room (up to ``DeliveryLanes/aheadFactor`` times
    /// the concurrency, so a finished attempt goes on with the next claim without waiting for this
    /// loop), and starts a task for each claim that may run at once; each task then works through
    /// its lane. Whether it stopped because nothing more was due (rather than for lack of room).
    @discardableResult
    private func claimAll(
        lanes: DeliveryLanes, group: inout DiscardingTaskGroup, waker: AsyncStream<Void>.Continuation,
        finished: FinishedAttempts, recordWaker: AsyncStream<Void>.Continuation
    ) async -> Bool {
        while !Task.isCancelled {
            let (room, held) = lanes.room()
            guard room > 0 else { return false }
            let claims: [WebhookClaim]
            do {
                claims = try await self.queue.claim(limit: room, held: held, perEndpoint: lanes.perEndpointHeld)
            } catch {
                self.logger.warning(
                    "could not claim webhook deliveries; trying again shortly",
                    metadata: ["error": "\(String(reflecting: error))"])
                return true
            }
            guard !claims.isEmpty else { return true }
            for claim in lanes.add(claims) {
                group.addTask {
                    var next: WebhookClaim? = claim
                    while let current = next {
                        if let attempt = await self.attempt(current) {
                            finished.append(current, attempt)
                            recordWaker.yield()
                        }
                        next = Task.isCancelled ? nil : lanes.finished(current.webhookID)
                        // Room for more claims: let the loop top the lanes up.
                        waker.yield()
                    }
                }
            }
        }
        return false
    }

    /// Makes one attempt of a claimed delivery; `nil` when there is nothing to record (the endpoint
    /// was disabled meanwhile, or the relay is shutting down and leaves the claim to run out).
    private func attempt(_ claim: WebhookClaim) async -> WebhookAttempt? {
        guard claim.endpointEnabled else {
            try? await self.queue.abandon(claim, reason: "endpoint disabled")
            self.metrics.attempted(.disabled)
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
        if Task.isCancelled { return nil }
        self.metrics.attempted(Self.metricsOutcome(attempt.outcome, claim: claim))
        return attempt
    }

    /// What an attempt's outcome counts as.
    static func metricsOutcome(_ outcome: WebhookAttemptOutcome, claim: WebhookClaim) -> WebhookMetrics.Outcome {
        switch outcome {
        case .succeeded: .success
        case .retryable: claim.attempt >= claim.maximumAttempts ? .failure : .retry
        case .final: .failure
        case .gone: .disabled
        }
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

    /// Wakes the loop, with events to fan out, on every `NOTIFY outbox`.
    private func listen(_ waker: AsyncStream<Void>.Continuation, fanOutPending: PendingFlag) async {
        while !Task.isCancelled {
            do {
                if try await self.listener.wait(timeout: .seconds(5)) {
                    fanOutPending.set()
                    waker.yield()
                }
            } catch {
                try? await Task.sleep(for: self.configuration.pollInterval)
                fanOutPending.set()
                waker.yield()
            }
        }
    }
}

/// Whether something asked for work since the flag was last taken.
private final class PendingFlag: Sendable {
    private let flag = Atomic<Bool>(true)

    func set() {
        self.flag.store(true, ordering: .releasing)
    }

    /// Whether it was set; clears it.
    func take() -> Bool {
        self.flag.exchange(false, ordering: .acquiringAndReleasing)
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

/// The claims one relay holds, per endpoint: running (at most `perEndpoint` per endpoint and
/// `concurrency` in all) and waiting their turn. A task that finishes an attempt takes the next
/// waiting claim itself — of its own endpoint first, else of any endpoint with a free slot — so
/// fast endpoints never wait for the claim loop; the loop keeps up to ``aheadFactor`` times the
/// limits claimed (their leases cover the wait: ``WebhookConfiguration/lease``).
private final class DeliveryLanes: Sendable {
    /// How many claims beyond the running ones are held, as a multiple of the limits.
    static let aheadFactor = 4

    private struct Lane {
        var running = 0
        var waiting: [WebhookClaim] = []
    }

    private let concurrency: Int
    private let perEndpoint: Int
    private let state = Mutex<(lanes: [UUID: Lane], running: Int)>(([:], 0))

    init(concurrency: Int, perEndpoint: Int) {
        self.concurrency = concurrency
        self.perEndpoint = perEndpoint
    }

    /// The claims one endpoint may hold, running or waiting.
    var perEndpointHeld: Int { self.perEndpoint * Self.aheadFactor }

    /// How many more claims may be held in all, and how many each endpoint holds.
    func room() -> (Int, [UUID: Int]) {
        self.state.withLock { state in
            let held = state.lanes.mapValues { $0.running + $0.waiting.count }
            return (self.concurrency * Self.aheadFactor - held.values.reduce(0, +), held)
        }
    }

    /// Adds new claims; returns those that may start now (each in a task of its own).
    func add(_ claims: [WebhookClaim]) -> [WebhookClaim] {
        self.state.withLock { state in
            var start: [WebhookClaim] = []
            for claim in claims {
                var lane = state.lanes[claim.webhookID, default: Lane()]
                if lane.running < self.perEndpoint && state.running < self.concurrency {
                    lane.running += 1
                    state.running += 1
                    start.append(claim)
                } else {
                    lane.waiting.append(claim)
                }
                state.lanes[claim.webhookID] = lane
            }
            return start
        }
    }

    /// An attempt of `endpoint` ended; returns the claim the same task runs next, if any.
    func finished(_ endpoint: UUID) -> WebhookClaim? {
        self.state.withLock { state in
            if var lane = state.lanes[endpoint], !lane.waiting.isEmpty {
                let next = lane.waiting.removeFirst()
                state.lanes[endpoint] = lane
                return next
            }
            var lane = state.lanes[endpoint, default: Lane()]
            lane.running = max(0, lane.running - 1)
            state.running = max(0, state.running - 1)
            state.lanes[endpoint] = lane.running == 0 && lane.waiting.isEmpty ? nil : lane
            // The slot goes to another endpoint's waiting claim, if one may run.
            guard
                let (other, waiting) = state.lanes.first(where: {
                    !$0.value.waiting.isEmpty && $0.value.running < self.perEndpoint
                })
            else { return nil }
            var otherLane = waiting
            let next = otherLane.waiting.removeFirst()
            otherLane.running += 1
            state.running += 1
            state.lanes[other] = otherLane
            return next
        }
    }
}
