package import Logging
package import Storage
internal import Synchronization

/// Counts requests per subject (an API key, or a client address) against a limit, atomically in
/// Redis so every instance shares one allowance.
///
/// The Redis script runs the same GCRA as ``RateLimitDecision/gcra(tat:now:policy:)`` on Redis'
/// clock, for one request or for a lease of several (``RateLimitLeases``: busy subjects under
/// limits of 200 requests per window or more spend leased allowance locally instead of asking
/// Redis every time). When Redis fails, the ``LocalRateLimiter`` answers instead (same limits, per instance)
/// and ``health`` reports degraded: never an error and never unlimited. Redis is tried again
/// after ``retryInterval``, and the flag clears once it answers.
package final class RateLimiter: Sendable {
    /// GCRA for up to `ARGV[3]` requests at once: grants as many as the allowance holds now
    /// (at least one, or none and the time until one fits).
    private static let script = RedisScript(
        """
        if redis.replicate_commands then redis.replicate_commands() end
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
        local limit = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local wanted = tonumber(ARGV[3])
        local interval = window / limit
        local stored = tonumber(redis.call('GET', KEYS[1]))
        local tat = stored or now
        if tat < now then tat = now end
        local granted = math.floor((now + window - tat) / interval + 1e-9)
        if granted > wanted then granted = wanted end
        if granted < 1 then
          local allowat = tat + interval - window
          return {0, 0, math.ceil(tat - now), math.max(1, math.ceil(allowat - now))}
        end
        local nexttat = tat + granted * interval
        redis.call('SET', KEYS[1], string.format('%.3f', nexttat), 'PX', math.max(1, math.ceil(nexttat - now)))
        local remaining = math.floor((window - (nexttat - now)) / interval)
        if remaining < 0 then remaining = 0 end
        return {granted, remaining, math.ceil(nexttat - now), 0}
        """
    )

    /// The Redis key prefix of the counters.
    package static let keyPrefix = "metachat:ratelimit:"

    private let redis: RedisPool
    private let local = LocalRateLimiter()
    private let leases: RateLimitLeases
    private let logger: Logger
    private let nextRedisAttempt = Mutex<ContinuousClock.Instant?>(nil)
    /// Whether `nextRedisAttempt` is set, readable without its lock: calls while Redis answers
    /// (all but a few) learn they are not on the fallback from one atomic load.
    private let fallingBack = Atomic<Bool>(false)
    /// The time of the decisions made without waiting, read once per call: lease lifetimes and
    /// remembered refusals do not change within a clock tick.
    private let coarseClock: CoarseContinuousClock
    private let renewals = Mutex(Renewals())
    /// Whether the limiter runs on the local fallback.
    package let health: RateLimiterHealth
    /// How long the limiter stays on the fallback before trying Redis again.
    package let retryInterval: Duration

    /// Creates a limiter.
    ///
    /// - Parameters:
    ///   - redis: Where the counters live.
    ///   - health: The flag to report fallback through.
    ///   - retryInterval: Time between Redis attempts while on the fallback (1 s unless given).
    ///   - maximumLease: The most requests of one subject's allowance taken from Redis at once
    ///     (see ``RateLimitLeases``; 10,000 unless given, 1 makes every request ask Redis).
    ///   - logger: Receives fallback and recovery events.
    package init(
        redis: RedisPool, health: RateLimiterHealth, retryInterval: Duration = .seconds(1), maximumLease: Int = 10_000,
        logger: Logger
    ) {
        self.redis = redis
        let clock = CoarseContinuousClock()
        self.coarseClock = clock
        self.leases = RateLimitLeases(maximumLease: maximumLease, origin: clock.anchor)
        self.health = health
        self.retryInterval = retryInterval
        self.logger = logger
    }

    /// How ``admit(subject:policy:)`` left a request.
    package enum Admission: Sendable {
        /// Decided without waiting: from this instance's lease, a remembered refusal, or the
        /// local fallback.
        case decided(RateLimitDecision)
        /// Counting it needs Redis (or a lease request in flight); ``finish(_:)`` completes it.
        case pending(PendingCheck)
    }

    /// A request ``admit(subject:policy:)`` could not decide alone.
    ///
    /// Every pending check must be passed to ``finish(_:)``: one that stands for the subject's
    /// lease request keeps that request open until then, and the subject's later calls wait for
    /// it forever.
    package struct PendingCheck: Sendable {
        let subject: String
        let policy: RateLimitPolicy
        let step: RateLimitLeases.Step
    }

    /// Counts one request of `subject`: from this instance's lease when it holds one
    /// (``RateLimitLeases``), otherwise through Redis.
    ///
    /// - Parameters:
    ///   - subject: Whose allowance to use, e.g. `key:<id>` or `ip:<address>`.
    ///   - policy: The limit.
    package func check(subject: String, policy: RateLimitPolicy) async -> RateLimitDecision {
        switch self.admit(subject: subject, policy: policy) {
        case .decided(let decision): decision
        case .pending(let pending): await self.finish(pending)
        }
    }

    /// The refusal `subject` got last, while it still stands, without counting a request or
    /// asking Redis: for refusing before doing expensive work (``FailedAuthenticationLimit``).
    ///
    /// - Parameter subject: Whose allowance.
    package func standingRefusal(subject: String) -> RateLimitDecision? {
        self.leases.standingRefusal(subject: subject, now: self.coarseClock.now)
    }

    /// Starts counting one request of `subject` and decides it when that needs no waiting,
    /// which is the common case for a busy subject; without suspending, so callers on the hot
    /// path pay no executor hop for it.
    ///
    /// - Parameters:
    ///   - subject: Whose allowance to use, e.g. `key:<id>` or `ip:<address>`.
    ///   - policy: The limit.
    package func admit(subject: String, policy: RateLimitPolicy) -> Admission {
        let now = self.coarseClock.now
        if self.onFallback(now: now) {
            return .decided(self.local.check(subject: subject, policy: policy))
        }
        return self.admission(self.leases.next(subject: subject, policy: policy, now: now), subject, policy)
    }

    /// ``admit(subject:policy:)`` for a caller that keeps `slot` for its subject, so that its
    /// calls reach the subject's lease without looking the subject up (``RateLimitLeases/Entry``).
    ///
    /// - Parameters:
    ///   - subject: Whose allowance to use.
    ///   - policy: The limit.
    ///   - slot: The caller's remembered lease entry for `subject`.
    ///   - quick: Whether the caller tries ``admitQuickly(policy:rememberingIn:)`` first, so
    ///     admitting it refills the quick share that serves.
    func admit(
        subject: String, policy: RateLimitPolicy, rememberingIn slot: borrowing RememberedLeaseEntry,
        quick: Bool = false
    ) -> Admission {
        let now = self.coarseClock.now
        if self.onFallback(now: now) {
            return .decided(self.local.check(subject: subject, policy: policy))
        }
        let step = self.leases.next(subject: subject, policy: policy, now: now, rememberingIn: slot, quick: quick)
        return self.admission(step, subject, policy)
    }

    /// Admits a call from the quick share of its caller's lease (``RateLimitLeases``), with
    /// atomic operations only, for calls whose answer carries no decision details. `false` when
    /// that cannot decide (no share to spend, or Redis unreachable): then
    /// ``admit(subject:policy:rememberingIn:quick:)`` does.
    ///
    /// - Parameters:
    ///   - policy: The limit.
    ///   - slot: The caller's remembered lease entry.
    func admitQuickly(policy: RateLimitPolicy, rememberingIn slot: borrowing RememberedLeaseEntry) -> Bool {
        !self.fallingBack.load(ordering: .relaxed)
            && self.leases.takeQuickToken(
                policy: policy, elapsed: self.coarseClock.elapsedNanoseconds, rememberedIn: slot)
    }

    /// What a lease step means for the call: decided now (a renewal started when due), or pending.
    private func admission(_ step: RateLimitLeases.Step, _ subject: String, _ policy: RateLimitPolicy) -> Admission {
        switch step {
        case .decided(let decision):
            return .decided(decision)
        case .renew(let decision, let count):
            self.renewLease(subject: subject, policy: policy, count: count)
            return .decided(decision)
        case .wait, .retry, .fetch:
            return .pending(PendingCheck(subject: subject, policy: policy, step: step))
        }
    }

    /// Asks Redis for a subject's next lease in a task of its own, which ends when Redis has
    /// answered or failed (``RedisPool`` bounds both); ``RateLimitLeases`` lets one request per
    /// subject be in flight, so there are never more such tasks than busy subjects. The task is
    /// kept until it ends, for ``waitForRenewals()``.
    private func renewLease(subject: String, policy: RateLimitPolicy, count: Int) {
        // Created and recorded under the lock, so the task's own removal always comes after.
        self.renewals.withLock { book in
            let number = book.started
            book.started += 1
            let task = Task {
                let grant = await self.lease(subject: subject, policy: policy, count: count)
                self.leases.renewed(subject: subject, policy: policy, grant: grant, now: .now)
                self.renewals.withLock { book in
                    if book.running[subject]?.number == number {
                        book.running[subject] = nil
                    }
                }
            }
            book.running[subject] = (number, task)
        }
    }

    /// Waits until every lease renewal started so far has ended; call before closing the Redis
    /// pool, so that none fails against a closed pool and reports Redis as down.
    package func waitForRenewals() async {
        while let task = self.renewals.withLock({ $0.running.values.first?.task }) {
            await task.value
        }
    }

    /// How many lease renewals were started, and how many are recorded as running, for tests.
    var renewalCounts: (started: Int, running: Int) {
        self.renewals.withLock { ($0.started, $0.running.count) }
    }

    /// The running lease renewals, one per subject at most.
    private struct Renewals {
        var started = 0
        var running: [String: (number: Int, task: Task<Void, Never>)] = [:]
    }

    /// Completes a request ``admit(subject:policy:)`` left pending.
    ///
    /// - Parameter pending: The pending request.
    package func finish(_ pending: PendingCheck) async -> RateLimitDecision {
        let (subject, policy) = (pending.subject, pending.policy)
        let clock = ContinuousClock()
        var step = pending.step
        while true {
            switch step {
            case .retry:
                // Also after waiting: the lease request waited for may have failed.
                if self.onFallback(now: clock.now) {
                    return self.local.check(subject: subject, policy: policy)
                }
                step = self.leases.next(subject: subject, policy: policy, now: clock.now)
            case .decided(let decision):
                return decision
            case .renew(let decision, let count):
                self.renewLease(subject: subject, policy: policy, count: count)
                return decision
            case .wait:
                step = await self.leases.waitForLease(subject: subject)
            case .fetch(let count):
                let grant = await self.lease(subject: subject, policy: policy, count: count)
                if let decision = self.leases.finish(subject: subject, policy: policy, grant: grant, now: clock.now) {
                    return decision
                }
                if grant == nil {
                    return self.local.check(subject: subject, policy: policy)
                }
                // The policy changed while Redis answered; ask again under the new one.
                step = .retry
            }
        }
    }

    /// Whether Redis is skipped for now; lets one caller through to probe it once the retry
    /// interval has passed.
    private func onFallback(now: ContinuousClock.Instant) -> Bool {
        guard self.fallingBack.load(ordering: .relaxed) else { return false }
        return self.nextRedisAttempt.withLock { next in
            guard let at = next else { return false }
            if now < at { return true }
            // One caller probes Redis; the others stay local until it answered.
            next = now + self.retryInterval
            return false
        }
    }

    /// Whether `error` from a Redis call means Redis is unusable. A cancelled call (its caller went
    /// away while it waited for a connection) and a pool whose connections all stayed busy for
    /// the acquire timeout (this instance is saturated; Redis answers the calls holding them) say
    /// nothing about Redis, so they do not switch the fallback on or report it degraded.
    static func isRedisFailure(_ error: any Error) -> Bool {
        if error is CancellationError {
            return false
        }
        if let redisError = error as? RedisError, redisError.code == .acquireTimeout {
            return false
        }
        return true
    }

    /// Takes up to `count` requests of `subject`'s allowance from Redis; `nil` when Redis fails
    /// (the fallback then switched on) or the call did not reach it (cancelled, or no connection
    /// became free: the fallback stays off).
    private func lease(subject: String, policy: RateLimitPolicy, count: Int) async -> RateLimitLeases.Grant? {
        let clock = ContinuousClock()
        do {
            let reply = try await self.redis.evaluate(
                Self.script, keys: [Self.keyPrefix + subject],
                arguments: [policy.requests, policy.windowMilliseconds, count])
            guard let values = reply.arrayValue?.compactMap(\.integerValue), values.count == 4 else {
                throw RedisError(code: .errorReply, message: "unexpected rate-limit script reply")
            }
            let recovered =
                self.fallingBack.load(ordering: .relaxed)
                && self.nextRedisAttempt.withLock { next in
                    defer {
                        next = nil
                        self.fallingBack.store(false, ordering: .relaxed)
                    }
                    return next != nil
                }
            if recovered {
                self.logger.info("Redis answers again; rate limits are shared across instances")
            }
            self.health.recovered()
            return RateLimitLeases.Grant(
                granted: Int(values[0]), remaining: Int(values[1]), resetMilliseconds: Int(values[2]),
                retryAfterMilliseconds: Int(values[3]))
        } catch {
            guard Self.isRedisFailure(error) else {
                // The call gave up, or the pool was busy: Redis itself did not fail, so the
                // limiter stays on Redis and this one request is decided locally.
                return nil
            }
            let retryAt = clock.now + self.retryInterval
            self.health.fellBack(until: retryAt)
            let firstFailure = self.nextRedisAttempt.withLock { next in
                defer {
                    next = retryAt
                    self.fallingBack.store(true, ordering: .relaxed)
                }
                return next == nil
            }
            if firstFailure {
                self.logger.warning(
                    "Redis failed; rate limits are counted per instance until it answers",
                    metadata: ["error": "\(error)"])
            }
            return nil
        }
    }
}
