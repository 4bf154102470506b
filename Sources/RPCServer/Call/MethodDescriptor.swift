/// Names one RPC method: the fully qualified service and the method within it.
///
/// The gRPC path of the method is `/<service>/<method>`, e.g.
/// `/metachat.v1.TenantService/GetTenant`.
package struct MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// The fully qualified service name, e.g. `metachat.v1.TenantService`.
    package let service: String
    /// The method name, e.g. `GetTenant`.
    package let method: String
    /// How many messages flow each way.
    package let kind: RPCKind
    /// The HTTP/2 `:path` of the method, made once: every call reads it (routing, metrics, the
    /// API log), and building it each time cost an allocation.
    package let path: String

    /// Creates a descriptor.
    ///
    /// - Parameters:
    ///   - service: The fully qualified service name.
    ///   - method: The method name.
    ///   - kind: The call kind.
    package init(service: String, method: String, kind: RPCKind) {
        self.service = service
        self.method = method
        self.kind = kind
        self.path = "/\(service)/\(method)"
    }

    package var description: String { self.path }
}
