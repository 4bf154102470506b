import NIOCore
import NIOEmbedded
import NIOWebSocket
import Synchronization
import Testing

@testable import RPCServer

@Suite("WebSocket connection handler", .timeLimit(.minutes(1)))
struct WebSocketConnectionHandlerTests {
    /// Installs a handler for `route` on a testing channel (no keepalive) and runs the loop once.
    private static func channel(serving route: WebSocketRoute, writable: Bool) async throws -> NIOAsyncTestingChannel {
        var limits = RPCServerConfiguration.WebSocketLimits.defaults
        limits.pingInterval = nil
        let request = HTTPRequest(method: "GET", target: "/ws", headers: [], body: [], peer: "test")
        let channel = NIOAsyncTestingChannel()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        channel.isWritable = writable
        try await Self.install(request: request, route: route, limits: limits, on: channel)
        await channel.testingEventLoop.run()
        return channel
    }

    /// Adds the handler on the channel's loop (the handler is not `Sendable`).
    private static func install(
        request: HTTPRequest,
        route: WebSocketRoute,
        limits: RPCServerConfiguration.WebSocketLimits,
        on channel: NIOAsyncTestingChannel
    ) async throws {
        try await channel.testingEventLoop.executeInContext {
            let handler = WebSocketConnectionHandler(request: request, route: route, limits: limits)
            try channel.pipeline.syncOperations.addHandler(handler)
        }
    }

    private static func text(_ frame: WebSocketFrame?) -> String? {
        guard let frame, frame.opcode == .text else { return nil }
        return String(buffer: frame.data)
    }

    @Test("send suspends while the channel is not writable and goes on once it drains")
    func sendWaitsForWritability() async throws {
        let route = WebSocketRoute { session in
            for index in 0..<3 {
                try await session.send(text: "m\(index)")
            }
        }
        let channel = try await Self.channel(serving: route, writable: false)

        // The loop ran until nothing could progress: the first send wrote and is waiting.
        let first = try await channel.readOutbound(as: WebSocketFrame.self)
        let nothingMore = try await channel.readOutbound(as: WebSocketFrame.self)

        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        await channel.testingEventLoop.run()
        var rest: [WebSocketFrame] = []
        while let frame = try await channel.readOutbound(as: WebSocketFrame.self) {
            rest.append(frame)
        }

        #expect(Self.text(first) == "m0")
        #expect(nothingMore == nil)
        #expect(rest.map(Self.text) == ["m1", "m2", nil])
        #expect(rest.last?.opcode == .connectionClose)
        _ = try? await channel.finish()
    }

    /// Counts the `read` requests that pass it on their way to the socket.
    final class ReadCounter: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = Any

        let count = Mutex(0)

        func read(context: ChannelHandlerContext) {
            self.count.withLock { $0 += 1 }
            context.read()
        }
    }

    @Test("Messages the handler has not taken hold back socket reads at maxMessageBytes, until it takes them")
    func untakenMessagesHoldReads() async throws {
        let (gate, gateContinuation) = AsyncStream<Void>.makeStream()
        let route = WebSocketRoute { session in
            for await _ in gate {}
            for try await _ in session.messages {}
        }
        let counter = ReadCounter()
        let channel = NIOAsyncTestingChannel()
        try await channel.pipeline.addHandler(counter)
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1))
        var limits = RPCServerConfiguration.WebSocketLimits.defaults
        limits.pingInterval = nil
        limits.maxMessageBytes = 16
        let request = HTTPRequest(method: "GET", target: "/ws", headers: [], body: [], peer: "test")
        try await Self.install(request: request, route: route, limits: limits, on: channel)
        let mask: WebSocketMaskingKey = [1, 2, 3, 4]
        var data = ByteBuffer(bytes: [UInt8](repeating: 7, count: 16))
        data.webSocketMask(mask)

        try await channel.writeInbound(WebSocketFrame(fin: true, opcode: .binary, maskKey: mask, data: data))
        await channel.testingEventLoop.run()
        let before = counter.count.withLock { $0 }
        channel.read()
        await channel.testingEventLoop.run()
        let whileUntaken = counter.count.withLock { $0 }
        gateContinuation.finish()
        await channel.testingEventLoop.run()
        let afterTaken = counter.count.withLock { $0 }

        #expect(whileUntaken == before)
        #expect(afterTaken == before + 1)
        _ = try? await channel.finish()
    }
}
