import Handlers
import Testing

@Suite("OutboundURL")
struct OutboundURLTests {
    @Test(
        "Scheme, host and port are split, defaults filled in",
        arguments: [
            ("https://api.openai.com/v1", true, "api.openai.com", 443),
            ("http://127.0.0.1:11434/v1", false, "127.0.0.1", 11434),
            ("HTTPS://Example.COM", true, "example.com", 443), ("http://[::1]:8080/x", false, "::1", 8080),
            ("https://[fd00::1]/", true, "fd00::1", 443), ("http://host?x=1", false, "host", 80),
        ])
    func split(text: String, https: Bool, host: String, port: Int) throws {
        let url = try #require(OutboundURL(text))
        #expect(url.isHTTPS == https)
        #expect(url.host == host)
        #expect(url.port == port)
    }

    @Test(
        "Anything that is not an absolute http(s) URL with a host is refused",
        arguments: [
            "", "ftp://example.com", "example.com", "http://", "https:///path", "http://user@host/",
            "http://user:pw@host/", "http://host:0/", "http://host:65536/", "http://host:/", "http://host:12a/",
            "http://host:123456/", "http://[::1/", "http://[::1]x/", "http://[]/", "javascript:alert(1)",
            "file:///etc/passwd",
        ])
    func refused(text: String) {
        #expect(OutboundURL(text) == nil)
    }

    @Test(
        "The path keeps its case and a query or fragment is noticed",
        arguments: [
            ("https://Example.com/V1/Chat?x=1", "/V1/Chat", true), ("http://host", "", false),
            ("http://host#frag", "", true), ("http://host:8080/a/b", "/a/b", false),
        ])
    func pathAndQuery(text: String, path: String, hasQueryOrFragment: Bool) throws {
        let url = try #require(OutboundURL(text))
        #expect(url.path == path)
        #expect(url.hasQueryOrFragment == hasQueryOrFragment)
    }

    @Test(
        "A stored setting's host must be a DNS name or a bracketed IPv6 literal",
        arguments: [
            ("https://api.example.com", true), ("http://[fd00::1]:80", true), ("http://127.0.0.1", true),
            ("http://a:b:80/", false), ("http://-bad.example/", false), ("http://bad-.example/", false),
            ("http://a..b/", false), ("http://under_score.example/", false), ("http://[fe80::1%eth0]/", false),
            ("http://\(String(repeating: "a", count: 64)).example/", false),
        ])
    func wellFormedHost(text: String, wellFormed: Bool) throws {
        let url = try #require(OutboundURL(text))
        #expect(url.hasWellFormedHost == wellFormed)
    }
}
