import Foundation
import Handlers
import Testing

@Suite("Webhook retry policy")
struct WebhookRetryPolicyTests {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test("Delays double from the initial delay, within the jitter either way")
    func doubling() {
        let policy = WebhookRetryPolicy.defaults
        for attempt in 1...5 {
            let base = pow(2.0, Double(attempt - 1))
            #expect(Self.seconds(policy.delay(afterAttempt: attempt, random: 0)) == base * 0.8)
            #expect(Self.seconds(policy.delay(afterAttempt: attempt, random: 0.5)) == base)
            #expect(Self.seconds(policy.delay(afterAttempt: attempt, random: 0.999_999)) <= base * 1.2)
        }
    }

    @Test("Delays are capped, however many attempts failed")
    func capped() {
        var policy = WebhookRetryPolicy.defaults
        policy.maximumDelay = .seconds(60)
        for attempt in [12, 40, 41, 1000, Int.max] {
            #expect(Self.seconds(policy.delay(afterAttempt: attempt, random: 1)) == 60)
        }
        #expect(Self.seconds(policy.delay(afterAttempt: Int.min, random: 0.5)) == 1)
    }

    @Test("retry-after lengthens a delay but never past the cap")
    func retryAfter() {
        let policy = WebhookRetryPolicy.defaults
        #expect(Self.seconds(policy.delay(afterAttempt: 1, retryAfter: .seconds(30), random: 0.5)) == 30)
        #expect(Self.seconds(policy.delay(afterAttempt: 3, retryAfter: .seconds(1), random: 0.5)) == 4)
        #expect(Self.seconds(policy.delay(afterAttempt: 1, retryAfter: .seconds(86_400), random: 0.5)) == 3600)
    }

    @Test("Statuses: 2xx succeed, 408, 429 and 5xx are retried, 410 is gone, other statuses are final")
    func outcomes() {
        #expect(WebhookAttemptOutcome(statusCode: 200, retryAfter: nil, nowSeconds: 0) == .succeeded)
        #expect(WebhookAttemptOutcome(statusCode: 299, retryAfter: nil, nowSeconds: 0) == .succeeded)
        #expect(WebhookAttemptOutcome(statusCode: 408, retryAfter: "5", nowSeconds: 0) == .retryable(retryAfter: nil))
        #expect(
            WebhookAttemptOutcome(statusCode: 429, retryAfter: "5", nowSeconds: 0)
                == .retryable(retryAfter: .seconds(5)))
        #expect(
            WebhookAttemptOutcome(
                statusCode: 503, retryAfter: "Wed, 21 Oct 2015 07:28:10 GMT", nowSeconds: 1_445_412_480)
                == .retryable(retryAfter: .seconds(10)))
        #expect(WebhookAttemptOutcome(statusCode: 500, retryAfter: nil, nowSeconds: 0) == .retryable(retryAfter: nil))
        #expect(WebhookAttemptOutcome(statusCode: 410, retryAfter: nil, nowSeconds: 0) == .gone)
        for status in [301, 400, 401, 403, 404, 409, 422] {
            #expect(WebhookAttemptOutcome(statusCode: status, retryAfter: nil, nowSeconds: 0) == .final)
        }
    }

    @Test(
        "Malformed or hostile retry-after values are ignored or bounded",
        arguments: [
            ("", nil), ("-5", nil), ("1.5", nil), ("99999999999", nil), ("abc", nil),
            ("Wed, 21 Oct 2015 07:28:00 UTC", nil), ("Wed, 32 Oct 2015 07:28:00 GMT", nil),
            ("9999999999", 86_400), ("Fri, 31 Dec 9999 23:59:59 GMT", 86_400),
        ] as [(String, Int64?)])
    func hostileRetryAfter(_ value: String, _ expected: Int64?) {
        let outcome = WebhookAttemptOutcome(statusCode: 429, retryAfter: value, nowSeconds: 1_700_000_000)
        #expect(outcome == .retryable(retryAfter: expected.map { .seconds($0) }))
    }
}
