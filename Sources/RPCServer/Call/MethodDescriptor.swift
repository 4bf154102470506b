/// Names one RPC method: the fully qualified service and the method within it.
///
/// The gRPC path of the method is `/<service>/<method>`, e.g.
/// `/metachat.v1.TenantService/GetTenant`.
package struct MethodDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// The fully qualified service name, e.g. `metachat.v1.TenantService`.
    package var service: String
    /// The method name, e.g. `GetTenant`.
    package var method: String
    /// How many messages flow each way.
    package var kind: RPCKind

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
    }

    /// The HTTP/2 `:path` of the method.
    package var path: String { "/\(self.service)/\(self.method)" }

    package var description: String { self.path }
}
