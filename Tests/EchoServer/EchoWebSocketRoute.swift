import RESTBridge
import RPCServer

/// The echo server's WebSocket route, `/v1/ws/echo`, for external clients: every text or binary
/// message comes back unchanged; the text `close-me` makes the server close with 4000.
enum EchoWebSocketRoute {
    /// The route's path.
    static let path = "/v1/ws/echo"
    /// The text that asks the server to close.
    static let closeRequest = "close-me"
    /// The close code answering ``closeRequest``: the first code RFC 6455 leaves to applications.
    static let closeCode = WebSocketCloseCode(rawValue: 4000) ?? .normalClosure

    /// The default limits (1 MiB frames and messages) with keepalive shortened so the interop
    /// suite sees server pings, and a missing pong punished, within seconds: a ping every second,
    /// 5 seconds for its pong, 2 seconds for the client's close frame.
    static var limits: RPCServerConfiguration.WebSocketLimits {
        var limits = RPCServerConfiguration.WebSocketLimits.defaults
        limits.pingInterval = .seconds(1)
        limits.pongTimeout = .seconds(5)
        limits.closeTimeout = .seconds(2)
        return limits
    }

    /// A table holding only this route.
    static func table() -> WebSocketRouteTable {
        var table = WebSocketRouteTable()
        table.add(Self.path) { session, _ in try await Self.echo(session) }
        return table
    }

    private static func echo(_ session: WebSocketSession) async throws {
        for try await message in session.messages {
            if message == .text(Self.closeRequest) {
                await session.close(code: Self.closeCode, reason: "closed on request")
                return
            }
            try await session.send(message)
        }
    }
}
