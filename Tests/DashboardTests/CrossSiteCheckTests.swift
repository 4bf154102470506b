import Dashboard
import RPCServer
import Testing

/// Which unsafe requests the dashboard refuses as cross-site.
@Suite("Cross-site check")
struct CrossSiteCheckTests {
    /// Headers of a request and whether it must be refused.
    struct Case: Sendable, CustomTestStringConvertible {
        var headers: [(name: String, value: String)]
        var refused: Bool
        var testDescription: String {
            (self.refused ? "refused: " : "passes: ")
                + self.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
        }
    }

    static let cases: [Case] = [
        Case(headers: [], refused: false),
        Case(headers: [("Sec-Fetch-Site", "same-origin")], refused: false),
        Case(headers: [("Sec-Fetch-Site", "none")], refused: false),
        Case(headers: [("Sec-Fetch-Site", "cross-site")], refused: true),
        Case(headers: [("Sec-Fetch-Site", "same-site")], refused: true),
        Case(headers: [("Origin", "https://admin.example.com")], refused: false),
        Case(headers: [("Origin", "https://admin.example.com:443")], refused: false),
        Case(headers: [("Origin", "https://evil.example.com")], refused: true),
        Case(headers: [("Origin", "null")], refused: true),
        Case(headers: [("Origin", "https://admin.example.com.evil.example")], refused: true),
        Case(headers: [("Origin", "https://admin.example.com/path")], refused: true),
        Case(headers: [("Origin", "ftp://admin.example.com")], refused: true),
        Case(headers: [("Origin", "https://admin.example.com"), ("Sec-Fetch-Site", "cross-site")], refused: true),
    ]

    @Test("Unsafe requests from another site are refused", arguments: cases)
    func check(_ testCase: Case) {
        let request = HTTPRequest(
            method: "POST", target: "/tenants", headers: [("Host", "admin.example.com")] + testCase.headers, body: [],
            peer: "127.0.0.1:5000")
        #expect((CrossSiteCheck.refusal(for: request, host: "admin.example.com") != nil) == testCase.refused)
    }

    @Test("Without a known host every Origin is refused")
    func noHost() {
        let request = HTTPRequest(
            method: "POST", target: "/login", headers: [("Origin", "http://127.0.0.1:3001")], body: [],
            peer: "127.0.0.1:5000")
        #expect(CrossSiteCheck.refusal(for: request, host: nil) != nil)
        #expect(CrossSiteCheck.refusal(for: request, host: "127.0.0.1:3001") == nil)
    }
}
