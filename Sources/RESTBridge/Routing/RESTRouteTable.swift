package import RPCServer

/// The generated routes compiled for matching: each template once, the handler resolved once.
package struct RESTRouteTable: Sendable {
    /// A route ready to serve.
    package struct Entry: Sendable {
        /// The generated route.
        package var route: RESTRoute
        /// Its compiled path template.
        package var template: PathTemplate
        /// The handler of its RPC method.
        package var handler: RPCMethodHandler
    }

    /// What a request's method and path found.
    package enum Lookup {
        /// A route, with its path variables decoded.
        case matched(Entry, [(fieldPath: String, value: String)])
        /// The path exists, but not for this method.
        case methodNotAllowed(allowed: [String])
        /// No template matches the path.
        case notFound
    }

    /// The compiled routes, in registration order.
    package private(set) var entries: [Entry] = []

    /// Compiles the routes whose RPC method has a handler in the router; routes of services
    /// this server does not run are left out (they answer 404, and the served OpenAPI document
    /// omits them).
    ///
    /// - Parameters:
    ///   - routes: The generated routes.
    ///   - router: The handlers.
    /// - Throws: ``PathTemplate/Malformed`` for a bad template.
    package init(routes: [RESTRoute], router: RPCRouter) throws {
        for route in routes {
            guard let handler = router.handler(forPath: route.method.path[...]) else { continue }
            self.entries.append(Entry(route: route, template: try PathTemplate(route.pathTemplate), handler: handler))
        }
    }

    /// Finds the route for a request.
    ///
    /// - Parameters:
    ///   - method: The HTTP method; `HEAD` falls back to `GET`.
    ///   - path: The path without the query.
    package func lookup(method: String, path: Substring) -> Lookup {
        guard path.first == "/" else { return .notFound }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        var best: (entry: Entry, values: [(fieldPath: String, value: String)])?
        var bestHeadFallback: (entry: Entry, values: [(fieldPath: String, value: String)])?
        var pathMatched = false
        for entry in self.entries {
            let routeMethod = entry.route.httpMethod
            let candidate = routeMethod == method || (method == "HEAD" && routeMethod == "GET")
            // Templates of other methods are matched only to tell 405 from 404, after a miss.
            guard candidate else { continue }
            guard let values = entry.template.match(segments) else { continue }
            pathMatched = true
            if routeMethod == method {
                if best.map({ Self.isMoreSpecific(entry.template, than: $0.entry.template) }) ?? true {
                    best = (entry, values)
                }
            } else if bestHeadFallback.map({ Self.isMoreSpecific(entry.template, than: $0.entry.template) }) ?? true {
                bestHeadFallback = (entry, values)
            }
        }
        if let match = best ?? bestHeadFallback {
            return .matched(match.entry, match.values)
        }
        var allowed: Set<String> = []
        for entry in self.entries where entry.template.match(segments) != nil {
            allowed.insert(entry.route.httpMethod)
        }
        if allowed.isEmpty && !pathMatched {
            return .notFound
        }
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(allowed: allowed.sorted())
    }

    private static func isMoreSpecific(_ candidate: PathTemplate, than current: PathTemplate) -> Bool {
        current.specificity.lexicographicallyPrecedes(candidate.specificity)
    }
}
