package import RPCServer

/// Hand-written HTTP routes matched by method and path: health, metrics, the OpenAPI document,
/// Meta webhook callbacks and uploads, which need the raw request. A route's path is exact, or a
/// template whose `{name}` segments each match one non-empty path segment (exact paths win).
///
/// The table is data; ``RESTGateway`` serves it ahead of the generated routes, with the same
/// request ids, error shape, CORS and security headers.
package struct RawRouteTable: Sendable {
    /// Answers one request.
    package typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    /// Answers one request to a templated route that calls RPC methods, given the values of its
    /// `{name}` segments in order and what calling takes (``RawRouteCalls``).
    package typealias CallingHandler = @Sendable (HTTPRequest, [String], RawRouteCalls) async -> HTTPResponse

    /// A found route, ready to answer.
    typealias Resolved = @Sendable (HTTPRequest, RawRouteCalls) async -> HTTPResponse

    /// One route.
    struct Route: Sendable {
        var handler: Handler
        var maxBodyBytes: Int?
    }

    /// What a method and path found.
    enum Lookup {
        case found(Resolved)
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    /// Answers one request to a templated route, given the values of its `{name}` segments in
    /// order.
    package typealias TemplateHandler = @Sendable (HTTPRequest, [String]) async -> HTTPResponse

    /// One templated route.
    struct TemplateRoute: Sendable {
        /// The template's segments; `nil` for a `{name}` segment.
        var segments: [String?]
        var method: String
        var handler: CallingHandler
        var maxBodyBytes: Int?
        var streamsBody: Bool
        var template: String
    }

    private var routes: [String: [String: Route]]
    private var templates: [TemplateRoute] = []
    /// Exact paths that answer browsers of any origin and check `Origin` themselves.
    private var ownOriginPaths: Set<String> = []

    /// Creates an empty table.
    package init() {
        self.routes = [:]
    }

    /// Adds a templated route, e.g. `/api/channels/{channel_id}/callback`.
    ///
    /// - Parameters:
    ///   - method: The HTTP method in upper case.
    ///   - template: The path with `{name}` segments.
    ///   - maxBodyBytes: The route's own body limit, or `nil` for the bridge's.
    ///   - handler: Answers the request, given the segments' values.
    package mutating func add(
        _ method: String, template: String, maxBodyBytes: Int? = nil, handler: @escaping TemplateHandler
    ) {
        self.add(method, template: template, maxBodyBytes: maxBodyBytes) { request, values, _ in
            await handler(request, values)
        }
    }

    /// Adds a templated route that calls RPC methods through the gateway's interceptors.
    ///
    /// - Parameters:
    ///   - method: The HTTP method in upper case.
    ///   - template: The path, with or without `{name}` segments.
    ///   - maxBodyBytes: The route's own body limit, or `nil` for the bridge's.
    ///   - streamsBody: Whether the request's body reaches the handler as it arrives
    ///     (``HTTPRequest/bodyStream``) rather than whole.
    ///   - handler: Answers the request, given the segments' values and the calls.
    package mutating func add(
        _ method: String, template: String, maxBodyBytes: Int? = nil, streamsBody: Bool = false,
        calling handler: @escaping CallingHandler
    ) {
        let segments = template.split(separator: "/", omittingEmptySubsequences: false).map {
            $0.hasPrefix("{") && $0.hasSuffix("}") ? nil : String($0)
        }
        self.templates.append(
            TemplateRoute(
                segments: segments, method: method.uppercased(), handler: handler, maxBodyBytes: maxBodyBytes,
                streamsBody: streamsBody, template: template))
    }

    /// The templated routes whose segments match `path`, with the values of their placeholders.
    private func templateMatches(_ path: Substring) -> [(route: TemplateRoute, values: [String])] {
        guard !self.templates.isEmpty else { return [] }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        var matches: [(route: TemplateRoute, values: [String])] = []
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
            if matched { matches.append((route, values)) }
        }
        return matches
    }

    /// Adds a route, replacing one with the same method and path.
    ///
    /// - Parameters:
    ///   - method: The HTTP method in upper case.
    ///   - path: The exact path, e.g. `/api/health`.
    ///   - maxBodyBytes: The route's own body limit (uploads), or `nil` for the bridge's.
    ///   - handler: Answers the request.
    package mutating func add(_ method: String, _ path: String, maxBodyBytes: Int? = nil, handler: @escaping Handler) {
        self.routes[path, default: [:]][method.uppercased()] = Route(handler: handler, maxBodyBytes: maxBodyBytes)
    }

    /// Marks an exact path as public to every origin: the gateway does not refuse its requests
    /// for an `Origin` outside `API_CORS_ORIGINS` and adds no CORS headers; the route checks the
    /// origin and answers CORS itself (the widget's config endpoint, whose origins are each
    /// channel's).
    ///
    /// - Parameter path: The exact path.
    package mutating func checksOwnOrigin(_ path: String) {
        self.ownOriginPaths.insert(path)
    }

    /// Whether the route at `path` checks `Origin` itself.
    func checksOwnOrigin(path: Substring) -> Bool {
        !self.ownOriginPaths.isEmpty && self.ownOriginPaths.contains(String(path))
    }

    /// The registered routes as `METHOD path`, sorted.
    package var descriptions: [String] {
        (self.routes.flatMap { path, methods in methods.keys.map { "\($0) \(path)" } }
            + self.templates.map { "\($0.method) \($0.template)" }).sorted()
    }

    func lookup(method: String, path: Substring) -> Lookup {
        guard let methods = self.routes[String(path)] else { return self.templateLookup(method: method, path: path) }
        if let route = methods[method] ?? (method == "HEAD" ? methods["GET"] : nil) {
            let handler = route.handler
            return .found { request, _ in await handler(request) }
        }
        var allowed = Set(methods.keys)
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(allowed: allowed.sorted())
    }

    private func templateLookup(method: String, path: Substring) -> Lookup {
        let matches = self.templateMatches(path)
        guard !matches.isEmpty else { return .notFound }
        if let match = matches.first(where: { $0.route.method == method })
            ?? (method == "HEAD" ? matches.first(where: { $0.route.method == "GET" }) : nil)
        {
            let handler = match.route.handler
            let values = match.values
            return .found { request, calls in await handler(request, values, calls) }
        }
        var allowed = Set(matches.map(\.route.method))
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(allowed: allowed.sorted())
    }

    /// Whether any route sets its own body limit.
    var hasOwnBodyLimits: Bool {
        self.routes.values.contains { methods in methods.values.contains { $0.maxBodyBytes != nil } }
            || self.templates.contains { $0.maxBodyBytes != nil }
    }

    /// Whether any route streams its request bodies.
    var hasStreamedBodies: Bool {
        self.templates.contains { $0.streamsBody }
    }

    /// Whether the route `method` and `path` find streams its request body.
    func streamsBody(method: String, path: Substring) -> Bool {
        guard self.routes[String(path)] == nil else { return false }
        return self.templateMatches(path).first { $0.route.method == method }?.route.streamsBody ?? false
    }

    func maxBodyBytes(method: String, path: Substring) -> Int? {
        if let methods = self.routes[String(path)] { return methods[method]?.maxBodyBytes }
        return self.templateMatches(path).first { $0.route.method == method }?.route.maxBodyBytes
    }
}
