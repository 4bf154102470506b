package import RPCServer

/// The OpenAPI document a server publishes: the generated document of the whole contract,
/// narrowed to the operations this server actually serves, so clients and tools such as
/// schemathesis never see routes that would answer 404.
package enum ServedOpenAPIDocument {
    private static let operationKeys: Set<String> = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ]

    /// Narrows a document to the served routes.
    ///
    /// - Parameters:
    ///   - document: The generated OpenAPI 3.1 JSON.
    ///   - routes: Every generated route.
    ///   - router: The handlers this server runs.
    ///   - rawRoutes: The hand-written routes the server serves; their operations stay too.
    /// - Returns: The narrowed document as compact JSON.
    /// - Throws: When the document is not JSON or a route template is malformed.
    package static func narrow(
        _ document: String,
        routes: [RESTRoute],
        router: RPCRouter,
        rawRoutes: RawRouteTable = RawRouteTable()
    ) throws -> [UInt8] {
        let table = try RESTRouteTable(routes: routes, router: router)
        var served = Set(table.entries.map { "\($0.route.httpMethod.lowercased()) \($0.template.openAPIPath)" })
        for description in rawRoutes.descriptions {
            let parts = description.split(separator: " ", maxSplits: 1)
            if parts.count == 2 {
                served.insert("\(parts[0].lowercased()) \(parts[1])")
            }
        }
        guard case .object(var members) = try JSONParser.parse(Array(document.utf8)) else {
            throw RPCError(code: .internalError, message: "The OpenAPI document is not a JSON object.")
        }
        if let index = members.firstIndex(where: { $0.key == "paths" }), case .object(let paths) = members[index].value
        {
            var kept: [(key: String, value: JSONValue)] = []
            for (path, item) in paths {
                guard case .object(let fields) = item else { continue }
                let remaining = fields.filter { field in
                    !Self.operationKeys.contains(field.key) || served.contains("\(field.key) \(path)")
                }
                if remaining.contains(where: { Self.operationKeys.contains($0.key) }) {
                    kept.append((path, .object(remaining)))
                }
            }
            members[index].value = .object(kept)
        }
        return Array(JSONValue.object(members).text.utf8)
    }
}
