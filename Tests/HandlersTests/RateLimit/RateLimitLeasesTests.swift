import Testing

@testable import Handlers

@Suite("Rate-limit leases")
struct RateLimitLeasesTests {
    private let start = ContinuousClock.now
    private let busy = RateLimitPolicy(requests: 100_000, windowMilliseconds: 60_000)

    private func grant(_ granted: Int, remaining: Int, retryAfter: Int = 0) -> RateLimitLeases.Grant {
        RateLimitLeases.Grant(
            granted: granted, remaining: remaining, resetMilliseconds: 1_000, retryAfterMilliseconds: retryAfter)
    }

    @Test("A lease is at most 1 % of the limit and the configured maximum, and at least one request")
    func cap() {
        let leases = RateLimitLeases(maximumLease: 500)
        #expect(leases.cap(for: RateLimitPolicy(requests: 100, windowMilliseconds: 60_000)) == 1)
        #expect(leases.cap(for: RateLimitPolicy(requests: 199, windowMilliseconds: 60_000)) == 1)
        #expect(leases.cap(for: RateLimitPolicy(requests: 10_000, windowMilliseconds: 60_000)) == 100)
        #expect(leases.cap(for: RateLimitPolicy(requests: 1_000_000_000, windowMilliseconds: 60_000)) == 500)
    }

    @Test("Under a small limit every request asks Redis")
    func smallLimitsAreExact() {
        let leases = RateLimitLeases()
        let policy = RateLimitPolicy(requests: 10, windowMilliseconds: 60_000)
        for index in 0..<5 {
            #expect(leases.next(subject: "s", policy: policy, now: self.start) == .fetch(count: 1))
            let decision = leases.finish(
                subject: "s", policy: policy, grant: self.grant(1, remaining: 9 - index), now: self.start)
            #expect(decision?.allowed == true)
            #expect(decision?.remaining == 9 - index)
        }
    }

    @Test("Leased requests are spent locally, counting down remaining, then the next lease is asked for")
    func spendsLease() {
        let leases = RateLimitLeases()
        #expect(leases.next(subject: "s", policy: self.busy, now: self.start) == .fetch(count: 1))
        let first = leases.finish(subject: "s", policy: self.busy, grant: self.grant(4, remaining: 50), now: self.start)
        #expect(first?.allowed == true)
        #expect(first?.remaining == 53)
        var remaining: [Int] = []
        for _ in 0..<3 {
            guard case .decided(let decision) = leases.next(subject: "s", policy: self.busy, now: self.start) else {
                Issue.record("a leased request asked Redis")
                return
            }
            #expect(decision.allowed)
            remaining.append(decision.remaining)
        }
        #expect(remaining == [52, 51, 50])
        guard case .fetch = leases.next(subject: "s", policy: self.busy, now: self.start) else {
            Issue.record("an exhausted lease did not ask Redis again")
            return
        }
    }

    @Test("The next lease covers the demand seen, up to the cap")
    func leaseFollowsDemand() {
        let leases = RateLimitLeases(maximumLease: 1000)
        let capped = RateLimitPolicy(requests: 1_000, windowMilliseconds: 60_000)
        for (subject, policy, expected) in [("s", self.busy, 32), ("t", capped, 10)] {
            #expect(leases.next(subject: subject, policy: policy, now: self.start) == .fetch(count: 1))
            for _ in 0..<30 {
                #expect(leases.next(subject: subject, policy: policy, now: self.start) == .wait)
            }
            _ = leases.finish(subject: subject, policy: policy, grant: self.grant(1, remaining: 0), now: self.start)
            #expect(leases.next(subject: subject, policy: policy, now: self.start) == .fetch(count: expected))
        }
    }

    @Test("Leased requests expire after the lease lifetime")
    func leaseExpires() {
        let leases = RateLimitLeases(leaseLifetime: .milliseconds(200))
        _ = leases.next(subject: "s", policy: self.busy, now: self.start)
        _ = leases.finish(subject: "s", policy: self.busy, grant: self.grant(10, remaining: 0), now: self.start)
        guard case .decided = leases.next(subject: "s", policy: self.busy, now: self.start + .milliseconds(199)) else {
            Issue.record("a lease within its lifetime was not spent")
            return
        }
        guard case .fetch = leases.next(subject: "s", policy: self.busy, now: self.start + .milliseconds(200)) else {
            Issue.record("an expired lease was spent")
            return
        }
    }

    @Test("A refusal is repeated locally until its retry time, then Redis is asked again")
    func refusalRemembered() {
        let leases = RateLimitLeases()
        _ = leases.next(subject: "s", policy: self.busy, now: self.start)
        let refused = leases.finish(
            subject: "s", policy: self.busy, grant: self.grant(0, remaining: 0, retryAfter: 500), now: self.start)
        #expect(refused?.allowed == false)
        #expect(refused?.retryAfterMilliseconds == 500)
        let step = leases.next(subject: "s", policy: self.busy, now: self.start + .milliseconds(300))
        guard case .decided(let local) = step else {
            Issue.record("a remembered refusal asked Redis: \(step)")
            return
        }
        #expect(!local.allowed)
        #expect(local.retryAfterMilliseconds == 200)
        guard case .fetch = leases.next(subject: "s", policy: self.busy, now: self.start + .milliseconds(500)) else {
            Issue.record("Redis was not asked after the retry time")
            return
        }
    }

    @Test("One lease request per subject is in flight; its tokens go to the waiting calls in order")
    func oneFetchInFlight() async throws {
        let leases = RateLimitLeases()
        let policy = self.busy
        let start = self.start
        #expect(leases.next(subject: "s", policy: policy, now: start) == .fetch(count: 1))
        #expect(leases.next(subject: "t", policy: policy, now: start) == .fetch(count: 1))
        let waiters = 3
        let steps = try await withThrowingTaskGroup(of: RateLimitLeases.Step.self) { group in
            for _ in 0..<waiters {
                #expect(leases.next(subject: "s", policy: policy, now: start) == .wait)
                group.addTask { await leases.waitForLease(subject: "s") }
            }
            // The three calls are queued once finish finds them; poll, as they enqueue themselves.
            try await Polling.until("the calls to wait", within: .seconds(10)) {
                leases.waitingCount(subject: "s") == waiters
            }
            let own = leases.finish(subject: "s", policy: policy, grant: self.grant(3, remaining: 10), now: start)
            #expect(own?.remaining == 12)
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let remaining = steps.compactMap { step -> Int? in
            if case .decided(let decision) = step, decision.allowed { return decision.remaining }
            return nil
        }
        #expect(remaining.sorted() == [10, 11], "two waiters got the two spare tokens")
        // Four calls asked in this demand interval, so the third waiter asks for four.
        #expect(steps.filter { $0 == .fetch(count: 4) }.count == 1, "the next waiter asks for the demand seen")
        #expect(steps.count == waiters)
        #expect(steps.filter { $0 == .wait }.isEmpty)
    }

    @Test("A refusal answers every waiting call; a failed request sends them back to start over")
    func refusalAndFailureReachWaiters() async throws {
        let leases = RateLimitLeases()
        let policy = self.busy
        let start = self.start
        for (grant, expected) in [
            (Optional(self.grant(0, remaining: 0, retryAfter: 700)), "refused"), (nil, "retry"),
        ] {
            let subject = expected
            #expect(leases.next(subject: subject, policy: policy, now: start) == .fetch(count: 1))
            #expect(leases.next(subject: subject, policy: policy, now: start) == .wait)
            async let waited = leases.waitForLease(subject: subject)
            try await Polling.until("the call to wait", within: .seconds(10)) {
                leases.waitingCount(subject: subject) == 1
            }
            _ = leases.finish(subject: subject, policy: policy, grant: grant, now: start)
            let step = await waited
            if grant == nil {
                #expect(step == .retry)
            } else {
                guard case .decided(let decision) = step else {
                    Issue.record("a waiter was not refused: \(step)")
                    continue
                }
                #expect(!decision.allowed)
                #expect(decision.retryAfterMilliseconds == 700)
            }
        }
    }

    @Test("A changed policy (a tenant's new limit) discards the lease and the remembered refusal")
    func policyChangeDiscardsLease() {
        let leases = RateLimitLeases()
        _ = leases.next(subject: "s", policy: self.busy, now: self.start)
        _ = leases.finish(subject: "s", policy: self.busy, grant: self.grant(10, remaining: 0), now: self.start)
        let raised = RateLimitPolicy(requests: 200_000, windowMilliseconds: 60_000)
        guard case .fetch = leases.next(subject: "s", policy: raised, now: self.start) else {
            Issue.record("a lease taken under the old policy was spent under the new one")
            return
        }
    }

    /// Takes a first lease of `granted` tokens for `subject` (one spent by the asking call).
    private func lease(_ leases: RateLimitLeases, _ subject: String, granted: Int, remaining: Int) {
        _ = leases.next(subject: subject, policy: self.busy, now: self.start)
        _ = leases.finish(
            subject: subject, policy: self.busy, grant: self.grant(granted, remaining: remaining), now: self.start)
    }

    @Test("A busy lease is renewed at half, once, and the calls behind it keep spending meanwhile")
    func renewsAtHalf() {
        let leases = RateLimitLeases()
        self.lease(leases, "s", granted: 16, remaining: 100)
        var steps: [RateLimitLeases.Step] = []
        for _ in 0..<15 {
            steps.append(leases.next(subject: "s", policy: self.busy, now: self.start))
        }
        let renewals = steps.indices.filter { if case .renew = steps[$0] { true } else { false } }
        // 15 tokens left after the asking call; the seventh spent leaves 8, half of 16.
        #expect(renewals == [6], "\(steps)")
        #expect(steps.allSatisfy { if case .fetch = $0 { false } else { $0 != .wait } })
        if case .renew(let decision, let count) = steps[6] {
            #expect(decision.allowed)
            #expect(decision.remaining == 108)
            #expect(count == 8, "the demand seen: eight calls so far")
        }
        // The lease is spent: the next call waits for the renewal in flight instead of asking again.
        #expect(leases.next(subject: "s", policy: self.busy, now: self.start) == .wait)
    }

    @Test("Tokens left when a renewal arrives join the new lease and live as long as it does")
    func renewalAddsToWhatIsLeft() {
        let leases = RateLimitLeases(leaseLifetime: .seconds(1))
        self.lease(leases, "s", granted: 10, remaining: 0)
        var renewed = false
        for _ in 0..<6 {
            if case .renew = leases.next(subject: "s", policy: self.busy, now: self.start) { renewed = true }
        }
        #expect(renewed)
        // Three tokens left; the renewal brings ten more, half a second later.
        let later = self.start + .milliseconds(500)
        leases.renewed(subject: "s", policy: self.busy, grant: self.grant(10, remaining: 40), now: later)
        var remaining: [Int] = []
        let beforeOldExpiry = self.start + .milliseconds(1_200)
        for _ in 0..<13 {
            switch leases.next(subject: "s", policy: self.busy, now: beforeOldExpiry) {
            case .decided(let decision), .renew(let decision, _): remaining.append(decision.remaining)
            case let other: Issue.record("a leased token was not spent: \(other)")
            }
        }
        #expect(remaining == Array((40..<53).reversed()))
        // Spent: the next call waits for the renewal the last ones asked for.
        #expect(leases.next(subject: "s", policy: self.busy, now: beforeOldExpiry) == .wait)
    }

    @Test("A refused renewal leaves the leased tokens to spend and asks no more until its retry time")
    func refusedRenewal() {
        let leases = RateLimitLeases()
        self.lease(leases, "s", granted: 10, remaining: 0)
        for _ in 0..<6 {
            _ = leases.next(subject: "s", policy: self.busy, now: self.start)
        }
        leases.renewed(
            subject: "s", policy: self.busy, grant: self.grant(0, remaining: 0, retryAfter: 400), now: self.start)
        for _ in 0..<3 {
            guard case .decided(let decision) = leases.next(subject: "s", policy: self.busy, now: self.start) else {
                Issue.record("a leased token was not spent, or a renewal was asked for before the retry time")
                return
            }
            #expect(decision.allowed)
        }
        let step = leases.next(subject: "s", policy: self.busy, now: self.start + .milliseconds(100))
        #expect(step == .fetch(count: 10), "with the lease spent the next call asks Redis itself")
    }

    @Test("Calls that ran out during a renewal get its tokens; a failed renewal sends them back to start over")
    func renewalReachesWaiters() async throws {
        let leases = RateLimitLeases()
        let policy = self.busy
        let start = self.start
        for (grant, subject) in [(Optional(self.grant(10, remaining: 5)), "granted"), (nil, "failed")] {
            self.lease(leases, subject, granted: 8, remaining: 0)
            for _ in 0..<7 {
                _ = leases.next(subject: subject, policy: policy, now: start)
            }
            #expect(leases.next(subject: subject, policy: policy, now: start) == .wait)
            async let waited = leases.waitForLease(subject: subject)
            try await Polling.until("the call to wait", within: .seconds(10)) {
                leases.waitingCount(subject: subject) == 1
            }
            leases.renewed(subject: subject, policy: policy, grant: grant, now: start)
            let step = await waited
            if grant == nil {
                #expect(step == .retry)
            } else if case .decided(let decision) = step {
                #expect(decision.allowed)
                #expect(decision.remaining == 14)
            } else {
                Issue.record("the waiting call did not get a renewed token: \(step)")
            }
        }
    }

    @Test("A caller's remembered entry spends the subject's lease; once pruned, the subject is looked up afresh")
    func rememberedEntry() {
        let leases = RateLimitLeases(leaseLifetime: .milliseconds(100))
        let slot = RememberedLeaseEntry()
        #expect(leases.next(subject: "s", policy: self.busy, now: self.start, rememberingIn: slot) == .fetch(count: 1))
        #expect(slot.load() != nil)
        _ = leases.finish(subject: "s", policy: self.busy, grant: self.grant(4, remaining: 10), now: self.start)
        for expected in [12, 11] {
            let step = leases.next(subject: "s", policy: self.busy, now: self.start, rememberingIn: slot)
            guard case .decided(let decision) = step else {
                Issue.record("the remembered entry did not spend the lease: \(step)")
                return
            }
            #expect(decision.remaining == expected)
        }
        // Looked up by name, the subject is the same entry.
        guard case .decided(let byName) = leases.next(subject: "s", policy: self.busy, now: self.start) else {
            Issue.record("the subject's lease was not found by name")
            return
        }
        #expect(byName.remaining == 10)

        // Its lease expired, the subject is idle: 10,000 other subjects make the book prune it.
        let later = self.start + .seconds(1)
        for index in 0..<10_000 {
            _ = leases.next(subject: "other \(index)", policy: self.busy, now: later)
        }
        #expect(leases.subjectCount == 10_000)
        // The remembered entry is retired: the call starts a new one (its first lease is one
        // request, where the old entry's demand would have asked for four).
        #expect(leases.next(subject: "s", policy: self.busy, now: later, rememberingIn: slot) == .fetch(count: 1))
        #expect(leases.subjectCount == 10_001)
    }
}
