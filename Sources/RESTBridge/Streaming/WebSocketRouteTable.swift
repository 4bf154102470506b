package import RPCServer

/// Hand-written WebSocket routes matched by exact path, or by a template whose `{name}` segments
/// each match one non-empty segment (exact paths win), e.g. the chat widget's
/// `/api/widget/{widget_id}/ws`.
///
/// The server asks the table about every HTTP/1.1 WebSocket handshake; a path with no route
/// falls through to the HTTP responder (which answers 404). The `101` response carries
/// `x-request-id` like every other response, echoed when the client sent a sane one.
///
/// ```swift
/// var sockets = WebSocketRouteTable()
/// sockets.add("/v1/ws/echo") { session, _ in
///     for try await message in session.messages { try await session.send(message) }
/// }
/// let server = RPCServer(configuration: .defaults, responder: routes, webSockets: sockets, logger: logger)
/// ```
package struct WebSocketRouteTable: WebSocketResponder {
    /// Serves one session. Gets the session and the upgrade request (whose `x-request-id` is the
    /// one answered in the handshake); returning closes with 1000, throwing with 1011.
    package typealias Handler = @Sendable (WebSocketSession, HTTPRequest) async throws -> Void

    /// Serves one session of a templated route, given the values of its `{name}` segments in
    /// order.
    package typealias TemplateHandler = @Sendable (WebSocketSession, HTTPRequest, [String]) async throws -> Void
    /// Checks a templated route's upgrade request before the handshake, given the segments'
    /// values: `nil` admits it, a response refuses it.
    package typealias TemplateAdmission = @Sendable (HTTPRequest, [String]) async -> HTTPResponse?

    /// One templated route.
    private struct TemplateRoute: Sendable {
        /// The template's segments; `nil` for a `{name}` segment.
        var segments: [String?]
        var template: String
        var admission: TemplateAdmission?
        var handler: TemplateHandler
    }

    private var routes: [String: Handler]
    private var templates: [TemplateRoute] = []

    /// Creates an empty table.
    package init() {
        self.routes = [:]
    }

    /// Adds a route, replacing one with the same path.
    ///
    /// - Parameters:
    ///   - path: The exact path, e.g. `/v1/ws/echo`; the query string is not part of it.
    ///   - handler: Serves each session.
    package mutating func add(_ path: String, handler: @escaping Handler) {
        self.routes[path] = handler
    }

    /// Adds a templated route, e.g. `/api/widget/{widget_id}/ws`.
    ///
    /// - Parameters:
    ///   - template: The path with `{name}` segments.
    ///   - admission: Checks the upgrade request before the handshake; `nil` admits all.
    ///   - handler: Serves each session, given the segments' values.
    package mutating func add(
        template: String, admission: TemplateAdmission? = nil, handler: @escaping TemplateHandler
    ) {
        let segments = template.split(separator: "/", omittingEmptySubsequences: false).map {
            $0.hasPrefix("{") && $0.hasSuffix("}") ? nil : String($0)
        }
        self.templates.append(
            TemplateRoute(segments: segments, template: template, admission: admission, handler: handler))
    }

    /// The registered paths and templates, sorted.
    package var paths: [String] {
        (self.routes.keys + self.templates.map(\.template)).sorted()
    }

    /// The first templated route matching `path`, with the values of its placeholders.
    private func templateMatch(_ path: Substring) -> (route: TemplateRoute, values: [String])? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for route in self.templates where route.segments.count == parts.count {
            var values: [String] = []
            var matched = true
            for (segment, part) in zip(route.segments, parts) {
                if let segment {
                    if segment != part {
                        matched = false
                        break
                    }
                } else if part.isEmpty {
                    matched = false
                    break
                } else {
                    values.append(String(part))
                }
            }
            if matched { return (route, values) }
        }
        return nil
    }

    package func route(for request: HTTPRequest) -> WebSocketRoute? {
        let handler: Handler
        var admission: WebSocketRoute.Admission?
        if let exact = self.routes[String(request.path)] {
            handler = exact
        } else if let (route, values) = self.templateMatch(request.path) {
            handler = { session, request in try await route.handler(session, request, values) }
            if let admit = route.admission {
                admission = { request in await admit(request, values) }
            }
        } else {
            return nil
        }
        let requestID = request.header("x-request-id").flatMap(RequestID.validated) ?? RequestID.generate()
        var request = request
        request.headers.removeAll { HeaderName.matches($0.name, "x-request-id") }
        request.headers.append(("x-request-id", requestID))
        let upgradeRequest = request
        return WebSocketRoute(responseHeaders: [("x-request-id", requestID)], admission: admission) { session in
            try await handler(session, upgradeRequest)
        }
    }
}
