internal import Handlers
internal import RESTBridge
internal import RPCServer

/// The raw routes Meta calls for WhatsApp and Messenger channels: `GET` verification and `POST`
/// events at `/api/channels/{channel_id}/callback` and, for Meta apps configured with the
/// original platform's URL, at `/api/integrations/{whatsapp|messenger}/{tenant_id}`
/// (docs/channels.md). They take no API key: the verify token and the body's signature prove
/// the caller.
enum ChannelCallbackRoutes {
    /// The largest callback body read (Meta's are a few KiB).
    static let maximumBodyBytes = 1 << 20

    /// Adds the routes.
    ///
    /// - Parameters:
    ///   - table: The raw route table.
    ///   - receiver: Verifies and stores the callbacks.
    static func register(in table: inout RawRouteTable, receiver: MetaCallbackReceiver) {
        table.add("GET", template: "/api/channels/{channel_id}/callback") { request, values in
            await Self.verify(request, receiver: receiver, target: .channel(values[0]))
        }
        table.add("POST", template: "/api/channels/{channel_id}/callback", maxBodyBytes: Self.maximumBodyBytes) {
            request, values in
            await Self.receive(request, receiver: receiver, target: .channel(values[0]))
        }
        table.add("GET", template: "/api/integrations/{platform}/{tenant_id}") { request, values in
            await Self.verify(
                request, receiver: receiver, target: .integration(platform: values[0], tenantID: values[1]))
        }
        table.add("POST", template: "/api/integrations/{platform}/{tenant_id}", maxBodyBytes: Self.maximumBodyBytes) {
            request, values in
            await Self.receive(
                request, receiver: receiver, target: .integration(platform: values[0], tenantID: values[1]))
        }
    }

    private static func verify(_ request: HTTPRequest, receiver: MetaCallbackReceiver, target: MetaCallbackTarget)
        async -> HTTPResponse
    {
        let pairs: [(name: String, value: String)]
        do {
            pairs = try QueryString.pairs(in: request.target)
        } catch {
            return ErrorBody.response(
                for: RPCError(code: .invalidArgument, message: "The query is not valid percent-encoding."))
        }
        func value(_ name: String) -> String? { pairs.first { $0.name == name }?.value }
        let outcome = await receiver.verify(
            target, mode: value("hub.mode"), verifyToken: value("hub.verify_token"), challenge: value("hub.challenge"))
        return Self.response(outcome)
    }

    private static func receive(_ request: HTTPRequest, receiver: MetaCallbackReceiver, target: MetaCallbackTarget)
        async -> HTTPResponse
    {
        Self.response(
            await receiver.receive(target, signature: request.header("x-hub-signature-256"), body: request.body))
    }

    private static func response(_ outcome: MetaCallbackOutcome) -> HTTPResponse {
        switch outcome {
        case .challenge(let challenge):
            return HTTPResponse(
                status: 200, headers: [("content-type", "text/plain; charset=utf-8")], body: Array(challenge.utf8))
        case .accepted:
            return HTTPResponse(
                status: 200, headers: [("content-type", "text/plain; charset=utf-8")],
                body: Array("EVENT_RECEIVED".utf8))
        case .notFound(let message): return ErrorBody.response(for: RPCError(code: .notFound, message: message))
        case .forbidden(let message):
            return ErrorBody.response(for: RPCError(code: .permissionDenied, message: message))
        case .unauthorized(let message):
            return ErrorBody.response(for: RPCError(code: .unauthenticated, message: message))
        case .badRequest(let message):
            return ErrorBody.response(for: RPCError(code: .invalidArgument, message: message))
        case .unavailable(let message):
            return ErrorBody.response(for: RPCError(code: .unavailable, message: message))
        }
    }
}
