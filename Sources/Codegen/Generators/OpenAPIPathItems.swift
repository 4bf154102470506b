/// The `paths` object of an OpenAPI document under construction: paths and their operations
/// in the order they were added.
struct OpenAPIPathItems {
    /// The HTTP methods a path item can hold, in upper case.
    static let operationMethods: Set<String> = ["GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"]

    private var items: [(path: String, operations: [(method: String, operation: JSONValue)])] = []

    /// Whether an operation exists for the method and path.
    ///
    /// - Parameters:
    ///   - method: The HTTP method in upper case.
    ///   - path: The OpenAPI path.
    /// - Returns: `true` when one was added.
    func contains(method: String, path: String) -> Bool {
        self.items.contains { $0.path == path && $0.operations.contains { $0.method == method } }
    }

    /// Adds an operation.
    ///
    /// - Parameters:
    ///   - method: The HTTP method in upper case.
    ///   - path: The OpenAPI path.
    ///   - operation: The operation object.
    ///   - context: What declared the route, for error messages.
    /// - Throws: ``CodegenError`` when OpenAPI has no such method or the method and path
    ///   already have an operation.
    mutating func add(method: String, path: String, operation: JSONValue, context: String) throws {
        guard Self.operationMethods.contains(method) else {
            throw CodegenError(
                code: .invalidHTTPRule,
                message: "\(context): OpenAPI cannot describe the HTTP method '\(method)'."
            )
        }
        guard !self.contains(method: method, path: path) else {
            throw CodegenError(
                code: .invalidHTTPRule, message: "\(context): another route already binds \(method) \(path).")
        }
        if let index = self.items.firstIndex(where: { $0.path == path }) {
            self.items[index].operations.append((method, operation))
        } else {
            self.items.append((path, [(method, operation)]))
        }
    }

    /// Adds a response to an existing operation, before its `default` response.
    ///
    /// - Parameters:
    ///   - status: The status code key, e.g. `503`.
    ///   - response: The response object.
    ///   - method: The operation's HTTP method in upper case.
    ///   - path: The operation's OpenAPI path.
    mutating func addResponse(_ status: String, _ response: JSONValue, method: String, path: String) {
        guard let pathIndex = self.items.firstIndex(where: { $0.path == path }),
            let operationIndex = self.items[pathIndex].operations.firstIndex(where: { $0.method == method }),
            case .object(var responses) = self.items[pathIndex].operations[operationIndex].operation["responses"]
        else { return }
        let position = responses.firstIndex { $0.key == "default" } ?? responses.endIndex
        responses.insert(JSONValue.Member(status, response), at: position)
        let operation = self.items[pathIndex].operations[operationIndex].operation
        self.items[pathIndex].operations[operationIndex].operation = operation.setting("responses", .object(responses))
    }

    /// The `paths` object.
    var json: JSONValue {
        .object(
            self.items.map { item in
                JSONValue.Member(
                    item.path,
                    .object(item.operations.map { JSONValue.Member($0.method.lowercased(), $0.operation) })
                )
            }
        )
    }
}
