import PropertyBased
import Testing

@testable import Handlers

@Suite("Rate-limit policies clamp every setting")
struct RateLimitPolicyClampingTests {
    @Test("Any tenant setting, however large, gives a policy within the bounds without trapping")
    func anyTenantSettingIsClamped() async {
        await propertyCheck(count: 2000, input: Gen.int(), Gen.int()) { requests, windowSeconds in
            let policy = RateLimitPolicy.standard.applying(
                TenantRateLimit(requestsPerWindow: requests, windowSeconds: windowSeconds))
            #expect((1...RateLimitPolicy.maximumRequests).contains(policy.requests))
            #expect((1...RateLimitPolicy.maximumWindowMilliseconds).contains(policy.windowMilliseconds))
            if requests > 0 && requests <= RateLimitPolicy.maximumRequests {
                #expect(policy.requests == requests)
            }
            if windowSeconds > 0 && windowSeconds <= RateLimitPolicy.maximumWindowMilliseconds / 1000 {
                #expect(policy.windowMilliseconds == windowSeconds * 1000)
            }
        }
    }

    @Test(
        "Extreme settings saturate",
        arguments: [(Int.max, Int.max), (Int.min, Int.min), (Int.max / 1000 + 1, 9_223_372_036_854_776), (0, 0)]
    )
    func extremes(requests: Int, windowSeconds: Int) {
        let policy = RateLimitPolicy.standard.applying(
            TenantRateLimit(requestsPerWindow: requests, windowSeconds: windowSeconds))
        #expect(policy.requests == (requests > 0 ? RateLimitPolicy.maximumRequests : RateLimitPolicy.standard.requests))
        #expect(
            policy.windowMilliseconds
                == (windowSeconds > 0
                    ? RateLimitPolicy.maximumWindowMilliseconds : RateLimitPolicy.standard.windowMilliseconds))
    }

    @Test("retry-after is the milliseconds rounded up to whole seconds, at least 1, for any stored value")
    func retryAfterRoundsUpWithoutOverflow() async {
        await propertyCheck(count: 2000, input: Gen.int(in: 0 ... .max)) { milliseconds in
            let decision = RateLimitDecision(
                allowed: false, limit: 1, remaining: 0, resetMilliseconds: 0, retryAfterMilliseconds: milliseconds)
            let exact = (Int128(milliseconds) + 999) / 1000
            #expect(Int128(decision.retryAfterSeconds) == max(1, exact))
        }
    }
}
