/// One RPC method as the generators see it.
package struct MethodModel: Sendable, Hashable {
    /// How many messages flow each way.
    package enum Kind: Sendable, Hashable {
        /// One request, one response.
        case unary
        /// One request, a stream of responses.
        case serverStreaming
        /// A stream of requests, one response.
        case clientStreaming
        /// Streams both ways.
        case bidirectionalStreaming

        /// The matching `RPCKind` member spelled in Swift.
        package var rpcKindExpression: String {
            switch self {
            case .unary: ".unary"
            case .serverStreaming: ".serverStreaming"
            case .clientStreaming: ".clientStreaming"
            case .bidirectionalStreaming: ".bidirectionalStreaming"
            }
        }
    }

    /// The proto method name, e.g. `GetTenant`.
    package var protoName: String
    /// The Swift function name, e.g. `getTenant`.
    package var swiftName: String
    /// The Swift type of the request message.
    package var inputType: String
    /// The Swift type of the response message.
    package var outputType: String
    /// The fully qualified proto name of the request message, e.g. `metachat.v1.GetTenantRequest`.
    package var inputMessage: String
    /// The fully qualified proto name of the response message.
    package var outputMessage: String
    /// The call kind.
    package var kind: Kind
    /// The documentation comment lines from the proto file.
    package var documentation: [String]
    /// The HTTP bindings from `google.api.http`, primary first; empty without a REST face.
    package var httpBindings: [HTTPBindingModel]
}
