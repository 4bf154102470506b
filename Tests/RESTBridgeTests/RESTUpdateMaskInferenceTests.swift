import Logging
import MetaChatAPI
import RESTBridge
import RPCServer
import SwiftProtobuf
import Synchronization
import Testing

/// A REST PATCH without `updateMask` gets the mask of the JSON keys present in its body (grpc-gateway's
/// rule), on MetaChat's generated tenant route: explicit zero and `false` values are named like any
/// other, nested objects become dotted paths to their members, and an `updateMask` query parameter wins.
@Suite("REST PATCH: update masks inferred from the body")
struct RESTUpdateMaskInferenceTests {
    static let path = "/api/tenants/8d0c1f8e-56a4-4d4e-9a51-0c3b1b2f7a10"

    @Test(
        "The mask names each key present in the body, nested objects as dotted paths to their members",
        arguments: [
            (#"{"enabled":false}"#, ["enabled"]),
            (#"{"settings":{"rag":{"topK":0}}}"#, ["settings.rag.top_k"]),
            (#"{"settings":{"rate_limit":{"window_seconds":0}}}"#, ["settings.rate_limit.window_seconds"]),
            (
                #"{"name":"","settings":{"llm":{"model":"m","temperature":0.5},"widget":{}},"metadata":{"a":"b"}}"#,
                ["name", "settings.llm.model", "settings.llm.temperature", "settings.widget", "metadata"]
            ),
            (
                #"{"settings":{"escalation":{"keywords":[]},"rag":{"enabled":false}}}"#,
                ["settings.escalation.keywords", "settings.rag.enabled"]
            ),
            (#"{"settings":null}"#, ["settings"]),
            (#"{"metadata":{}}"#, ["metadata"]),
            (#"{}"#, []),
        ] as [(String, [String])]
    )
    func infersMaskFromBodyKeys(body: String, paths: [String]) async throws {
        let service = RecordingTenantService()
        let gateway = try Self.gateway(service)

        let response = await gateway.respond(to: Self.patch(Self.path, body: body))

        #expect(response.status == 200, "\(String(decoding: response.body, as: UTF8.self))")
        let request = try #require(service.lastUpdate)
        #expect(request.updateMask.paths == paths)
        #expect(request.tenantID == "8d0c1f8e-56a4-4d4e-9a51-0c3b1b2f7a10")
    }

    @Test("An updateMask query parameter wins over the keys of the body")
    func explicitMaskWins() async throws {
        let service = RecordingTenantService()
        let gateway = try Self.gateway(service)

        let response = await gateway.respond(
            to: Self.patch(Self.path + "?updateMask=name,settings.rag", body: #"{"enabled":false,"name":"n"}"#))

        #expect(response.status == 200)
        #expect(service.lastUpdate?.updateMask.paths == ["name", "settings.rag"])
    }

    @Test("The body's values still reach the handler unchanged")
    func bodyValuesArrive() async throws {
        let service = RecordingTenantService()
        let gateway = try Self.gateway(service)

        _ = await gateway.respond(to: Self.patch(Self.path, body: #"{"enabled":false,"settings":{"rag":{"topK":7}}}"#))

        let request = try #require(service.lastUpdate)
        #expect(request.tenant.enabled == false)
        #expect(request.tenant.settings.rag.topK == 7)
        #expect(request.updateMask.paths == ["enabled", "settings.rag.top_k"])
    }

    static func patch(_ target: String, body: String) -> HTTPRequest {
        HTTPRequest(
            method: "PATCH", target: target, headers: [("content-type", "application/json")], body: Array(body.utf8),
            peer: "127.0.0.1:50000")
    }

    static func gateway(_ service: RecordingTenantService) throws -> RESTGateway {
        var router = RPCRouter()
        service.registerMethods(with: &router)
        return try RESTGateway(
            routes: Metachat_V1_TenantService.restRoutes,
            dispatcher: RPCDispatcher(router: router, interceptors: []),
            schema: SchemaRegistry(descriptorSets: [MetaChatDescriptorSet.bytes]),
            rawRoutes: RawRouteTable(),
            configuration: RESTConfiguration(),
            logger: Logger(label: "test")
        )
    }
}

/// A tenant service that remembers the last UpdateTenant request it received and answers every
/// call with an empty tenant.
final class RecordingTenantService: Metachat_V1_TenantService.Handler {
    private let updates = Mutex<Metachat_V1_UpdateTenantRequest?>(nil)

    /// The last UpdateTenant request.
    var lastUpdate: Metachat_V1_UpdateTenantRequest? { self.updates.withLock { $0 } }

    func createTenant(
        request: Metachat_V1_CreateTenantRequest, context: ServerContext
    ) async throws -> Metachat_V1_Tenant {
        Metachat_V1_Tenant()
    }

    func listTenants(
        request: Metachat_V1_ListTenantsRequest, context: ServerContext
    ) async throws -> Metachat_V1_ListTenantsResponse {
        Metachat_V1_ListTenantsResponse()
    }

    func getTenant(request: Metachat_V1_GetTenantRequest, context: ServerContext) async throws -> Metachat_V1_Tenant {
        Metachat_V1_Tenant()
    }

    func updateTenant(
        request: Metachat_V1_UpdateTenantRequest, context: ServerContext
    ) async throws -> Metachat_V1_Tenant {
        self.updates.withLock { $0 = request }
        return request.tenant
    }

    func disableTenant(
        request: Metachat_V1_DisableTenantRequest, context: ServerContext
    ) async throws -> Metachat_V1_Tenant {
        Metachat_V1_Tenant()
    }

    func listApiLogs(
        request: Metachat_V1_ListApiLogsRequest, context: ServerContext
    ) async throws -> Metachat_V1_ListApiLogsResponse {
        Metachat_V1_ListApiLogsResponse()
    }
}
