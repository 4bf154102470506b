/// A route the server answers with a hand-written handler instead of the REST bridge, listed
/// so that the API documents cover it too.
package struct RawRoute: Sendable, Hashable {
    /// What a successful answer carries.
    package enum Answer: Sendable, Hashable {
        /// A message in the protobuf JSON mapping, by fully qualified proto name.
        case message(String)
        /// Text with the given content type.
        case text(contentType: String)
        /// A JSON object without a message type (e.g. the OpenAPI document itself).
        case jsonObject
    }

    /// The HTTP method in upper case.
    package var httpMethod: String
    /// The exact path.
    package var path: String
    /// The OpenAPI operation ID, used when no annotated route has the same method and path.
    package var operationID: String
    /// One sentence saying what the route answers.
    package var summary: String
    /// What a successful answer carries.
    package var answer: Answer
    /// When the route answers 503 with its normal body instead of the error shape (e.g.
    /// "when the status is UNHEALTHY"); `nil` when it never does.
    package var unavailableWhen: String?
    /// The environment variable whose value the route wants as `Authorization: Bearer`;
    /// `nil` when it needs no credentials.
    package var bearerTokenVariable: String?

    /// Creates a route.
    ///
    /// - Parameters:
    ///   - httpMethod: The HTTP method in upper case.
    ///   - path: The exact path.
    ///   - operationID: The OpenAPI operation ID.
    ///   - summary: What the route answers.
    ///   - answer: What a successful answer carries.
    ///   - unavailableWhen: When 503 carries the normal body, or `nil`.
    ///   - bearerTokenVariable: The variable holding the bearer token it needs, or `nil`.
    package init(
        httpMethod: String,
        path: String,
        operationID: String,
        summary: String,
        answer: Answer,
        unavailableWhen: String? = nil,
        bearerTokenVariable: String? = nil
    ) {
        self.bearerTokenVariable = bearerTokenVariable
        self.httpMethod = httpMethod
        self.path = path
        self.operationID = operationID
        self.summary = summary
        self.answer = answer
        self.unavailableWhen = unavailableWhen
    }
}
