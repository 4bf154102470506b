import Foundation
import MetaChatAPI
import RESTBridge
import RPCServer
import Testing

/// The served OpenAPI document (`MetaChatOpenAPI.json`) against the route tables the REST
/// bridge actually serves.
@Suite("The MetaChat OpenAPI document")
struct OpenAPIDocumentTests {
    /// Every service with REST routes, by tag.
    private static let routeTables: [String: [RESTRoute]] = [
        "AdminService": Metachat_V1_AdminService.restRoutes,
        "ChannelService": Metachat_V1_ChannelService.restRoutes,
        "ChatService": Metachat_V1_ChatService.restRoutes,
        "ConversationService": Metachat_V1_ConversationService.restRoutes,
        "DocumentService": Metachat_V1_DocumentService.restRoutes,
        "SecurityService": Metachat_V1_SecurityService.restRoutes,
        "SystemService": Metachat_V1_SystemService.restRoutes,
        "TenantService": Metachat_V1_TenantService.restRoutes,
        "WebhookService": Metachat_V1_WebhookService.restRoutes,
    ]

    /// The tag of the hand-written routes.
    private static let handWrittenTag = "Server"

    private static func document() throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(MetaChatOpenAPI.json.utf8))
        return try #require(parsed as? [String: Any])
    }

    /// `{a.b=*}` → `{a.b}`.
    private static func openAPIPath(_ template: String) -> String {
        template.replacing(/\{([^}=]+)=[^}]*\}/) { match in "{\(match.1)}" }
    }

    @Test("The document parses as OpenAPI 3.1 JSON")
    func parses() throws {
        let document = try Self.document()

        #expect(document["openapi"] as? String == "3.1.0")
        #expect((document["info"] as? [String: Any])?["title"] as? String == "MetaChat API")
    }

    @Test("Every route the bridge serves has its operation, tagged with its service")
    func everyRouteHasAnOperation() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: [String: [String: Any]]])

        for (service, routes) in Self.routeTables {
            for route in routes {
                let operation = paths[Self.openAPIPath(route.pathTemplate)]?[route.httpMethod.lowercased()]
                #expect(operation != nil, "no operation for \(route.httpMethod) \(route.pathTemplate)")
                #expect(operation?["tags"] as? [String] == [service])
                let operationID = operation?["operationId"] as? String
                #expect(operationID?.hasPrefix("\(service)_\(route.method.method)") == true)
            }
        }
    }

    @Test("Apart from the hand-written routes, the document has no operation the bridge does not serve")
    func noOtherOperations() throws {
        let paths = try #require(try Self.document()["paths"] as? [String: [String: [String: Any]]])

        let generated = paths.values.flatMap(\.values).filter {
            ($0["tags"] as? [String]) != [Self.handWrittenTag]
        }
        #expect(generated.count == Self.routeTables.values.map(\.count).reduce(0, +))
        let tags = Set(paths.values.flatMap(\.values).compactMap { ($0["tags"] as? [String])?.first })
        #expect(tags == Set(Self.routeTables.keys).union([Self.handWrittenTag]))
        for path in ["/health", "/metrics", "/api/openapi.json"] {
            #expect(paths[path]?["get"] != nil, "no hand-written GET \(path)")
        }
    }

    @Test("docs/openapi.json is the served document")
    func committedFileMatches() throws {
        let file = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().appendingPathComponent("../../docs/openapi.json")

        #expect(try String(contentsOf: file, encoding: .utf8) == MetaChatOpenAPI.json + "\n")
    }
}
