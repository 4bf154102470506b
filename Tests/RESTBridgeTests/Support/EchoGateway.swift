import EchoFixture
import Logging
import RESTBridge
import RPCServer

/// The echo fixture's REST routes served in memory, with the request helpers the tests share.
struct EchoGateway {
    let gateway: RESTGateway
    let handler: EchoHandler

    init(configuration: RESTConfiguration = RESTConfiguration(), interceptors: [any ServerInterceptor] = []) throws {
        let handler = EchoHandler()
        var router = RPCRouter()
        handler.registerMethods(with: &router)
        var raw = RawRouteTable()
        raw.add("GET", "/ping") { _ in .json(status: 200, #"{"pong":true}"#) }
        self.handler = handler
        self.gateway = try RESTGateway(
            routes: Metachat_Fixture_V1_EchoService.restRoutes,
            dispatcher: RPCDispatcher(router: router, interceptors: interceptors),
            schema: SchemaRegistry(descriptorSets: [EchoDescriptorSet.bytes]),
            rawRoutes: raw,
            configuration: configuration,
            logger: Logger(label: "test")
        )
    }

    /// Sends one request.
    func send(
        _ method: String,
        _ target: String,
        json: String? = nil,
        headers: [(name: String, value: String)] = [],
        peer: String = "127.0.0.1:50000"
    ) async -> HTTPResponse {
        var allHeaders = headers
        if json != nil, !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            allHeaders.append(("content-type", "application/json"))
        }
        return await self.gateway.respond(
            to: HTTPRequest(
                method: method,
                target: target,
                headers: allHeaders,
                body: Array((json ?? "").utf8),
                peer: peer
            )
        )
    }
}

extension HTTPResponse {
    /// The body as text.
    var text: String { String(decoding: self.body, as: UTF8.self) }

    /// The first value of a header.
    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name }?.value
    }

    /// The body parsed as JSON.
    func json() throws -> JSONValue { try JSONParser.parse(self.body) }

    /// Every chunk of a streamed body, joined.
    func collectStream() async throws -> String {
        var text = self.text
        if let stream = self.bodyStream {
            for try await chunk in stream {
                text += String(decoding: chunk, as: UTF8.self)
            }
        }
        return text
    }
}
