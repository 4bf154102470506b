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
///
/// A busy subject's lease is renewed before it runs out: once a lease of at least
/// ``renewalMinimum`` tokens is down to half, the call that spent the token is admitted with
/// ``Step/renew(_:count:)`` and ``RateLimiter`` asks Redis for the next lease in the background
/// (``renewed(subject:policy:grant:now:)``), so the calls behind it keep spending instead of
/// waiting for Redis. The tokens left over join the new lease and live as long as it does; they
/// were charged in Redis when they were leased, so nothing is admitted that Redis did not count.
///
/// Calls that need no decision details (all but REST's, whose responses carry
/// `ratelimit-remaining`) mostly spend from a *quick share*: up to ``quickShare`` tokens of a
/// renewable lease set aside in the entry, each taken with one atomic decrement instead of the
/// entry's lock (``takeQuickToken(policy:elapsed:rememberedIn:)``). The share is taken only from
/// the tokens above the renewal point, so renewals start when they did; it lives as long as the
/// lease, is counted in `remaining` and as demand, and a changed policy or pruning empties it.
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
        /// Admitted from the lease, which is running low: ask Redis for up to `count` more tokens
        /// without making this call wait, then report with ``renewed(subject:policy:grant:now:)``.
        case renew(RateLimitDecision, count: Int)
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

    fileprivate struct Subject {
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
        /// The size of the last lease granted, which sets when the next one is asked for early.
        var lastGrant = 0
        /// Until when no renewal is asked for: Redis refused one while tokens were left.
        var renewalRefusedUntil: ContinuousClock.Instant?
        /// Pruned from the book: callers that remember the entry look the subject up again.
        var retired = false

        init(policy: RateLimitPolicy, now: ContinuousClock.Instant) {
            self.policy = policy
            self.leaseExpiresAt = now
            self.fullAt = now
            self.demandSince = now
        }

        var isIdle: Bool { !self.fetching && self.waiters.isEmpty }
    }

    /// One subject's lease state behind a lock of its own, so that a caller remembering it
    /// (``next(subject:policy:now:rememberingIn:)``) spends a token without the book's lock and
    /// without looking its name up.
    final class Entry: Sendable {
        /// The book's identity, held strongly so it is never reused while the entry exists.
        fileprivate let book: Identity
        fileprivate let state: Mutex<Subject>
        /// Tokens of the quick share. Only the holder of `state`'s lock adds to it (and only
        /// when it is empty); anyone may take one with a compare-and-exchange.
        fileprivate let quickTokens = Atomic<Int>(0)
        /// Until when the quick share may be spent, in nanoseconds after the book's origin:
        /// its lease's expiry.
        fileprivate let quickUntil = Atomic<Int64>(0)
        /// The policy the quick share was leased under (``RateLimitLeases/policyKey(_:)``).
        fileprivate let quickPolicy = Atomic<Int>(0)

        fileprivate init(book: Identity, subject: Subject) {
            self.book = book
            self.state = Mutex(subject)
        }

        /// Takes one token of the quick share, if it has one for `policyKey` before `elapsed`.
        fileprivate func takeQuickToken(policyKey: Int, elapsed: Int64) -> Bool {
            // Acquiring: the policy and deadline stored before the tokens are seen with them.
            var tokens = self.quickTokens.load(ordering: .acquiring)
            guard tokens > 0, self.quickPolicy.load(ordering: .relaxed) == policyKey,
                elapsed < self.quickUntil.load(ordering: .relaxed)
            else { return false }
            while tokens > 0 {
                let (exchanged, current) = self.quickTokens.compareExchange(
                    expected: tokens, desired: tokens - 1, ordering: .relaxed)
                if exchanged { return true }
                tokens = current
            }
            return false
        }
    }

    /// Tells one book's entries from another's.
    fileprivate final class Identity: Sendable {}

    private struct State {
        var subjects: [String: Entry] = [:]
        var pruneAt = RateLimitLeases.pruneThreshold
    }

    /// A waiting call and the step it resumes with.
    private typealias Resumption = (CheckedContinuation<Step, Never>, Step)

    private static let pruneThreshold = 10_000

    /// The smallest lease renewed before it runs out; smaller ones belong to subjects that ask
    /// rarely, for which the next call may as well ask Redis itself.
    static let renewalMinimum = 8

    /// The most tokens set aside at once as an entry's quick share.
    static let quickShare = 64

    /// How long leased tokens may be spent.
    let leaseLifetime: Duration
    /// The instant quick-share deadlines count from, in nanoseconds.
    let origin: ContinuousClock.Instant
    /// The most tokens one lease takes.
    let maximumLease: Int
    /// The period over which demand is counted to size the next lease.
    let demandInterval: Duration
    private let state = Mutex(State())
    private let identity = Identity()

    /// Creates an empty book.
    ///
    /// - Parameters:
    ///   - leaseLifetime: How long leased tokens may be spent (1 s unless given).
    ///   - maximumLease: The most tokens one lease takes (10,000 unless given).
    ///   - demandInterval: The period over which demand is counted (100 ms unless given).
    ///   - origin: The instant the `elapsed` times of ``takeQuickToken(policy:elapsed:rememberedIn:)``
    ///     count from (now unless given).
    init(
        leaseLifetime: Duration = .seconds(1), maximumLease: Int = 10_000,
        demandInterval: Duration = .milliseconds(100),
        origin: ContinuousClock.Instant = .now
    ) {
        self.leaseLifetime = leaseLifetime
        self.origin = origin
        self.maximumLease = max(1, maximumLease)
        self.demandInterval = demandInterval
    }

    /// How many subjects are tracked, for tests.
    var subjectCount: Int { self.state.withLock { $0.subjects.count } }

    /// The tokens in `subject`'s quick share, for tests.
    ///
    /// - Parameter subject: Whose allowance.
    func quickTokenCount(subject: String) -> Int {
        self.existingEntry(subject)?.quickTokens.load(ordering: .relaxed) ?? 0
    }

    /// The refusal Redis gave `subject` last, while it still stands: no request of `subject` can
    /// be admitted before its retry time on any instance.
    ///
    /// - Parameters:
    ///   - subject: Whose allowance.
    ///   - now: The current time.
    func standingRefusal(subject: String, now: ContinuousClock.Instant) -> RateLimitDecision? {
        self.existingEntry(subject)?.state.withLock { entry in
            guard let until = entry.refusedUntil, now < until else { return nil }
            return Self.refusal(entry, until: until, now: now)
        }
    }

    /// How many calls wait for the lease request in flight for `subject`, for tests.
    ///
    /// - Parameter subject: Whose allowance.
    func waitingCount(subject: String) -> Int {
        self.existingEntry(subject)?.state.withLock { $0.waiters.count } ?? 0
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
        while true {
            if let step = self.step(in: self.entry(subject, policy: policy, now: now), policy: policy, now: now) {
                return step
            }
        }
    }

    /// ``next(subject:policy:now:)`` for a caller that keeps `slot` for this subject: the entry
    /// found is remembered there, and the next calls use it directly.
    ///
    /// - Parameters:
    ///   - subject: Whose allowance.
    ///   - policy: The limit; a different policy than the lease's discards the lease.
    ///   - now: The current time.
    ///   - slot: Where the caller keeps this subject's entry; the first book to fill it owns it.
    ///   - quick: Whether this caller spends from the quick share
    ///     (``takeQuickToken(policy:elapsed:rememberedIn:)``), so admitting it refills the share.
    func next(
        subject: String, policy: RateLimitPolicy, now: ContinuousClock.Instant,
        rememberingIn slot: borrowing RememberedLeaseEntry, quick: Bool = false
    ) -> Step {
        if let entry = slot.load(), entry.book === self.identity,
            let step = self.step(in: entry, policy: policy, now: now, quick: quick)
        {
            return step
        }
        while true {
            let entry = self.entry(subject, policy: policy, now: now)
            slot.storeIfNil(entry)
            if let step = self.step(in: entry, policy: policy, now: now, quick: quick) {
                return step
            }
        }
    }

    /// Spends a token of the quick share of the entry `slot` remembers, with atomic operations
    /// only. `false` when there is none to spend (no entry remembered yet, the share empty,
    /// expired or leased under another policy): ``next(subject:policy:now:rememberingIn:quick:)``
    /// decides then.
    ///
    /// - Parameters:
    ///   - policy: The limit.
    ///   - elapsed: Nanoseconds from ``origin`` to now.
    ///   - slot: Where the caller keeps the subject's entry.
    func takeQuickToken(
        policy: RateLimitPolicy, elapsed: Int64, rememberedIn slot: borrowing RememberedLeaseEntry
    ) -> Bool {
        guard let entry = slot.load(), entry.book === self.identity else { return false }
        return entry.takeQuickToken(policyKey: Self.policyKey(policy), elapsed: elapsed)
    }

    /// A policy as one integer, for the quick share's lock-free check: requests (at most 10⁹)
    /// in the high half, the window's milliseconds (at most 8.64 × 10⁷) in the low half.
    private static func policyKey(_ policy: RateLimitPolicy) -> Int {
        policy.requests << 32 | policy.windowMilliseconds
    }

    /// Nanoseconds from ``origin`` to `instant`.
    private func elapsedNanoseconds(at instant: ContinuousClock.Instant) -> Int64 {
        let (seconds, attoseconds) = self.origin.duration(to: instant).components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// A request's step under the entry's lock; `nil` when the entry was pruned meanwhile.
    private func step(in entry: Entry, policy: RateLimitPolicy, now: ContinuousClock.Instant, quick: Bool = false)
        -> Step?
    {
        entry.state.withLock { subject in
            subject.retired ? nil : self.step(&subject, of: entry, policy: policy, now: now, quick: quick)
        }
    }

    /// Sets up to ``quickShare`` tokens above the renewal point aside as the entry's quick
    /// share, when it is empty; under the entry's lock.
    private func refillQuickShare(_ subject: inout Subject, of entry: Entry, policy: RateLimitPolicy) {
        guard subject.lastGrant >= Self.renewalMinimum, entry.quickTokens.load(ordering: .relaxed) == 0 else {
            return
        }
        // One above the renewal point stays: the locked call that spends it starts the renewal,
        // as it would have without a share.
        let share = min(Self.quickShare, subject.tokens - subject.lastGrant / 2 - 1)
        guard share > 0 else { return }
        subject.tokens -= share
        subject.demand += share
        entry.quickPolicy.store(Self.policyKey(policy), ordering: .relaxed)
        entry.quickUntil.store(self.elapsedNanoseconds(at: subject.leaseExpiresAt), ordering: .relaxed)
        // Releasing: whoever sees the tokens sees the policy and deadline stored above.
        entry.quickTokens.store(share, ordering: .releasing)
    }

    /// The subject's entry, created when missing; idle entries are pruned (and retired) once
    /// the book has grown past its threshold.
    private func entry(_ subject: String, policy: RateLimitPolicy, now: ContinuousClock.Instant) -> Entry {
        self.state.withLock { state in
            if let entry = state.subjects[subject] {
                return entry
            }
            if state.subjects.count >= state.pruneAt {
                state.subjects = state.subjects.filter { _, entry in
                    entry.state.withLock { subject in
                        let keep =
                            !subject.isIdle || subject.leaseExpiresAt > now
                            || (subject.refusedUntil.map { $0 > now } ?? false)
                        subject.retired = !keep
                        if !keep {
                            entry.quickTokens.store(0, ordering: .relaxed)
                        }
                        return keep
                    }
                }
                state.pruneAt = max(Self.pruneThreshold, state.subjects.count * 2)
            }
            let entry = Entry(book: self.identity, subject: Subject(policy: policy, now: now))
            state.subjects[subject] = entry
            return entry
        }
    }

    /// The subject's entry, if the book has one.
    private func existingEntry(_ subject: String) -> Entry? {
        self.state.withLock { $0.subjects[subject] }
    }

    /// One request's step for a subject's entry, changed in place.
    private func step(
        _ entry: inout Subject, of stored: Entry, policy: RateLimitPolicy, now: ContinuousClock.Instant, quick: Bool
    ) -> Step {
        if entry.policy != policy {
            entry.policy = policy
            entry.tokens = 0
            entry.refusedUntil = nil
            stored.quickTokens.store(0, ordering: .relaxed)
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
            if self.shouldRenew(entry, now: now) {
                entry.fetching = true
                return .renew(Self.admission(entry, now: now, quickShare: stored), count: self.leaseSize(for: entry))
            }
            if quick {
                self.refillQuickShare(&entry, of: stored, policy: policy)
            }
            return .decided(Self.admission(entry, now: now, quickShare: stored))
        }
        // The lease's own tokens are spent; its quick share may still have some.
        if now < entry.leaseExpiresAt,
            stored.takeQuickToken(policyKey: Self.policyKey(policy), elapsed: self.elapsedNanoseconds(at: now))
        {
            return .decided(Self.admission(entry, now: now, quickShare: stored))
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
            let waiting =
                self.existingEntry(subject)?.state.withLock { entry in
                    guard entry.fetching else { return false }
                    entry.waiters.append(continuation)
                    return true
                } ?? false
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
        let stored = self.entry(subject, policy: policy, now: now)
        let (decision, resumptions) = stored.state.withLock { entry in
            self.record(grant, policy: policy, now: now, in: &entry, of: stored, renewal: false)
        }
        Self.resume(resumptions)
        return decision
    }

    /// Records Redis' answer to a renewal (``Step/renew(_:count:)``): the granted tokens join
    /// the ones left, all living as long as the new lease; calls that ran out meanwhile and wait
    /// get them in order. A refusal leaves the remaining tokens to be spent and asks for no
    /// renewal until its retry time; a failure (`nil`) sends the waiting calls back to start over.
    ///
    /// - Parameters:
    ///   - subject: Whose allowance.
    ///   - policy: The limit the renewal was asked under.
    ///   - grant: Redis' answer; `nil` when Redis failed.
    ///   - now: The current time.
    func renewed(subject: String, policy: RateLimitPolicy, grant: Grant?, now: ContinuousClock.Instant) {
        guard let stored = self.existingEntry(subject) else { return }
        let (_, resumptions) = stored.state.withLock { entry in
            self.record(grant, policy: policy, now: now, in: &entry, of: stored, renewal: true)
        }
        Self.resume(resumptions)
    }

    /// Records Redis' answer to a lease request (one token goes to the call that asked, whose
    /// decision is returned) or to a renewal (the tokens join those left while the lease lasts;
    /// a refusal with tokens left only holds back renewals until its retry time), and says which
    /// waiting calls resume with what.
    private func record(
        _ grant: Grant?, policy: RateLimitPolicy, now: ContinuousClock.Instant, in entry: inout Subject,
        of stored: Entry, renewal: Bool
    ) -> (RateLimitDecision?, [Resumption]) {
        entry.fetching = false
        guard let grant, entry.policy == policy else {
            return (nil, Self.releaseWaiters(&entry, with: .retry))
        }
        entry.fullAt = now + .milliseconds(grant.resetMilliseconds)
        entry.remainingAfterGrant = grant.remaining
        let leaseLeft = renewal && entry.tokens > 0 && now < entry.leaseExpiresAt
        guard grant.granted > 0 else {
            let until = now + .milliseconds(max(1, grant.retryAfterMilliseconds))
            if renewal {
                entry.renewalRefusedUntil = until
            }
            if leaseLeft {
                return (nil, self.serveWaiters(&entry, now: now))
            }
            // Nothing left to spend: every call is refused until the retry time.
            entry.tokens = 0
            entry.refusedUntil = until
            let refusal = Self.refusal(entry, until: until, now: now)
            return (refusal, Self.releaseWaiters(&entry, with: .decided(refusal)))
        }
        let quickShareLeft = renewal && now < entry.leaseExpiresAt
        entry.tokens = (leaseLeft ? entry.tokens : 0) + grant.granted
        entry.lastGrant = grant.granted
        entry.leaseExpiresAt = now + self.leaseLifetime
        if quickShareLeft {
            // The quick share is part of the lease renewed: it lives as long as the new one.
            stored.quickUntil.store(self.elapsedNanoseconds(at: entry.leaseExpiresAt), ordering: .relaxed)
        }
        var own: RateLimitDecision?
        if !renewal {
            entry.tokens -= 1
            own = Self.admission(entry, now: now)
        }
        return (own, self.serveWaiters(&entry, now: now))
    }

    /// Every waiting call, to resume with `step`; none waits afterwards.
    private static func releaseWaiters(_ entry: inout Subject, with step: Step) -> [Resumption] {
        defer { entry.waiters = [] }
        return entry.waiters.map { ($0, step) }
    }

    /// Resumes waiting calls, outside the entry's lock.
    private static func resume(_ resumptions: [Resumption]) {
        for (waiter, step) in resumptions {
            waiter.resume(returning: step)
        }
    }

    /// Hands spare tokens to the waiting calls in order; when calls still wait after the tokens
    /// ran out, the first of them asks Redis next.
    private func serveWaiters(_ entry: inout Subject, now: ContinuousClock.Instant)
        -> [Resumption]
    {
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
        return resumptions
    }

    /// Whether a subject's lease is low enough to be renewed in the background now.
    private func shouldRenew(_ entry: Subject, now: ContinuousClock.Instant) -> Bool {
        guard !entry.fetching, entry.lastGrant >= Self.renewalMinimum, entry.tokens <= entry.lastGrant / 2 else {
            return false
        }
        if let until = entry.renewalRefusedUntil, now < until {
            return false
        }
        return true
    }

    /// The next lease for a subject: the demand seen (this or the last interval, or the calls
    /// waiting plus the one asking), within ``cap(for:)``.
    private func leaseSize(for entry: Subject) -> Int {
        min(self.cap(for: entry.policy), max(entry.demand, entry.previousDemand, entry.waiters.count + 1))
    }

    /// An admission; `remaining` counts the entry's quick share when given.
    private static func admission(_ entry: Subject, now: ContinuousClock.Instant, quickShare stored: Entry? = nil)
        -> RateLimitDecision
    {
        let quick = stored?.quickTokens.load(ordering: .relaxed) ?? 0
        return RateLimitDecision(
            allowed: true, limit: entry.policy.requests, remaining: entry.remainingAfterGrant + entry.tokens + quick,
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

    /// Whole milliseconds from `start` to `end`, rounded up; 0 when `end` is not later. In
    /// floating point, which every admission pays for: `Duration.components` divides a 128-bit
    /// integer, and a double is exact to far below a millisecond over a rate-limit window.
    private static func milliseconds(from start: ContinuousClock.Instant, to end: ContinuousClock.Instant) -> Int {
        guard start < end else { return 0 }
        return Int((start.duration(to: end) / .milliseconds(1)).rounded(.up))
    }
}
