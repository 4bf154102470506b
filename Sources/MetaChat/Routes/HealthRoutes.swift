internal import Handlers
internal import MetaChatAPI
internal import RESTBridge
internal import RPCServer
internal import SwiftProtobuf

/// The hand-written health routes: `/api/health`, `/api/health/live`, `/api/health/ready`
/// and `/health`.
///
/// `/api/health` answers 200 when healthy or degraded and 503 when unhealthy, with the full
/// report either way, so load balancers and operators read the same document.
enum HealthRoutes {
    /// Adds the routes.
    ///
    /// - Parameters:
    ///   - table: The raw route table.
    ///   - handler: The system handler that produces the reports.
    static func register(in table: inout RawRouteTable, handler: SystemHandler) {
        let report: RawRouteTable.Handler = { request in
            let context = Self.context(method: Metachat_V1_SystemService.Method.getHealth, request: request)
            do {
                let report = try await handler.getHealth(request: .init(), context: context)
                return try Self.json(report, status: report.status == .unhealthy ? 503 : 200)
            } catch {
                return ErrorBody.response(for: RPCError.from(error))
            }
        }
        table.add("GET", "/api/health", handler: report)
        table.add("GET", "/health", handler: report)
        table.add("GET", "/api/health/live") { request in
            let context = Self.context(method: Metachat_V1_SystemService.Method.getLiveness, request: request)
            do {
                return try Self.json(try await handler.getLiveness(request: .init(), context: context), status: 200)
            } catch {
                return ErrorBody.response(for: RPCError.from(error))
            }
        }
        table.add("GET", "/api/health/ready") { request in
            let context = Self.context(method: Metachat_V1_SystemService.Method.getReadiness, request: request)
            do {
                let readiness = try await handler.getReadiness(request: .init(), context: context)
                return try Self.json(readiness, status: readiness.ready ? 200 : 503)
            } catch {
                return ErrorBody.response(for: RPCError.from(error))
            }
        }
    }

    private static func context(method: MethodDescriptor, request: HTTPRequest) -> ServerContext {
        ServerContext(
            descriptor: method,
            requestMetadata: [:],
            peer: request.peer,
            requestID: request.header("x-request-id") ?? "",
            transport: .http
        )
    }

    private static func json(_ message: some SwiftProtobuf.Message, status: Int) throws -> HTTPResponse {
        var options = JSONEncodingOptions()
        options.alwaysPrintInt64sAsNumbers = false
        return HTTPResponse(
            status: status,
            headers: [("content-type", "application/json")],
            body: try message.jsonUTF8Bytes(options: options)
        )
    }
}
