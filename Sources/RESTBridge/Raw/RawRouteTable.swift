public import RPCServer

/// Hand-written HTTP routes matched by exact method and path: health, metrics, and (later)
/// Meta webhooks and uploads, which need the raw request.
///
/// Unknown paths answer 404 and known paths with another method 405 with `Allow`, both in the
/// one error shape. Every response carries `x-request-id`, echoed when the client sent one.
public struct RawRouteTable: HTTPResponder {
    /// Answers one request.
    public typealias Handler = @Sendable (HTTPRequest) async -> HTTPResponse

    private var routes: [String: [String: Handler]]

    /// Creates an empty table.
    public init() {
        self.routes = [:]
    }

    /// Adds a route, replacing one with the same method and path.
    ///
    /// - Parameters:
    ///   - method: The HTTP method in upper case.
    ///   - path: The exact path, e.g. `/api/health`.
    ///   - handler: Answers the request.
    public mutating func add(_ method: String, _ path: String, handler: @escaping Handler) {
        self.routes[path, default: [:]][method.uppercased()] = handler
    }

    /// The registered routes as `METHOD path`, sorted.
    public var descriptions: [String] {
        self.routes.flatMap { path, methods in methods.keys.map { "\($0) \(path)" } }.sorted()
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let requestID = request.header("x-request-id").flatMap(RequestID.validated) ?? RequestID.generate()
        var response: HTTPResponse
        if let methods = self.routes[String(request.path)] {
            let method = request.method == "HEAD" && methods["HEAD"] == nil ? "GET" : request.method
            if let handler = methods[method] {
                response = await handler(request)
            } else {
                response = ErrorBody.response(
                    httpStatus: 405,
                    statusName: "METHOD_NOT_ALLOWED",
                    message: "\(request.method) is not allowed on \(request.path)."
                )
                response.headers.append(("allow", methods.keys.sorted().joined(separator: ", ")))
            }
        } else {
            response = ErrorBody.response(for: RPCError(code: .notFound, message: "No route matches \(request.path)."))
        }
        response.headers.append(("x-request-id", requestID))
        return response
    }
}
