import Synchronization
import Testing

@testable import Handlers

@Suite("Rate-limit leases: the quick share")
struct RateLimitQuickShareTests {
    private let start = ContinuousClock.now
    private let busy = RateLimitPolicy(requests: 100_000, windowMilliseconds: 60_000)

    private func grant(_ granted: Int, remaining: Int) -> RateLimitLeases.Grant {
        RateLimitLeases.Grant(
            granted: granted, remaining: remaining, resetMilliseconds: 1_000, retryAfterMilliseconds: 0)
    }

    /// Nanoseconds from the book's origin (`start`) to `offset` later.
    private func elapsed(_ offset: Duration) -> Int64 {
        let (seconds, attoseconds) = offset.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// A book whose lease for "s" holds `granted` tokens, remembered in `slot`, after one call
    /// admitted with `quick` (which sets the quick share aside when it may).
    private func leased(
        _ granted: Int, remaining: Int, slot: borrowing RememberedLeaseEntry, lifetime: Duration = .seconds(1)
    ) -> RateLimitLeases {
        let leases = RateLimitLeases(leaseLifetime: lifetime, origin: self.start)
        _ = leases.next(subject: "s", policy: self.busy, now: self.start, rememberingIn: slot, quick: true)
        _ = leases.finish(
            subject: "s", policy: self.busy, grant: self.grant(granted, remaining: remaining), now: self.start)
        return leases
    }

    /// A book whose 100 ms lease of 200 tokens for "s" has its quick share set aside.
    private func withQuickShare(slot: borrowing RememberedLeaseEntry) -> RateLimitLeases {
        let leases = self.leased(200, remaining: 1_000, slot: slot, lifetime: .milliseconds(100))
        _ = leases.next(subject: "s", policy: self.busy, now: self.start, rememberingIn: slot, quick: true)
        #expect(leases.quickTokenCount(subject: "s") == RateLimitLeases.quickShare)
        return leases
    }

    @Test("A quick caller's admission sets tokens above the renewal point aside; they are spent without the lock")
    func quickShareIsSetAsideAndSpent() {
        let slot = RememberedLeaseEntry()
        let leases = self.leased(200, remaining: 1_000, slot: slot)
        // 199 tokens left. No share yet: the quick path cannot decide.
        let withoutShare = leases.takeQuickToken(policy: self.busy, elapsed: 0, rememberedIn: slot)
        #expect(!withoutShare)
        guard
            case .decided(let decision) = leases.next(
                subject: "s", policy: self.busy, now: self.start, rememberingIn: slot, quick: true)
        else {
            Issue.record("a leased token was not spent")
            return
        }
        // 198 left: 64 of them (of the 97 above the renewal point) go to the quick share, and
        // remaining still counts them.
        #expect(leases.quickTokenCount(subject: "s") == RateLimitLeases.quickShare)
        #expect(decision.remaining == 1_198)
        var quick = 0
        while leases.takeQuickToken(policy: self.busy, elapsed: 0, rememberedIn: slot) {
            quick += 1
        }
        #expect(quick == RateLimitLeases.quickShare)
        guard case .decided(let after) = leases.next(subject: "s", policy: self.busy, now: self.start) else {
            Issue.record("the lease's own tokens were not spent after the quick share")
            return
        }
        #expect(after.remaining == 1_198 - RateLimitLeases.quickShare - 1)
    }

    @Test("Callers that need details never set a quick share aside")
    func detailedCallersDoNotRefill() {
        let slot = RememberedLeaseEntry()
        let leases = self.leased(200, remaining: 1_000, slot: slot)
        for _ in 0..<10 {
            _ = leases.next(subject: "s", policy: self.busy, now: self.start, rememberingIn: slot, quick: false)
        }
        #expect(leases.quickTokenCount(subject: "s") == 0)
    }

    @Test("The share never goes below the renewal point, so the renewal starts when it would have")
    func renewalStillAtHalf() {
        let slot = RememberedLeaseEntry()
        let leases = self.leased(100, remaining: 1_000, slot: slot)
        var locked = 0
        var renewalAt: Int?
        for call in 0..<99 {
            if leases.takeQuickToken(policy: self.busy, elapsed: 0, rememberedIn: slot) { continue }
            locked += 1
            let step = leases.next(subject: "s", policy: self.busy, now: self.start, rememberingIn: slot, quick: true)
            if case .renew = step {
                renewalAt = call
                break
            }
        }
        // 99 tokens after the asking call; the 49th call spends the one that leaves 50, half of
        // the lease, whichever way the calls before it were admitted.
        #expect(renewalAt == 48)
        #expect(locked < 10, "most calls were admitted from the quick share (\(locked) took the lock)")
    }

    @Test("The share expires with its lease, lives on with a renewal, and a changed policy empties it")
    func shareEndsWithItsLease() {
        let slot = RememberedLeaseEntry()
        let leases = self.withQuickShare(slot: slot)
        let beforeExpiry = leases.takeQuickToken(
            policy: self.busy, elapsed: self.elapsed(.milliseconds(99)), rememberedIn: slot)
        #expect(beforeExpiry)
        let atExpiry = leases.takeQuickToken(
            policy: self.busy, elapsed: self.elapsed(.milliseconds(100)), rememberedIn: slot)
        #expect(!atExpiry, "spent after its lease expired")

        // A renewal granted while the lease lasts carries the share into the new lease.
        leases.renewed(
            subject: "s", policy: self.busy, grant: self.grant(50, remaining: 500), now: self.start + .milliseconds(50))
        let afterRenewal = leases.takeQuickToken(
            policy: self.busy, elapsed: self.elapsed(.milliseconds(120)), rememberedIn: slot)
        #expect(afterRenewal)

        let other = RateLimitPolicy(requests: 50_000, windowMilliseconds: 60_000)
        let otherPolicy = leases.takeQuickToken(policy: other, elapsed: 0, rememberedIn: slot)
        #expect(!otherPolicy, "spent under another policy")
        _ = leases.next(subject: "s", policy: other, now: self.start, rememberingIn: slot, quick: true)
        #expect(leases.quickTokenCount(subject: "s") == 0)
        let afterPolicyChange = leases.takeQuickToken(policy: self.busy, elapsed: 0, rememberedIn: slot)
        #expect(!afterPolicyChange)
    }

    @Test("Pruning an idle subject empties its share")
    func pruningEmptiesShare() {
        let slot = RememberedLeaseEntry()
        let leases = self.withQuickShare(slot: slot)
        let later = self.start + .seconds(1)
        for index in 0..<10_000 {
            _ = leases.next(subject: "other \(index)", policy: self.busy, now: later)
        }
        #expect(leases.subjectCount == 10_000, "the subject was pruned")
        let afterPruning = leases.takeQuickToken(policy: self.busy, elapsed: 0, rememberedIn: slot)
        #expect(!afterPruning)
    }

    /// A caller's slot, shared by tasks as ``AuthenticatedCaller`` shares it between calls, and
    /// what its calls were told.
    private final class Caller: Sendable {
        let slot = RememberedLeaseEntry()
        let admitted = Atomic<Int>(1)  // the call that asked for the lease
        let refused = Atomic<Int>(0)
    }

    @Test("Threads racing for the tokens admit exactly as many calls as Redis granted")
    func racingCallersNeverOverspend() async {
        let caller = Caller()
        let granted = 5_000
        let leases = self.leased(granted, remaining: 0, slot: caller.slot)
        let policy = self.busy
        let start = self.start
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1_000 {
                        if leases.takeQuickToken(policy: policy, elapsed: 0, rememberedIn: caller.slot) {
                            caller.admitted.add(1, ordering: .relaxed)
                            continue
                        }
                        let step = leases.next(
                            subject: "s", policy: policy, now: start, rememberingIn: caller.slot, quick: true)
                        switch step {
                        case .decided(let decision) where decision.allowed:
                            caller.admitted.add(1, ordering: .relaxed)
                        case .renew:
                            caller.admitted.add(1, ordering: .relaxed)
                        default:
                            caller.refused.add(1, ordering: .relaxed)
                        }
                    }
                }
            }
        }
        // 8,000 calls for 5,000 tokens: renewals are asked for but never answered here.
        #expect(caller.admitted.load(ordering: .relaxed) == granted)
        #expect(caller.refused.load(ordering: .relaxed) == 8_000 - (granted - 1))
    }
}
