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
        /// The method's path (`/package.Service/Method`), made once: the metrics' method label.
        package var methodPath: String
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
    /// Entry indices by HTTP method and by the number of segments a request path must have to
    /// match them, so a lookup matches only the few templates of its shape (a scan of every
    /// route, copying each, cost 5 % of a REST GET with a dozen routes).
    /// A handful of methods: compared in turn rather than hashed.
    private var candidates: [(method: String, entries: Candidates)] = []

    /// The entries of one method that a path of a given shape can match.
    private struct Candidates: Sendable {
        /// Templates without `**`, indexed by their segment count.
        var bySegmentCount: [[Int]] = []
        /// Templates ending in `**` (matching their segment count less one, or more).
        var open: [Int] = []

        func indices(segmentCount: Int) -> [Int] {
            let exact = segmentCount < self.bySegmentCount.count ? self.bySegmentCount[segmentCount] : []
            return self.open.isEmpty ? exact : exact + self.open
        }

        mutating func add(_ index: Int, template: PathTemplate) {
            if template.segments.last == .rest {
                self.open.append(index)
                return
            }
            let count = template.segments.count
            while self.bySegmentCount.count <= count {
                self.bySegmentCount.append([])
            }
            self.bySegmentCount[count].append(index)
        }
    }

    /// The candidates of `method` for a path of `segmentCount` segments.
    private func candidates(of method: String, segmentCount: Int) -> [Int] {
        for (known, entries) in self.candidates where known == method {
            return entries.indices(segmentCount: segmentCount)
        }
        return []
    }

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
            let template = try PathTemplate(route.pathTemplate)
            let index = self.entries.count
            self.entries.append(
                Entry(route: route, template: template, handler: handler, methodPath: handler.descriptor.path))
            if let position = self.candidates.firstIndex(where: { $0.method == route.httpMethod }) {
                self.candidates[position].entries.add(index, template: template)
            } else {
                var entries = Candidates()
                entries.add(index, template: template)
                self.candidates.append((route.httpMethod, entries))
            }
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
        var best: (index: Int, values: [(fieldPath: String, value: String)])?
        var bestHeadFallback: (index: Int, values: [(fieldPath: String, value: String)])?
        var pathMatched = false
        for index in self.candidates(of: method, segmentCount: segments.count) {
            guard let values = self.entries[index].template.match(segments) else { continue }
            pathMatched = true
            if best.map({ Self.isMoreSpecific(self.entries[index].template, than: self.entries[$0.index].template) })
                ?? true
            {
                best = (index, values)
            }
        }
        if best == nil, method == "HEAD" {
            for index in self.candidates(of: "GET", segmentCount: segments.count) {
                guard let values = self.entries[index].template.match(segments) else { continue }
                pathMatched = true
                if bestHeadFallback.map({
                    Self.isMoreSpecific(self.entries[index].template, than: self.entries[$0.index].template)
                }) ?? true {
                    bestHeadFallback = (index, values)
                }
            }
        }
        if let match = best ?? bestHeadFallback {
            return .matched(self.entries[match.index], match.values)
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
