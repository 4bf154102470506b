/// One REST route with every field binding resolved against the message types: what the
/// path, the query string and the body carry, and what the response is.
package struct RouteModel: Sendable, Hashable {
    /// A path or query parameter and the request field it fills.
    package struct Parameter: Sendable, Hashable {
        /// The parameter name: as written in the template for path variables (`target.room_id`),
        /// the dotted lowerCamelCase JSON path for query parameters (`filter.status`).
        package var name: String
        /// The field the value fills (the last field of a dotted path).
        package var field: FieldModel

        /// Creates a parameter.
        ///
        /// - Parameters:
        ///   - name: The parameter name.
        ///   - field: The field the value fills.
        package init(name: String, field: FieldModel) {
            self.name = name
            self.field = field
        }
    }

    /// What the request body carries.
    package enum Body: Sendable, Hashable {
        /// No body.
        case none
        /// `body: "*"`: the fields of the request message that the path does not bind.
        case request(message: String, fields: [FieldModel])
        /// `body: "<field>"`: one field of the request.
        case field(FieldModel)
    }

    /// What the response body carries.
    package enum Response: Sendable, Hashable {
        /// The whole response message.
        case message(String)
        /// `response_body: "<field>"`: one field of the response message.
        case field(FieldModel, of: String)
    }

    /// The service's short name, e.g. `TenantService`; the OpenAPI tag.
    package var serviceName: String
    /// The service's fully qualified name.
    package var serviceFullName: String
    /// The method.
    package var method: MethodModel
    /// The HTTP binding as annotated.
    package var binding: HTTPBindingModel
    /// Unique per document: `Service_Method`, with `_2`, `_3`, ... for additional bindings.
    package var operationID: String
    /// The path in OpenAPI form: `{a.b=*}` becomes `{a.b}`.
    package var openAPIPath: String
    /// The path variables in template order.
    package var pathParameters: [Parameter]
    /// The query parameters; empty when the body is `*`.
    package var queryParameters: [Parameter]
    /// The request body.
    package var body: Body
    /// The response body.
    package var response: Response
    /// The auth schemes the service's documentation names; empty for none.
    package var auth: [AuthScheme]

    /// Whether the route answers a stream of messages (Server-Sent Events or NDJSON).
    package var isStreaming: Bool {
        self.method.kind == .serverStreaming
    }
}
