internal import EchoFixture
internal import Logging
package import RESTBridge
package import RPCServer

/// The server the HTTP fuzz targets attack: the echo fixture's gRPC service, health and
/// reflection, its REST routes through the REST gateway (with raw routes, one of them with its
/// own body limit), gRPC-Web, and a WebSocket echo route, all with the production defaults.
/// It is what `echo-server` serves, built once per fuzz process and shared by every input, as a
/// server shares it across connections.
package final class EchoStack: Sendable {
    /// The server; its connections are in-memory channels (``ConnectionHarness``).
    package let server: RPCServer
    /// The REST gateway the server answers plain HTTP with, for targets that call it directly.
    package let gateway: RESTGateway
    /// The echo fixture's methods.
    package let router: RPCRouter

    /// The echo fixture's generated REST routes.
    package static var restRoutes: [RESTRoute] {
        Metachat_Fixture_V1_EchoService.restRoutes
    }

    /// The WebSocket route's path.
    package static let webSocketPath = "/v1/ws/echo"

    /// The stack every input of a fuzz process shares, built on first use.
    package static let shared: EchoStack = {
        do {
            return try EchoStack()
        } catch {
            preconditionFailure("The echo stack could not be built: \(error)")
        }
    }()

    /// Builds the stack.
    package init() throws {
        let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        var routes = RawRouteTable()
        routes.add("GET", "/ping") { _ in .json(status: 200, #"{"pong":true}"#) }
        routes.add("POST", "/upload", maxBodyBytes: 64 * 1024) { request in
            .json(status: 200, #"{"received":\#(request.body.count)}"#)
        }
        var rest = RESTConfiguration()
        rest.cors = CORSPolicy(list: "https://app.example")
        self.router = router
        let gateway = try RESTGateway(
            routes: Metachat_Fixture_V1_EchoService.restRoutes,
            dispatcher: RPCDispatcher(router: router, interceptors: []),
            schema: try SchemaRegistry(descriptorSets: [EchoDescriptorSet.bytes]),
            rawRoutes: routes,
            configuration: rest,
            logger: logger
        )
        self.gateway = gateway
        var sockets = WebSocketRouteTable()
        sockets.add(Self.webSocketPath) { session, _ in
            for try await message in session.messages {
                try await session.send(message)
            }
        }
        let configuration = RPCServerConfiguration(host: "127.0.0.1", port: 0, maxRequestBodyBytes: 5 * 1024 * 1024)
        self.server = RPCServer(
            configuration: configuration,
            router: router,
            responder: gateway,
            webSockets: sockets,
            reflection: try ReflectionService(descriptorSets: [EchoDescriptorSet.bytes]),
            logger: logger
        )
    }
}
