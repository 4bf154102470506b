internal import Synchronization

/// This instance's shares of the allowances kept in Redis: instead of one Redis call per
/// request, a busy subject takes several requests' worth of its allowance at once (a lease) and
/// spends it locally.
///
/// Redis charges a lease in full when it is granted, so instances sharing Redis never admit more
/// than the limit together; the price is that tokens an instance leased but did not use before
/// the lease expired are lost, so a subject spread over several instances may be refused up to
/// `(instances − 1) × lease` requests early. A lease is at most 1 % of the limit (and at most
/// ``maximumLease``), so limits below 200 requests per window stay exact: every request asks
/// Redis. Its size follows demand: one token for a subject that asks rarely, up to the cap for one
/// that asked that many times in the last ``demandInterval`` or has that many calls waiting.
///
/// A refusal from Redis is remembered until its retry time: no token can appear earlier on any
/// instance, so refusing locally until then is exact and keeps a flood of refused calls off
/// Redis. Only one lease request per subject is in flight; other calls for that subject wait for
/// its answer, which hands the granted tokens to them in order and makes the first one left over
/// the next to ask.
final class RateLimitLeases: Sendable {
    /// What ``RateLimiter`` does next for one request.
    enum Step: Equatable {
        /// Answered locally.
        case decided(RateLimitDecision)
        /// Another call is asking Redis for this subject; ``waitForLease(subject:)`` says what next.
        case wait
        /// Start over with ``next(subject:policy:now:)`` (the lease request waited for failed).
        case retry
        /// Ask Redis for up to `count` tokens, then report with ``finish(subject:policy:grant:now:)``.
        case fetch(count: Int)
    }

    /// Redis' answer to a lease request.
    struct Grant: Equatable {
        /// Tokens granted, 0 when refused.
        var granted: Int
        /// Requests still allowed after the grant.
        var remaining: Int
        /// Milliseconds until the allowance is full again.
        var resetMilliseconds: Int
        /// Milliseconds until a refused request may be retried; 0 when granted.
        var retryAfterMilliseconds: Int
    }

    private struct Subject {
        var policy: RateLimitPolicy
        var tokens = 0
        var leaseExpiresAt: ContinuousClock.Instant
        var remainingAfterGrant = 0
        var fullAt: ContinuousClock.Instant
        var refusedUntil: ContinuousClock.Instant?
        var fetching = false
        var waiters: [CheckedContinuation<Step, Never>] = []
        var demandSince: ContinuousClock.Instant
        var demand = 0
        var previousDemand = 0

        init(policy: RateLimitPolicy, now: ContinuousClock.Instant) {
            self.policy = policy
            self.leaseExpiresAt = now
            self.fullAt = now
            self.demandSince = now
        }

        var isIdle: Bool { !self.fetching && self.waiters.isEmpty }
    }

    private struct State {
        var subjects: [String: Subject] = [:]
        var pruneAt = RateLimitLeases.pruneThreshold
    }

    private static let pruneThreshold = 10_000

    /// How long leased tokens may be spent.
    let leaseLifetime: Duration
    /// The most tokens one lease takes.
    let maximumLease: Int
    /// The period over which demand is counted to size the next lease.
    let demandInterval: Duration
    private let state = Mutex(State())

    /// Creates an empty book.
    ///
    /// - Parameters:
    ///   - leaseLifetime: How long leased tokens may be spent (1 s unless given).
    ///   - maximumLease: The most tokens one lease takes (1000 unless given).
    ///   - demandInterval: The period over which demand is counted (100 ms unless given).
    init(leaseLifetime: Duration = .seconds(1), maximumLease: Int = 1000, demandInterval: Duration = .milliseconds(100))
    {
        self.leaseLifetime = leaseLifetime
        self.maximumLease = max(1, maximumLease)
        self.demandInterval = demandInterval
    }

    /// How many subjects are tracked, for tests.
    var subjectCount: Int { self.state.withLock { $0.subjects.count } }

    /// How many calls wait for the lease request in flight for `subject`, for tests.
    ///
    /// - Parameter subject: Whose allowance.
    func waitingCount(subject: String) -> Int {
        self.state.withLock { $0.subjects[subject]?.waiters.count ?? 0 }
    }

    /// The largest lease for `policy`: 1 % of the limit, at least 1, at most ``maximumLease``.
    ///
    /// - Parameter policy: The limit.
    func cap(for policy: RateLimitPolicy) -> Int {
        min(self.maximumLease, max(1, policy.requests / 100))
    }

    /// Spends a leased token, refuses from a remembered refusal, or says what to do instead.
    ///
    /// - Parameters:
    ///   - subject: Whose allowance.
    ///   - policy: The limit; a different policy than the lease's discards the lease.
    ///   - now: The current time.
    func next(subject: String, policy: RateLimitPolicy, now: ContinuousClock.Instant) -> Step {
        self.state.withLock { state in
            if state.subjects.count >= state.pruneAt {
                state.subjects = state.subjects.filter { _, entry in
                    !entry.isIdle || entry.leaseExpiresAt > now || (entry.refusedUntil.map { $0 > now } ?? false)
                }
                state.pruneAt = max(Self.pruneThreshold, state.subjects.count * 2)
            }
            // One lookup, and the entry is changed where it is stored.
            return self.step(
                &state.subjects[subject, default: Subject(policy: policy, now: now)], policy: policy, now: now)
        }
    }

    /// One request's step for a subject's entry, changed in place.
    private func step(_ entry: inout Subject, policy: RateLimitPolicy, now: ContinuousClock.Instant) -> Step {
        if entry.policy != policy {
            entry.policy = policy
            entry.tokens = 0
            entry.refusedUntil = nil
        }
        if entry.demandSince.duration(to: now) >= self.demandInterval {
            entry.previousDemand = entry.demand
            entry.demand = 0
            entry.demandSince = now
        }
        entry.demand += 1
        if let until = entry.refusedUntil {
            if now < until {
                return .decided(Self.refusal(entry, until: until, now: now))
            }
            entry.refusedUntil = nil
        }
        if entry.tokens > 0, now < entry.leaseExpiresAt {
            entry.tokens -= 1
            return .decided(Self.admission(entry, now: now))
        }
        entry.tokens = 0
        if entry.fetching {
            return .wait
        }
        entry.fetching = true
        return .fetch(count: self.leaseSize(for: entry))
    }

    /// Suspends until the lease request in flight for `subject` has been answered (at once, with
    /// ``Step/retry``, when none is), and says what this call does next.
    ///
    /// - Parameter subject: Whose allowance.
    func waitForLease(subject: String) async -> Step {
        await withCheckedContinuation { (continuation: CheckedContinuation<Step, Never>) in
            let waiting = self.state.withLock { state in
                guard state.subjects[subject]?.fetching == true else { return false }
                state.subjects[subject]?.waiters.append(continuation)
                return true
            }
            if !waiting {
                continuation.resume(returning: .retry)
            }
        }
    }

    /// Records Redis' answer to a lease request: one token for the call that asked, the next
    /// ones for the waiting calls in order, the rest kept as the lease. When calls are still
    /// waiting after the tokens ran out, the first of them asks Redis next.
    ///
    /// - Parameters:
    ///   - subject: Whose allowance.
    ///   - policy: The limit the lease was asked under.
    ///   - grant: Redis' answer; `nil` when Redis failed (nothing is leased).
    ///   - now: The current time.
    /// - Returns: The decision for the call that asked; `nil` when Redis failed or the policy
    ///   changed meanwhile.
    func finish(subject: String, policy: RateLimitPolicy, grant: Grant?, now: ContinuousClock.Instant)
        -> RateLimitDecision?
    {
        typealias Resumption = (CheckedContinuation<Step, Never>, Step)
        let (decision, resumptions) = self.state.withLock { state -> (RateLimitDecision?, [Resumption]) in
            var entry = state.subjects[subject] ?? Subject(policy: policy, now: now)
            defer { state.subjects[subject] = entry }
            entry.fetching = false
            guard let grant, entry.policy == policy else {
                defer { entry.waiters = [] }
                return (nil, entry.waiters.map { ($0, .retry) })
            }
            entry.fullAt = now + .milliseconds(grant.resetMilliseconds)
            entry.remainingAfterGrant = grant.remaining
            guard grant.granted > 0 else {
                let until = now + .milliseconds(max(1, grant.retryAfterMilliseconds))
                entry.refusedUntil = until
                entry.tokens = 0
                let refusal = Self.refusal(entry, until: until, now: now)
                defer { entry.waiters = [] }
                return (refusal, entry.waiters.map { ($0, .decided(refusal)) })
            }
            entry.tokens = grant.granted - 1
            entry.leaseExpiresAt = now + self.leaseLifetime
            let own = Self.admission(entry, now: now)
            var resumptions: [Resumption] = []
            let served = min(entry.tokens, entry.waiters.count)
            for waiter in entry.waiters.prefix(served) {
                entry.tokens -= 1
                resumptions.append((waiter, .decided(Self.admission(entry, now: now))))
            }
            entry.waiters.removeFirst(served)
            if !entry.waiters.isEmpty {
                entry.fetching = true
                let next = entry.waiters.removeFirst()
                resumptions.append((next, .fetch(count: self.leaseSize(for: entry))))
            }
            return (own, resumptions)
        }
        for (waiter, step) in resumptions {
            waiter.resume(returning: step)
        }
        return decision
    }

    /// The next lease for a subject: the demand seen (this or the last interval, or the calls
    /// waiting plus the one asking), within ``cap(for:)``.
    private func leaseSize(for entry: Subject) -> Int {
        min(self.cap(for: entry.policy), max(entry.demand, entry.previousDemand, entry.waiters.count + 1))
    }

    private static func admission(_ entry: Subject, now: ContinuousClock.Instant) -> RateLimitDecision {
        RateLimitDecision(
            allowed: true, limit: entry.policy.requests, remaining: entry.remainingAfterGrant + entry.tokens,
            resetMilliseconds: milliseconds(from: now, to: entry.fullAt), retryAfterMilliseconds: 0)
    }

    private static func refusal(_ entry: Subject, until: ContinuousClock.Instant, now: ContinuousClock.Instant)
        -> RateLimitDecision
    {
        RateLimitDecision(
            allowed: false, limit: entry.policy.requests, remaining: 0,
            resetMilliseconds: milliseconds(from: now, to: entry.fullAt),
            retryAfterMilliseconds: max(1, milliseconds(from: now, to: until)))
    }

    private static func milliseconds(from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) -> Int {
        guard start < end else { return 0 }
        let (seconds, attoseconds) = start.duration(to: end).components
        return Int(seconds) * 1000 + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
