/// One HTTP binding of a method, from a `google.api.http` rule or one of its
/// `additional_bindings`.
package struct HTTPBindingModel: Sendable, Hashable {
    /// The HTTP method in upper case, e.g. `GET`.
    package var httpMethod: String
    /// The path template, e.g. `/api/tenants/{tenant_id}`.
    package var pathTemplate: String
    /// The request field the body fills: `*`, a field name, or empty for no body.
    package var body: String
    /// The response field sent as the body, or empty for the whole response.
    package var responseBody: String
    /// The request field paths bound by the path template, in order, e.g. `["tenant_id"]`.
    package var pathVariables: [String]

    /// Creates a binding.
    ///
    /// - Parameters:
    ///   - httpMethod: The HTTP method in upper case.
    ///   - pathTemplate: The path template.
    ///   - body: The body binding.
    ///   - responseBody: The response body binding.
    ///   - pathVariables: The field paths bound by the template.
    package init(httpMethod: String, pathTemplate: String, body: String, responseBody: String, pathVariables: [String])
    {
        self.httpMethod = httpMethod
        self.pathTemplate = pathTemplate
        self.body = body
        self.responseBody = responseBody
        self.pathVariables = pathVariables
    }
}
