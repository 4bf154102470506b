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
}
