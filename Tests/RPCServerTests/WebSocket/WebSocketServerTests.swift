import Logging
import RPCServer
import Testing

@Suite("WebSocket on the HTTP/1.1 face", .timeLimit(.minutes(1)))
struct WebSocketServerTests {
    typealias Client = RawWebSocketClient
    typealias Opcode = RawWebSocketClient.Opcode

    /// Sends every message back.
    static let echo = WebSocketRoute(responseHeaders: [("x-route", "echo")]) { session in
        for try await message in session.messages {
            try await session.send(message)
        }
    }

    /// Runs a server whose only WebSocket route is `route` at `/ws`.
    private static func withServer<Result: Sendable>(
        route: WebSocketRoute = Self.echo,
        configure: (inout RPCServerConfiguration) -> Void = { _ in },
        _ body: (Int) async throws -> Result
    ) async throws -> Result {
        try await RunningServer.with(
            responder: NotFoundResponder(),
            webSockets: WebSocketTestResponder(routes: ["/ws": route]),
            configure: configure,
            body
        )
    }

    /// Connects and completes the handshake for `/ws`; returns the client and the response head.
    private static func open(port: Int, path: String = "/ws", extraHeaders: String = "") async throws -> (
        Client, String
    ) {
        let client = try await Client.connect(port: port)
        try await client.send(Client.handshake(path: path, extraHeaders: extraHeaders))
        return (client, await client.readResponseHead())
    }

    // MARK: Handshake

    @Test("A handshake is answered 101 with the RFC's Sec-WebSocket-Accept and the route's headers")
    func handshakeIsAccepted() async throws {
        let head = try await Self.withServer { port in
            let (client, head) = try await Self.open(port: port)
            await client.disconnect()
            return head
        }

        #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        let lines = head.lowercased().split(separator: "\r\n")
        #expect(lines.contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="))
        #expect(lines.contains("upgrade: websocket"))
        #expect(lines.contains("connection: upgrade"))
        #expect(lines.contains("x-route: echo"))
    }

    @Test("A masked frame sent right behind the handshake is echoed in an unmasked frame")
    func frameBehindHandshakeIsEchoed() async throws {
        let frame = try await Self.withServer { port in
            let client = try await Client.connect(port: port)
            try await client.send(
                Array(Client.handshake(path: "/ws").utf8) + Client.frame(opcode: Opcode.text, Array("héllo".utf8)))
            _ = await client.readResponseHead()
            let frame = await client.nextFrame()
            await client.disconnect()
            return frame
        }

        #expect(frame == Client.Frame(fin: true, opcode: Opcode.text, masked: false, payload: Array("héllo".utf8)))
    }

    @Test("The handler sees the upgrade request's method, target, headers and peer")
    func handlerSeesRequest() async throws {
        let route = WebSocketRoute { session in
            let request = session.request
            let summary =
                "\(request.method) \(request.target) \(request.header("x-tenant") ?? "-") \(request.peer.hasPrefix("127.0.0.1:"))"
            try await session.send(text: summary)
        }
        let frame = try await Self.withServer(route: route) { port in
            let (client, _) = try await Self.open(port: port, path: "/ws?room=7", extraHeaders: "X-Tenant: acme\r\n")
            let frame = await client.nextFrame()
            await client.disconnect()
            return frame
        }

        #expect(frame?.text == "GET /ws?room=7 acme true")
    }

    @Test("A handshake for a path with no WebSocket route reaches the HTTP responder, then the connection closes")
    func unroutedHandshakeGoesToResponder() async throws {
        let response = try await Self.withServer { port in
            try await RawHTTPClient.exchange(Client.handshake(path: "/elsewhere"), port: port)
        }

        #expect(response.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(response.lowercased().contains("connection: close\r\n"))
    }

    @Test("A server without a WebSocket responder hands every handshake to the HTTP responder")
    func noResponderMeansHTTP() async throws {
        let response = try await RunningServer.with(responder: NotFoundResponder()) { port in
            try await RawHTTPClient.exchange(Client.handshake(path: "/ws"), port: port)
        }

        #expect(response.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
    }

    @Test("A handshake with a version other than 13 is refused with 400 naming the supported version")
    func wrongVersionIsRefused() async throws {
        let response = try await Self.withServer { port in
            try await RawHTTPClient.exchange(Client.handshake(path: "/ws", version: "8"), port: port)
        }

        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(response.contains("sec-websocket-version: 13\r\n"))
        #expect(response.contains(#""status":"INVALID_ARGUMENT""#))
    }

    @Test("A handshake after a plain request on the same keep-alive connection is upgraded")
    func upgradeAfterKeepAliveRequest() async throws {
        let (plain, frame) = try await Self.withServer { port in
            let client = try await Client.connect(port: port)
            try await client.send("GET /plain HTTP/1.1\r\nHost: t\r\n\r\n")
            let plain = await client.readResponseHead()
            try await client.send(
                Array(Client.handshake(path: "/ws").utf8) + Client.frame(opcode: Opcode.text, Array("again".utf8))
            )
            _ = await client.readResponseHead()
            let frame = await client.nextFrame()
            await client.disconnect()
            return (plain, frame)
        }

        #expect(plain.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(frame?.text == "again")
    }

    // MARK: Messages and control frames

    @Test("Fragments are joined into one message and a ping between them is answered with its payload")
    func fragmentsAndInterleavedPing() async throws {
        let frames = try await Self.withServer { port in
            let (client, _) = try await Self.open(port: port)
            try await client.send(
                Client.frame(opcode: Opcode.binary, [1, 2], fin: false)
                    + Client.frame(opcode: Opcode.ping, Array("are you there".utf8))
                    + Client.frame(opcode: Opcode.continuation, [3], fin: false)
                    + Client.frame(opcode: Opcode.continuation, [4, 5])
            )
            let first = await client.nextFrame()
            let second = await client.nextFrame()
            await client.disconnect()
            return [first, second]
        }

        #expect(
            frames[0]
                == Client.Frame(fin: true, opcode: Opcode.pong, masked: false, payload: Array("are you there".utf8)))
        #expect(frames[1] == Client.Frame(fin: true, opcode: Opcode.binary, masked: false, payload: [1, 2, 3, 4, 5]))
    }

    @Test("The client's close frame is echoed, ends the messages normally, and the server closes the connection")
    func clientCloseIsEchoed() async throws {
        let (ended, endedContinuation) = AsyncStream<String>.makeStream()
        let route = WebSocketRoute { session in
            do {
                for try await _ in session.messages {}
                endedContinuation.yield("finished")
            } catch {
                endedContinuation.yield("threw")
            }
        }
        let (reply, rest) = try await Self.withServer(route: route) { port in
            let (client, _) = try await Self.open(port: port)
            try await client.send(Client.closeFrame(code: 4001, reason: "bye"))
            let reply = await client.nextFrame()
            return (reply, await client.framesUntilClosed())
        }
        var iterator = ended.makeAsyncIterator()

        #expect(reply?.opcode == Opcode.close)
        #expect(reply?.closeCode == 4001)
        #expect(rest.isEmpty)
        #expect(await iterator.next(isolation: #isolation) == "finished")
    }

    @Test("A handler that returns closes with 1000; one that throws closes with 1011 without its error text")
    func handlerOutcomeSetsCloseCode() async throws {
        struct Secret: Error {}
        let returning = WebSocketRoute { session in try await session.send(text: "done") }
        let throwing = WebSocketRoute { _ in throw Secret() }
        let responder = WebSocketTestResponder(routes: ["/returns": returning, "/throws": throwing])
        let (returned, threw) = try await RunningServer.with(responder: NotFoundResponder(), webSockets: responder) {
            port in
            let (first, _) = try await Self.open(port: port, path: "/returns")
            let returned = await first.framesUntilClosed(answeringClose: true)
            let (second, _) = try await Self.open(port: port, path: "/throws")
            let threw = await second.framesUntilClosed(answeringClose: true)
            return (returned, threw)
        }

        #expect(returned.map(\.opcode) == [Opcode.text, Opcode.close])
        #expect(returned.last?.closeCode == 1000)
        #expect(threw.map(\.opcode) == [Opcode.close])
        #expect(threw.last?.closeCode == 1011)
        #expect(threw.last?.closeReason.contains("Secret") == false)
    }

    @Test("session.close sends the handler's code and reason")
    func handlerCloses() async throws {
        let route = WebSocketRoute { session in
            await session.close(code: .policyViolation, reason: "unknown tenant")
        }
        let frames = try await Self.withServer(route: route) { port in
            let (client, _) = try await Self.open(port: port)
            let close = await client.nextFrame()
            try await client.send(Client.closeFrame(code: 1008))
            return [close] + (await client.framesUntilClosed()).map { Optional($0) }
        }

        #expect(frames.count == 1)
        #expect(frames[0]?.closeCode == 1008)
        #expect(frames[0]?.closeReason == "unknown tenant")
    }

    // MARK: Limits and protocol errors

    /// Connects to a server limited to 1 KiB frames and messages, sends `bytes` after the
    /// handshake, and returns the server's frames until it hangs up plus how `messages` ended.
    private static func violation(_ bytes: [UInt8]) async throws -> (frames: [Client.Frame], outcome: String?) {
        let (outcomes, outcomeContinuation) = AsyncStream<String>.makeStream()
        let route = WebSocketRoute { session in
            do {
                for try await _ in session.messages {}
                outcomeContinuation.yield("finished")
            } catch let error as RPCError {
                outcomeContinuation.yield("\(error.code)")
            }
        }
        let frames = try await Self.withServer(route: route) { configuration in
            configuration.webSocket.maxFrameBytes = 1024
            configuration.webSocket.maxMessageBytes = 1024
        } _: { port in
            let (client, _) = try await Self.open(port: port)
            try await client.send(bytes)
            return await client.framesUntilClosed()
        }
        var iterator = outcomes.makeAsyncIterator()
        return (frames, await iterator.next())
    }

    @Test("A message over maxMessageBytes, even in small fragments, fails with 1009 and RESOURCE_EXHAUSTED")
    func oversizedMessage() async throws {
        let fragment = [UInt8](repeating: 7, count: 600)
        let (frames, outcome) = try await Self.violation(
            Client.frame(opcode: Opcode.binary, fragment, fin: false)
                + Client.frame(opcode: Opcode.continuation, fragment)
        )

        #expect(frames.map(\.closeCode) == [1009])
        #expect(outcome == "\(RPCError.Code.resourceExhausted)")
    }

    @Test("A frame over maxFrameBytes fails with 1009 as soon as its header arrives")
    func oversizedFrame() async throws {
        let (frames, _) = try await Self.violation(
            Array(Client.frame(opcode: Opcode.binary, [UInt8](repeating: 1, count: 2000)).prefix(14)))

        #expect(frames.map(\.closeCode) == [1009])
    }

    @Test("An unmasked client frame fails with 1002 and INVALID_ARGUMENT")
    func unmaskedFrame() async throws {
        let (frames, outcome) = try await Self.violation(
            Client.frame(opcode: Opcode.text, Array("hi".utf8), masked: false))

        #expect(frames.map(\.closeCode) == [1002])
        #expect(outcome == "\(RPCError.Code.invalidArgument)")
    }

    @Test("Reserved bits without an extension fail with 1002")
    func reservedBits() async throws {
        let (frames, _) = try await Self.violation(
            Client.frame(opcode: Opcode.text, Array("hi".utf8), reservedBits: 0b100))

        #expect(frames.map(\.closeCode) == [1002])
    }

    @Test("Text that is not UTF-8 fails with 1007")
    func invalidUTF8() async throws {
        let (frames, _) = try await Self.violation(Client.frame(opcode: Opcode.text, [0xC3, 0x28]))

        #expect(frames.map(\.closeCode) == [1007])
    }

    @Test("A ping over 125 bytes fails with 1002")
    func oversizedPing() async throws {
        let (frames, _) = try await Self.violation(Client.frame(opcode: Opcode.ping, [UInt8](repeating: 0, count: 126)))

        #expect(frames.map(\.closeCode) == [1002])
    }

    // MARK: Keepalive

    @Test("The server pings every pingInterval and keeps pinging while pongs come back")
    func pingsAreSentAndPongsAccepted() async throws {
        let frames = try await Self.withServer { configuration in
            configuration.webSocket.pingInterval = .milliseconds(50)
            configuration.webSocket.pongTimeout = .seconds(20)
        } _: { port in
            let (client, _) = try await Self.open(port: port)
            var frames: [Client.Frame] = []
            for _ in 0..<3 {
                guard let ping = await client.nextFrame() else { break }
                frames.append(ping)
                try await client.send(Client.frame(opcode: Opcode.pong, ping.payload))
            }
            await client.disconnect()
            return frames
        }

        // A second ping goes out only after the first one's pong arrived.
        #expect(frames.map(\.opcode) == [Opcode.ping, Opcode.ping, Opcode.ping])
        #expect(Set(frames.map(\.payload)).count == 3)
    }

    @Test("A client that does not answer a ping within pongTimeout is closed with 1011")
    func missingPongCloses() async throws {
        let frames = try await Self.withServer { configuration in
            configuration.webSocket.pingInterval = .milliseconds(50)
            configuration.webSocket.pongTimeout = .milliseconds(200)
        } _: { port in
            let (client, _) = try await Self.open(port: port)
            return await client.framesUntilClosed()
        }

        #expect(frames.map(\.opcode) == [Opcode.ping, Opcode.close])
        #expect(frames.last?.closeCode == 1011)
    }

    // MARK: Lifecycle

    @Test("A client that disconnects cancels the handler's task")
    func disconnectCancelsHandler() async throws {
        let (events, eventContinuation) = AsyncStream<String>.makeStream()
        let route = WebSocketRoute { _ in
            eventContinuation.yield("started")
            let (never, neverContinuation) = AsyncStream<Int>.makeStream()
            for await _ in never {}
            neverContinuation.finish()  // held until here, so `never` ends only by cancellation
            eventContinuation.yield(Task.isCancelled ? "cancelled" : "ended without cancellation")
        }
        var iterator = events.makeAsyncIterator()
        try await Self.withServer(route: route) { port in
            let (client, _) = try await Self.open(port: port)
            #expect(await iterator.next(isolation: #isolation) == "started")
            await client.disconnect()
            #expect(await iterator.next(isolation: #isolation) == "cancelled")
        }
    }

    @Test("Graceful shutdown closes open sessions with 1001 and run returns after the handshake")
    func shutdownSendsGoingAway() async throws {
        let server = RPCServer(
            configuration: RPCServerConfiguration(host: "127.0.0.1", port: 0, maxRequestBodyBytes: 1024),
            responder: NotFoundResponder(),
            webSockets: WebSocketTestResponder(routes: ["/ws": Self.echo]),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let running = Task { try await server.run { portContinuation.yield($0) } }
        var portIterator = ports.makeAsyncIterator()
        let port = try #require(await portIterator.next())
        let (client, _) = try await Self.open(port: port)
        try await client.send(Client.frame(opcode: Opcode.text, Array("before".utf8)))
        let echoed = await client.nextFrame()

        server.shutDown(gracePeriod: .seconds(30))
        let close = await client.nextFrame()
        try await client.send(Client.closeFrame(code: 1001))
        let rest = await client.framesUntilClosed()
        try await running.value

        #expect(echoed?.text == "before")
        #expect(close?.closeCode == 1001)
        #expect(rest.isEmpty)
    }
}
