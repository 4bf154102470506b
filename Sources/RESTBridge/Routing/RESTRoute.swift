package import RPCServer
package import SwiftProtobuf

/// One HTTP/JSON endpoint bound to an RPC method, as generated from a `google.api.http`
/// annotation.
///
/// The route is data: the bridge decodes the JSON body, path variables and query parameters
/// into ``requestType``, calls the same handler the gRPC face calls (found by ``method``), and
/// encodes ``responseType`` (or its ``responseBody`` field) as JSON.
package struct RESTRoute: Sendable {
    /// The HTTP method in upper case, e.g. `GET`.
    package var httpMethod: String
    /// The path template with `{field}` / `{a.b}` / `{field=pattern}` variables.
    package var pathTemplate: String
    /// The request field the body fills: `*` for all fields not bound by the path, a field
    /// name, or empty for no body.
    package var body: String
    /// The response field sent as the body, or empty for the whole response message.
    package var responseBody: String
    /// The RPC method the route calls.
    package var method: MethodDescriptor
    /// The request message type.
    package var requestType: any SwiftProtobuf.Message.Type
    /// The response message type.
    package var responseType: any SwiftProtobuf.Message.Type

    /// Creates a route.
    ///
    /// - Parameters:
    ///   - httpMethod: The HTTP method.
    ///   - pathTemplate: The path template.
    ///   - body: The body binding.
    ///   - responseBody: The response field binding.
    ///   - method: The RPC method.
    ///   - requestType: The request message type.
    ///   - responseType: The response message type.
    package init(
        httpMethod: String,
        pathTemplate: String,
        body: String,
        responseBody: String,
        method: MethodDescriptor,
        requestType: any SwiftProtobuf.Message.Type,
        responseType: any SwiftProtobuf.Message.Type
    ) {
        self.httpMethod = httpMethod
        self.pathTemplate = pathTemplate
        self.body = body
        self.responseBody = responseBody
        self.method = method
        self.requestType = requestType
        self.responseType = responseType
    }
}
