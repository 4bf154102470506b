/// Everything the API documents describe: the services, their resolved REST routes, and
/// the messages and enums those routes use.
package struct APIModel: Sendable, Hashable {
    /// The services in file and declaration order.
    package var services: [ServiceModel]
    /// One route per HTTP binding, in service, method and binding order.
    package var routes: [RouteModel]
    /// The messages and enums the routes reach.
    package var types: TypeCatalog

    /// Creates a model.
    ///
    /// - Parameters:
    ///   - services: The services.
    ///   - routes: The resolved routes.
    ///   - types: The messages and enums the routes reach.
    package init(services: [ServiceModel], routes: [RouteModel], types: TypeCatalog) {
        self.services = services
        self.routes = routes
        self.types = types
    }
}
