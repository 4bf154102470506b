package import RPCServer

/// Hand-written HTTP routes matched by exact method and path: health, metrics, the OpenAPI
/// document, and (later) Meta webhooks and uploads, which need the raw request.
///
/// The table is data; ``RESTGateway`` serves it ahead of the generated routes, with the same
/// request ids, error shape, CORS and security headers.
package struct RawRouteTable: Sendable {
    /// Answers one request.
    package typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    /// One route.
    struct Route: Sendable {
        var handler: Handler
        var maxBodyBytes: Int?
    }

    /// What a method and path found.
    enum Lookup {
        case found(Handler)
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private var routes: [String: [String: Route]]

    /// Creates an empty table.
    package init() {
        self.routes = [:]
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

    /// The registered routes as `METHOD path`, sorted.
    package var descriptions: [String] {
        self.routes.flatMap { path, methods in methods.keys.map { "\($0) \(path)" } }.sorted()
    }

    func lookup(method: String, path: Substring) -> Lookup {
        guard let methods = self.routes[String(path)] else { return .notFound }
        if let route = methods[method] ?? (method == "HEAD" ? methods["GET"] : nil) {
            return .found(route.handler)
        }
        var allowed = Set(methods.keys)
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(allowed: allowed.sorted())
    }

    /// Whether any route sets its own body limit.
    var hasOwnBodyLimits: Bool {
        self.routes.values.contains { methods in methods.values.contains { $0.maxBodyBytes != nil } }
    }

    func maxBodyBytes(method: String, path: Substring) -> Int? {
        self.routes[String(path)]?[method]?.maxBodyBytes
    }
}
