import RESTBridge
import RPCServer
import Synchronization
import Testing

@Suite("REST headers: request ids, auth metadata, client address, CORS, security headers, gzip")
struct RESTHeaderTests {
    /// Records the metadata and peer each call arrives with.
    final class Recorder: ServerInterceptor, Sendable {
        private let seen = Mutex<[ServerContext]>([])

        var contexts: [ServerContext] { self.seen.withLock { $0 } }

        func intercept(context: ServerContext, next: (ServerContext) async throws -> Void) async throws {
            self.seen.withLock { $0.append(context) }
            try await next(context)
        }
    }

    @Test("Auth headers and Grpc-Metadata-* reach interceptors as metadata, with the request id")
    func authHeadersBecomeMetadata() async throws {
        let recorder = Recorder()
        let echo = try EchoGateway(interceptors: [recorder])

        _ = await echo.send(
            "GET", "/v1/echo/a",
            headers: [
                ("X-Api-Key", "ten_k"), ("x-admin-key", "adm_k"), ("Authorization", "Bearer t"),
                ("Grpc-Metadata-Tenant-Hint", "t1"), ("x-request-id", "req-1"), ("cookie", "secret"),
            ])

        let context = try #require(recorder.contexts.first)
        #expect(context.requestMetadata.firstString(forKey: "x-api-key") == "ten_k")
        #expect(context.requestMetadata.firstString(forKey: "x-admin-key") == "adm_k")
        #expect(context.requestMetadata.firstString(forKey: "authorization") == "Bearer t")
        #expect(context.requestMetadata.firstString(forKey: "tenant-hint") == "t1")
        #expect(context.requestMetadata.firstString(forKey: "x-request-id") == "req-1")
        #expect(context.requestMetadata.firstString(forKey: "cookie") == nil)
        #expect(context.requestID == "req-1")
    }

    @Test("The client address comes from X-Forwarded-For only when the peer is a trusted proxy")
    func trustedProxies() async throws {
        let recorder = Recorder()
        let echo = try EchoGateway(interceptors: [recorder])
        let forwarded: [(name: String, value: String)] = [("x-forwarded-for", "198.51.100.7, 203.0.113.9, 127.0.0.1")]

        _ = await echo.send("GET", "/v1/echo/a", headers: forwarded, peer: "127.0.0.1:4000")
        _ = await echo.send("GET", "/v1/echo/a", headers: forwarded, peer: "192.0.2.50:4000")
        _ = await echo.send("GET", "/v1/echo/a", headers: [("x-real-ip", "203.0.113.10")], peer: "[::1]:4000")

        #expect(
            recorder.contexts.map(\.clientAddress.description) == ["203.0.113.9", "192.0.2.50", "203.0.113.10"])
        #expect(recorder.contexts.map(\.peer) == ["127.0.0.1:4000", "192.0.2.50:4000", "[::1]:4000"])
    }

    @Test("Every response carries the security headers; HSTS only behind HTTPS from a trusted proxy")
    func securityHeaders() async throws {
        let echo = try EchoGateway()

        let plain = await echo.send("GET", "/v1/nothing")
        let https = await echo.send("GET", "/ping", headers: [("x-forwarded-proto", "https")])
        let spoofed = await echo.send("GET", "/ping", headers: [("x-forwarded-proto", "https")], peer: "192.0.2.1:1")

        #expect(plain.header("x-content-type-options") == "nosniff")
        #expect(plain.header("x-frame-options") == "DENY")
        #expect(plain.header("referrer-policy") == "no-referrer")
        #expect(plain.header("strict-transport-security") == nil)
        #expect(https.header("strict-transport-security")?.hasPrefix("max-age=") == true)
        #expect(spoofed.header("strict-transport-security") == nil)
    }

    @Test("CORS: an allowed origin gets preflight and response headers; another origin gets 403")
    func cors() async throws {
        var configuration = RESTConfiguration()
        configuration.cors = CORSPolicy(list: "https://ok.example, https://also.example")
        let echo = try EchoGateway(configuration: configuration)

        let preflight = await echo.send(
            "OPTIONS", "/v1/echo",
            headers: [("origin", "https://ok.example"), ("access-control-request-method", "POST")])
        let allowed = await echo.send("GET", "/v1/echo/a", headers: [("origin", "https://also.example")])
        let refused = await echo.send("GET", "/v1/echo/a", headers: [("origin", "https://evil.example")])
        let noOrigin = await echo.send("GET", "/v1/echo/a")

        #expect(preflight.status == 204)
        #expect(preflight.header("access-control-allow-origin") == "https://ok.example")
        #expect(preflight.header("access-control-allow-headers")?.contains("x-api-key") == true)
        #expect(preflight.header("access-control-allow-headers")?.contains("x-admin-key") == true)
        #expect(allowed.status == 200)
        #expect(allowed.header("access-control-allow-origin") == "https://also.example")
        #expect(allowed.header("access-control-expose-headers")?.contains("x-request-id") == true)
        #expect(refused.status == 403)
        #expect(refused.text.contains("\"status\":\"PERMISSION_DENIED\""))
        #expect(refused.text.contains("https://evil.example"))
        #expect(noOrigin.status == 200)
    }

    @Test("Large JSON responses are gzip-compressed when the client accepts gzip")
    func gzip() async throws {
        let echo = try EchoGateway()
        let labels = (0..<200).map { "\"k\($0)\":\"value number \($0)\"" }.joined(separator: ",")

        let compressed = await echo.send(
            "PATCH", "/v1/rooms/r/users/u", json: "{\(labels)}", headers: [("accept-encoding", "br;q=1, gzip;q=0.8")])
        let refused = await echo.send(
            "PATCH", "/v1/rooms/r/users/u", json: "{\(labels)}", headers: [("accept-encoding", "gzip;q=0")])
        let small = await echo.send("GET", "/v1/echo/a", headers: [("accept-encoding", "gzip")])

        #expect(compressed.header("content-encoding") == "gzip")
        #expect(compressed.header("vary") == "accept-encoding")
        let plain = try Gzip.decompress(compressed.body, limit: 1 << 20)
        // Map order may differ between encodings; the documents must be the same size and parse.
        #expect(plain.count == refused.body.count)
        #expect((try? JSONParser.parse(plain)) != nil)
        #expect(refused.header("content-encoding") == nil)
        #expect(small.header("content-encoding") == nil)
    }
}
