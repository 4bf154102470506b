import RESTBridge
import RPCServer
import Synchronization
import Testing

@Suite("WebSocket route table")
struct WebSocketRouteTableTests {
    /// What a handler sent through an in-memory session.
    final class Sent: Sendable {
        let messages = Mutex<[WebSocketMessage]>([])
    }

    private static func request(_ target: String, headers: [(name: String, value: String)] = []) -> HTTPRequest {
        HTTPRequest(method: "GET", target: target, headers: headers, body: [], peer: "127.0.0.1:5000")
    }

    /// A session without a socket: `inbound` arrive, sends are recorded.
    private static func session(_ request: HTTPRequest, inbound: [WebSocketMessage], sent: Sent) -> WebSocketSession {
        WebSocketSession(
            request: request,
            messages: .elements(inbound),
            send: { message in sent.messages.withLock { $0.append(message) } },
            close: { _, _ in }
        )
    }

    private static func table() -> WebSocketRouteTable {
        var table = WebSocketRouteTable()
        table.add("/v1/ws/echo") { session, _ in
            for try await message in session.messages {
                try await session.send(message)
            }
        }
        table.add("/v1/ws/who") { session, request in
            try await session.send(text: "\(request.path) \(request.header("x-request-id") ?? "-")")
        }
        return table
    }

    @Test("A route is matched by exact path, ignoring the query; other paths are no WebSocket route")
    func matchesExactPath() {
        let table = Self.table()

        #expect(table.route(for: Self.request("/v1/ws/echo?token=abc")) != nil)
        #expect(table.route(for: Self.request("/v1/ws/echo/")) == nil)
        #expect(table.route(for: Self.request("/v1/ws")) == nil)
        #expect(table.paths == ["/v1/ws/echo", "/v1/ws/who"])
    }

    @Test("The route's handler runs with the session")
    func handlerRunsWithSession() async throws {
        let request = Self.request("/v1/ws/echo")
        let route = try #require(Self.table().route(for: request))
        let sent = Sent()

        try await route.handler(Self.session(request, inbound: [.text("a"), .binary([1, 2])], sent: sent))

        #expect(sent.messages.withLock { $0 } == [.text("a"), .binary([1, 2])])
    }

    @Test("A sane x-request-id is echoed in the 101 and handed to the handler")
    func requestIDIsEchoed() async throws {
        let request = Self.request("/v1/ws/who", headers: [("X-Request-Id", "req-42")])
        let route = try #require(Self.table().route(for: request))
        let sent = Sent()

        try await route.handler(Self.session(request, inbound: [], sent: sent))

        #expect(route.responseHeaders.map { "\($0.name): \($0.value)" } == ["x-request-id: req-42"])
        #expect(sent.messages.withLock { $0 } == [.text("/v1/ws/who req-42")])
    }

    @Test("A missing or unusable x-request-id is replaced by a generated one, the same in the 101 and the handler")
    func requestIDIsGenerated() async throws {
        let request = Self.request("/v1/ws/who", headers: [("x-request-id", "has spaces")])
        let route = try #require(Self.table().route(for: request))
        let sent = Sent()

        try await route.handler(Self.session(request, inbound: [], sent: sent))

        let generated = try #require(route.responseHeaders.first { $0.name == "x-request-id" }?.value)
        #expect(generated.count == 32)
        #expect(sent.messages.withLock { $0 } == [.text("/v1/ws/who \(generated)")])
    }

    @Test("A templated route matches one non-empty segment per placeholder and hands the values to the handler")
    func templatedRoute() async throws {
        var table = Self.table()
        table.add(template: "/api/widget/{widget_id}/ws") { session, _, values in
            try await session.send(text: values.joined(separator: ","))
        }
        table.add("/api/widget/exact/ws") { session, _ in try await session.send(text: "exact") }

        #expect(table.route(for: Self.request("/api/widget//ws")) == nil)
        #expect(table.route(for: Self.request("/api/widget/a/b/ws")) == nil)
        #expect(table.paths.contains("/api/widget/{widget_id}/ws"))
        for (path, expected) in [("/api/widget/wdg_1/ws?x=1", "wdg_1"), ("/api/widget/exact/ws", "exact")] {
            let request = Self.request(path)
            let route = try #require(table.route(for: request))
            let sent = Sent()
            try await route.handler(Self.session(request, inbound: [], sent: sent))
            #expect(sent.messages.withLock { $0 } == [.text(expected)])
        }
    }

    @Test("A templated route's admission sees the request and the values; exact routes have none")
    func templatedAdmission() async throws {
        var table = Self.table()
        table.add(
            template: "/api/widget/{widget_id}/ws",
            admission: { request, values in
                values == ["open"] && request.header("origin") == "https://ok.example"
                    ? nil : HTTPResponse(status: 403)
            },
            handler: { _, _, _ in })

        let admitted = try #require(
            table.route(for: Self.request("/api/widget/open/ws", headers: [("origin", "https://ok.example")])))
        let admission = try #require(admitted.admission)
        #expect(
            await admission(Self.request("/api/widget/open/ws", headers: [("origin", "https://ok.example")])) == nil)
        let refused = try #require(table.route(for: Self.request("/api/widget/other/ws"))?.admission)
        #expect(await refused(Self.request("/api/widget/other/ws"))?.status == 403)
        #expect(table.route(for: Self.request("/v1/ws/echo"))?.admission == nil)
    }
}
