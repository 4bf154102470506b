internal import NIOCore
internal import NIOHTTP1
internal import NIOWebSocket

/// The WebSocket opening handshake (RFC 6455 §4.2) on an HTTP/1.1 connection.
///
/// NIO's `NIOWebSocketServerUpgrader` checks the handshake (`Sec-WebSocket-Key`,
/// `Sec-WebSocket-Version: 13`), computes `Sec-WebSocket-Accept` and installs the frame encoder
/// and decoder; this extension decides when to use it and swaps the HTTP handlers out. Unlike
/// NIO's `HTTPServerUpgradeHandler`, the upgrade may happen on any request of a keep-alive
/// connection (nginx reuses upstream connections), because NIO's decoder parses nothing after
/// an upgrade request anyway, so no pipelined request can be lost.
extension HTTP1ConnectionHandler {
    /// Whether NIO's HTTP decoder treats `head` as an upgrade and so parses nothing after it: an
    /// `Upgrade` header together with `Connection: upgrade`, or a CONNECT request.
    ///
    /// - Parameter head: The request head.
    static func requestsUpgrade(_ head: HTTPRequestHead) -> Bool {
        if head.method == .CONNECT {
            return true
        }
        return !head.headers["upgrade"].isEmpty
            && Self.containsToken("upgrade", head.headers[canonicalForm: "connection"])
    }

    /// Whether `head` is a WebSocket opening handshake: `GET` over HTTP/1.1 with
    /// `Upgrade: websocket` and `Connection: upgrade`. Key and version are checked later.
    ///
    /// - Parameter head: The request head.
    static func requestsWebSocket(_ head: HTTPRequestHead) -> Bool {
        head.method == .GET && head.version == .http1_1 && Self.requestsUpgrade(head)
            && Self.containsToken("websocket", head.headers[canonicalForm: "upgrade"])
    }

    private static func containsToken(_ token: String, _ values: [Substring]) -> Bool {
        values.contains { $0.lowercased() == token }
    }

    /// Answers a routed WebSocket handshake: `101 Switching Protocols` and a WebSocket pipeline,
    /// or 400 when the handshake is malformed (the connection then closes).
    ///
    /// - Parameters:
    ///   - route: The route serving the session.
    ///   - request: The upgrade request as the route's handler sees it.
    ///   - head: The upgrade request head.
    ///   - context: This handler's context.
    func upgradeToWebSocket(
        route: WebSocketRoute,
        request: HTTPRequest,
        head: HTTPRequestHead,
        context: ChannelHandlerContext
    ) {
        let limits = self.webSocketLimits
        let tasks = self.tasks
        let responseHeaders = HTTPHeaders(route.responseHeaders.map { ($0.name, $0.value) })
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: min(limits.maxFrameBytes, Int(UInt32.max)),
            automaticErrorHandling: false,
            shouldUpgrade: { channel, _ in
                channel.eventLoop.makeSucceededFuture(responseHeaders)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let handler = WebSocketConnectionHandler(
                        request: request, route: route, limits: limits, tasks: tasks)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
        )
        upgrader.buildUpgradeResponse(channel: context.channel, upgradeRequest: head, initialResponseHeaders: [:])
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let headers):
                    self.switchToWebSocket(upgrader: upgrader, responseHeaders: headers, head: head, context: context)
                case .failure:
                    var response = HTTPResponse.error(
                        status: 400,
                        statusName: "INVALID_ARGUMENT",
                        message: "The WebSocket handshake needs one Sec-WebSocket-Key and Sec-WebSocket-Version: 13."
                    )
                    response.headers.append(("sec-websocket-version", "13"))
                    self.write(response, head: head, context: context)
                }
            }
    }

    /// Sends `101`, removes the HTTP handlers, installs the WebSocket ones, and leaves.
    private func switchToWebSocket(
        upgrader: NIOWebSocketServerUpgrader,
        responseHeaders: HTTPHeaders,
        head: HTTPRequestHead,
        context: ChannelHandlerContext
    ) {
        self.cancelHeaderTimer()
        // The 101 goes out as bytes, with the upgrader's headers as they are.
        var switching = context.channel.allocator.buffer(capacity: 256)
        HTTP1ResponseEncoding.writeHead(
            status: 101, headers: [], framing: .closeDelimited, keepAlive: true, version: .http1_1,
            extraHeaders: responseHeaders.map { ($0.name, $0.value) }, into: &switching)
        context.writeAndFlush(self.wrapOutboundOut(switching), promise: nil)
        upgrader.upgrade(context: context, upgradeRequest: head).assumeIsolated().whenComplete { result in
            guard case .success = result else {
                context.close(promise: nil)
                return
            }
            // The HTTP decoder goes last: on removal it hands the bytes it holds (frames the
            // client sent right after the handshake) to the WebSocket decoder behind it.
            let pipeline = context.pipeline.syncOperations
            let decoder = try? pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            pipeline.removeHandler(context: context, promise: nil)
            if let decoder {
                pipeline.removeHandler(context: decoder, promise: nil)
            }
            // A read the HTTP handler held back while the route's admission ran (it reads nothing
            // while responding) reaches the WebSocket handlers now.
            context.channel.read()
        }
    }
}
