import Handlers
import Testing

/// What a throttled Graph API answer asks the caller to wait, read from its headers.
@Suite("Graph API rate-limit hints")
struct GraphRateLimitHintTests {
    static let now: Int64 = 1_765_000_000

    static let cases: [(name: String, retryAfter: String?, usage: String?, wait: Duration?)] = [
        ("nothing said", nil, nil, nil),
        ("retry-after seconds", "120", nil, .seconds(120)),
        ("retry-after wins over usage", "30", #"{"1":[{"estimated_time_to_regain_access":15}]}"#, .seconds(30)),
        (
            "unreadable retry-after falls back to usage", "soon", #"{"1":[{"estimated_time_to_regain_access":2}]}"#,
            .seconds(120)
        ),
        (
            "usage minutes", nil,
            #"{"102":[{"type":"whatsapp","call_count":100,"total_cputime":5,"total_time":5,"estimated_time_to_regain_access":15}]}"#,
            .seconds(900)
        ),
        (
            "the largest of several entries", nil,
            #"{"1":[{"estimated_time_to_regain_access":2}],"2":[{"estimated_time_to_regain_access":7}]}"#, .seconds(420)
        ),
        ("zero means no wait", nil, #"{"1":[{"estimated_time_to_regain_access":0}]}"#, nil),
        ("negative means no wait", nil, #"{"1":[{"estimated_time_to_regain_access":-3}]}"#, nil),
        ("huge is cut to a day", nil, #"{"1":[{"estimated_time_to_regain_access":9999999999}]}"#, .seconds(86_400)),
        ("beyond Int is no hint", nil, #"{"1":[{"estimated_time_to_regain_access":99999999999999999999}]}"#, nil),
        ("a fraction is no hint", nil, #"{"1":[{"estimated_time_to_regain_access":1.5}]}"#, nil),
        ("not the documented shape", nil, #"{"1":{"estimated_time_to_regain_access":3}}"#, nil),
        ("not JSON", nil, "estimated_time_to_regain_access=3", nil),
        ("empty", nil, "", nil),
        (
            "over the size limit", nil,
            #"{"1":[{"estimated_time_to_regain_access":3}],"pad":[""# + String(repeating: "{},", count: 3000) + "{}]}",
            nil
        ),
    ]

    @Test("Each header combination gives the documented wait", arguments: Self.cases)
    func table(_ testCase: (name: String, retryAfter: String?, usage: String?, wait: Duration?)) {
        #expect(
            GraphRateLimitHint.delay(
                retryAfter: testCase.retryAfter, businessUseCaseUsage: testCase.usage, nowSeconds: Self.now)
                == testCase.wait,
            "\(testCase.name)")
    }
}
