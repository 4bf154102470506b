/// A service as the generators see it: names already resolved, no protoc types.
package struct ServiceModel: Sendable, Hashable {
    /// The fully qualified proto name, e.g. `metachat.v1.TenantService`.
    package var fullName: String
    /// The Swift namespace enum, e.g. `Metachat_V1_TenantService`.
    package var namespace: String
    /// The documentation comment lines from the proto file, without comment markers.
    package var documentation: [String]
    /// The service's methods in declaration order.
    package var methods: [MethodModel]

    /// The proto name without the package, e.g. `TenantService`.
    package var name: String { self.fullName.split(separator: ".").last.map(String.init) ?? self.fullName }
    /// The handler protocol's name.
    package var handlerProtocol: String { self.namespace + "Handler" }
    /// The typed client's name.
    package var clientType: String { self.namespace + "Client" }
}
