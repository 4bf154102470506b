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
}
