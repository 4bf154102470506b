internal import FoundationEssentials
package import Logging
internal import MetaChatAPI
package import RPCServer
package import Storage
internal import SwiftProtobuf
internal import WidgetProtocol

/// The web chat widget's public side: the config endpoint that issues visitor tokens, the
/// handshake check (origin, address limits) and the WebSocket session (docs/widget.md).
///
/// A visitor is the external user of `WEB_CHAT` conversations: each message goes to the newest
/// not-closed conversation of the channel and visitor (a new one otherwise) and is answered by
/// the ``ChatOrchestrator`` with the idempotency key `widget:` + SHA-256(channel, visitor, client
/// id). The session forwards the conversation's events from the ``ConversationEventHub``: stored
/// messages and agent hand-overs carry their event id, so a reconnecting widget resumes with
/// `after` and gets each missed frame once.
package struct WidgetGateway: Sendable {
    let directory: WidgetDirectory
    let signer: VisitorTokenSigner
    let pool: PostgresPool
    let orchestrator: ChatOrchestrator
    let hub: ConversationEventHub
    let ledger: ConversationLedger
    let limiter: RateLimiter
    let addresses: ClientAddressResolver
    let limits: WidgetLimits
    let sockets = WidgetSocketCounter()
    let logger: Logger

    /// Creates the gateway.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - signer: Signs and checks visitor tokens.
    ///   - orchestrator: Answers messages.
    ///   - hub: The live conversation stream.
    ///   - limiter: The Redis rate limiter.
    ///   - addresses: Finds the client behind trusted proxies.
    ///   - limits: The anonymous traffic bounds.
    ///   - logger: Where failures go.
    package init(
        pool: PostgresPool, signer: VisitorTokenSigner, orchestrator: ChatOrchestrator, hub: ConversationEventHub,
        limiter: RateLimiter, addresses: ClientAddressResolver, limits: WidgetLimits = .defaults, logger: Logger
    ) {
        self.directory = WidgetDirectory(pool: pool)
        self.signer = signer
        self.pool = pool
        self.orchestrator = orchestrator
        self.hub = hub
        self.ledger = ConversationLedger(pool: pool, events: hub)
        self.limiter = limiter
        self.addresses = addresses
        self.limits = limits
        self.logger = logger
    }

    /// The close codes the session uses besides RFC 6455's.
    enum Close {
        static let badHello = WebSocketCloseCode(rawValue: 4400) ?? .policyViolation
        static let badToken = WebSocketCloseCode(rawValue: 4401) ?? .policyViolation
        static let helloTimeout = WebSocketCloseCode(rawValue: 4408) ?? .policyViolation
    }

    /// The metadata key holding a visitor message's client id.
    static let clientIDKey = "widget.client_id"

    // MARK: Config

    /// `GET /api/public/widget/config?widgetId=…[&visitorToken=…]`: the widget's title and
    /// greeting and a visitor token, new or (for a valid presented one) refreshed.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - widgetID: The `widgetId` query parameter.
    ///   - presentedToken: The `visitorToken` query parameter, when given.
    package func config(_ request: HTTPRequest, widgetID: String?, presentedToken: String?) async -> HTTPResponse {
        guard let widgetID, !widgetID.isEmpty else {
            return Self.error(400, "INVALID_ARGUMENT", "widgetId is required")
        }
        let address = self.address(of: request)
        let origin = request.header("origin")
        let channel: WidgetChannel?
        do {
            channel = try await self.directory.find(widgetID: widgetID)
        } catch {
            return Self.error(503, "UNAVAILABLE", "The widget cannot be read right now.")
        }
        guard let channel else { return Self.error(404, "NOT_FOUND", "No enabled web chat widget has this widgetId.") }
        guard channel.allows(origin: origin) else {
            return Self.error(403, "PERMISSION_DENIED", "This origin may not embed the widget.")
        }
        let decision = await self.limiter.check(
            subject: "widget:connect:\(address)", policy: self.limits.connectsPerAddress)
        guard decision.allowed else {
            var response = Self.error(429, "RESOURCE_EXHAUSTED", "Too many widget requests from this address.")
            response.headers.append(("retry-after", String(max(1, (decision.retryAfterMilliseconds + 999) / 1000))))
            return response
        }
        let visitorID =
            presentedToken.flatMap { try? self.signer.verify($0, widgetID: widgetID) }.map(\.visitorID) ?? UUID()
        let token = self.signer.issue(tenantID: channel.tenantID, widgetID: widgetID, visitorID: visitorID)
        struct Body: Encodable {
            var widgetId: String
            var title: String
            var greeting: String
            var visitorId: String
            var visitorToken: String
            var socketPath: String
        }
        let body = Body(
            widgetId: widgetID, title: channel.title, greeting: channel.greeting, visitorId: visitorID.lowercasedString,
            visitorToken: token, socketPath: "/api/widget/\(widgetID)/ws")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var response = HTTPResponse(
            status: 200, headers: [("content-type", "application/json"), ("cache-control", "no-store")],
            body: Array((try? encoder.encode(body)) ?? Data()))
        if let origin {
            response.headers += [("access-control-allow-origin", origin), ("vary", "origin")]
        }
        return response
    }

    // MARK: Handshake

    /// Checks a handshake to `/api/widget/{widget_id}/ws` before it is answered: 404 for an
    /// unknown widget, 403 for an origin it does not allow, 429 for an address over its limits.
    package func admit(_ request: HTTPRequest, widgetID: String) async -> HTTPResponse? {
        let channel: WidgetChannel?
        do {
            channel = try await self.directory.find(widgetID: widgetID)
        } catch {
            return Self.error(503, "UNAVAILABLE", "The widget cannot be read right now.")
        }
        guard let channel else { return Self.error(404, "NOT_FOUND", "No enabled web chat widget has this widgetId.") }
        guard channel.allows(origin: request.header("origin")) else {
            return Self.error(403, "PERMISSION_DENIED", "This origin may not embed the widget.")
        }
        let address = self.address(of: request)
        guard self.sockets.hasRoom(address, limit: self.limits.socketsPerAddress) else {
            return Self.error(429, "RESOURCE_EXHAUSTED", "Too many widget sockets from this address.")
        }
        let decision = await self.limiter.check(
            subject: "widget:connect:\(address)", policy: self.limits.connectsPerAddress)
        guard decision.allowed else {
            return Self.error(429, "RESOURCE_EXHAUSTED", "Too many widget connections from this address.")
        }
        return nil
    }

    // MARK: Session

    /// Serves one widget socket until the visitor leaves.
    package func serve(_ session: WebSocketSession, request: HTTPRequest, widgetID: String) async throws {
        let address = self.address(of: request)
        guard self.sockets.open(address, limit: self.limits.socketsPerAddress) else {
            try? await Self.send(
                .error(code: .rateLimited, message: "Too many sockets from this address.", clientID: nil), on: session)
            await session.close(code: .policyViolation, reason: "too many sockets")
            return
        }
        defer { self.sockets.close(address) }
        let timeout = self.limits.helloTimeout
        let timer = Task {
            try await Task.sleep(for: timeout)
            try? await Self.send(
                .error(
                    code: .helloTimeout, message: "Send hello within \(timeout.components.seconds) seconds.",
                    clientID: nil),
                on: session)
            await session.close(code: Close.helloTimeout, reason: "no hello")
        }
        defer { timer.cancel() }
        var frames = session.messages.makeAsyncIterator()
        guard let first = try await frames.next() else { return }
        timer.cancel()
        guard let opened = try await self.hello(first, widgetID: widgetID, session: session) else { return }
        let visitor = VisitorSession(
            gateway: self, session: session, channel: opened.channel, visitorID: opened.visitorID, address: address)
        defer { visitor.stop() }
        try await visitor.start(after: opened.after)
        while let message = try await frames.next() {
            guard case .text(let text) = message else {
                try await Self.send(
                    .error(code: .invalidFrame, message: "frame must be a text message", clientID: nil), on: session)
                continue
            }
            let frame: WidgetClientFrame
            do throws(WidgetFrameError) {
                frame = try WidgetClientFrame(text: text)
            } catch {
                try await Self.send(.error(code: .invalidFrame, message: error.description, clientID: nil), on: session)
                continue
            }
            switch frame {
            case .hello:
                try await Self.send(
                    .error(code: .helloRequired, message: "hello was already sent on this socket", clientID: nil),
                    on: session)
            case .message(let clientID, let text):
                try await visitor.receive(clientID: clientID, text: text)
            }
        }
    }

    /// Reads the first frame as `hello` and checks its token; closes the session and answers
    /// `nil` when either fails.
    private func hello(
        _ message: WebSocketMessage, widgetID: String, session: WebSocketSession
    ) async throws -> (channel: WidgetChannel, visitorID: UUID, after: Int64?)? {
        let frame: WidgetClientFrame
        do throws(WidgetFrameError) {
            guard case .text(let text) = message else {
                throw WidgetFrameError(field: "frame", problem: "must be a text message")
            }
            frame = try WidgetClientFrame(text: text)
        } catch {
            try? await Self.send(.error(code: .invalidFrame, message: error.description, clientID: nil), on: session)
            await session.close(code: Close.badHello, reason: "bad hello")
            return nil
        }
        guard case .hello(let helloWidget, let token, let after) = frame else {
            try? await Self.send(
                .error(code: .helloRequired, message: "the first frame must be hello", clientID: nil), on: session)
            await session.close(code: Close.badHello, reason: "hello required")
            return nil
        }
        guard helloWidget == widgetID else {
            try? await Self.send(
                .error(code: .invalidFrame, message: "widgetId is not the widget of this socket's path", clientID: nil),
                on: session)
            await session.close(code: Close.badHello, reason: "bad hello")
            return nil
        }
        let visitor: VisitorToken
        do {
            visitor = try self.signer.verify(token, widgetID: widgetID)
        } catch {
            try? await Self.send(
                .error(
                    code: .invalidToken, message: "token is not a valid visitor token for this widget", clientID: nil),
                on: session)
            await session.close(code: Close.badToken, reason: "invalid token")
            return nil
        }
        guard let channel = try await self.directory.find(widgetID: widgetID), channel.tenantID == visitor.tenantID
        else {
            try? await Self.send(
                .error(
                    code: .invalidToken, message: "token is not a valid visitor token for this widget", clientID: nil),
                on: session)
            await session.close(code: Close.badToken, reason: "invalid token")
            return nil
        }
        return (channel, visitor.visitorID, after)
    }

    /// The client's address, behind trusted proxies.
    func address(of request: HTTPRequest) -> String {
        self.addresses.origin(peer: request.peerAddress, headers: request.headers).client.description
    }

    /// Sends a frame.
    static func send(_ frame: WidgetServerFrame, on session: WebSocketSession) async throws {
        try await session.send(text: frame.text)
    }

    /// An error response in the API's JSON shape.
    static func error(_ status: Int, _ name: String, _ message: String) -> HTTPResponse {
        var response = HTTPResponse.error(status: status, statusName: name, message: message)
        response.headers.append(("cache-control", "no-store"))
        return response
    }
}
