import Foundation
import Handlers
import Logging
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("API log", .serialized)
struct ApiLogRecorderTests {
    private static let logger = Logger(label: "api-log-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    private static func recorder(
        _ pool: PostgresPool, configure: (inout ApiLogRecorder.Configuration) -> Void = { _ in }
    ) -> ApiLogRecorder {
        var configuration = ApiLogRecorder.Configuration()
        configure(&configuration)
        return ApiLogRecorder(
            pool: pool, routes: ["/metachat.v1.TenantService/GetTenant": "GET /api/tenants/{tenantId}"],
            httpStatus: { $0 == .ok ? 200 : 404 }, configuration: configuration, logger: Self.logger)
    }

    private static func entry(
        tenant: String?, requestID: String = "req", code: RPCError.Code = .ok, at micros: Int64? = nil,
        transport: CallTransport = .http
    ) -> ApiLogEntry {
        ApiLogEntry(
            occurredAtMicros: micros ?? ApiLogRecorder.nowMicros(), tenantID: tenant,
            keyID: "0b6f2a4e-1111-4c3b-9a55-00000000000a", method: "/metachat.v1.TenantService/GetTenant",
            transport: transport, code: code, latency: .microseconds(1234), requestID: requestID,
            clientAddress: ClientAddress("203.0.113.7") ?? .unknown)
    }

    @Test("Entries are written with COPY exactly as recorded, whatever characters their text holds")
    func copyRoundTrip() async throws {
        try await MigratedDatabase.with { pool in
            let tenant = try await TenantFixtures.create(TenantHandler(pool: pool, secrets: .forTests))
            let recorder = Self.recorder(pool)
            let awkward = [
                "plain", "tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N", "\\.", "ünïcødé ✓",
                "nul\u{0}byte", "", String(repeating: "x", count: 200),
            ]
            for (index, text) in awkward.enumerated() {
                recorder.record(Self.entry(tenant: tenant.id, requestID: text, code: index % 2 == 0 ? .ok : .notFound))
            }
            #expect(try await recorder.flush() == awkward.count)
            #expect(recorder.waitingCount == 0)
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            var request = Metachat_V1_ListApiLogsRequest()
            request.tenantID = tenant.id
            let listed = try await handler.listApiLogs(
                request: request, context: TestCaller.context(TestCaller.superAdmin))
            let expected = awkward.map { String($0.filter { $0 != "\u{0}" }.prefix(128)) }
            #expect(Set(listed.entries.map(\.requestID)) == Set(expected))
            let first = try #require(listed.entries.first)
            #expect(first.route == "GET /api/tenants/{tenantId}")
            #expect(first.method == "/metachat.v1.TenantService/GetTenant")
            #expect(first.protocol == "rest")
            #expect(first.latencyMicros == 1234)
            #expect(first.clientAddress == "203.0.113.7")
            #expect(first.keyID == "0b6f2a4e-1111-4c3b-9a55-00000000000a")
            #expect(Set(listed.entries.map(\.code)) == ["OK", "NOT_FOUND"])
            #expect(Set(listed.entries.map(\.httpStatus)) == [200, 404])
        }
    }

    @Test("Beyond capacity entries are dropped and counted; memory stays bounded")
    func boundedMemory() async throws {
        try await MigratedDatabase.with { pool in
            let recorder = Self.recorder(pool) { $0.capacity = 10 }
            for _ in 0..<25 { recorder.record(Self.entry(tenant: nil)) }
            #expect(recorder.waitingCount == 10)
            #expect(recorder.droppedCount == 15)
            let flushed = try await recorder.flush()
            #expect(flushed == 10)
        }
    }

    @Test("A failed write keeps the batch for the next attempt")
    func failedWriteKept() async throws {
        let recorder = try await MigratedDatabase.with { pool in
            let recorder = Self.recorder(pool)
            _ = try await pool.withAdminTransaction {
                try await $0.execute("ALTER TABLE api_logs ADD CONSTRAINT closed CHECK (false) NOT VALID", [])
            }
            for _ in 0..<3 { recorder.record(Self.entry(tenant: nil)) }
            await #expect(throws: PostgresError.self) { try await recorder.flush() }
            #expect(recorder.waitingCount == 3)
            _ = try await pool.withAdminTransaction {
                try await $0.execute("ALTER TABLE api_logs DROP CONSTRAINT closed", [])
            }
            let flushed = try await recorder.flush()
            #expect(flushed == 3)
            return recorder
        }
        #expect(recorder.droppedCount == 0)
    }

    @Test("The interceptor records the caller's tenant and key, the status and the latency")
    func interceptorRecords() async throws {
        try await MigratedDatabase.with { pool in
            let recorder = Self.recorder(pool)
            let interceptor = ApiLogInterceptor(recorder: recorder)
            let tenantID = UUID().uuidString.lowercased()
            try await interceptor.intercept(context: TestCaller.context(TestCaller.tenant(tenantID))) { _ in }
            await #expect(throws: RPCError.self) {
                try await interceptor.intercept(context: TestCaller.context(TestCaller.superAdmin)) { _ in
                    throw RPCError(code: .notFound, message: "gone")
                }
            }
            let named = UUID()
            let operatorContext = ConversationTestHarness.context(TestCaller.superAdmin, tenantHeader: named.uuidString)
            try await interceptor.intercept(context: operatorContext) { _ in }
            #expect(recorder.waitingCount == 3)
            let rows = try await pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT tenant_id::text AS t, grpc_code::int AS c FROM api_logs ORDER BY id", [])
            }
            #expect(rows.count == 0)
            try await recorder.flush()
            let written = try await pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT tenant_id::text AS t, grpc_code::int AS c FROM api_logs ORDER BY id", [])
            }
            let tenants = try written.map { try $0.decode("t", as: String?.self) }
            let codes = try written.map { try $0.decode("c", as: Int32.self) }
            #expect(tenants == [tenantID, nil, named.uuidString.lowercased()])
            #expect(codes == [0, 5, 0])
        }
    }

    @Test("ListApiLogs pages newest first, filters by time, and never shows another tenant's calls")
    func listing() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let a = try await TenantFixtures.create(handler, name: "A")
            let b = try await TenantFixtures.create(handler, name: "B")
            let recorder = Self.recorder(pool)
            let base: Int64 = 1_796_000_000_000_000
            for index in 0..<25 {
                recorder.record(Self.entry(tenant: a.id, requestID: "a\(index)", at: base + Int64(index) * 1_000_000))
            }
            // Two calls in the same microsecond: the keyset still splits them exactly.
            recorder.record(Self.entry(tenant: a.id, requestID: "a-same-1", at: base + 30_000_000))
            recorder.record(Self.entry(tenant: a.id, requestID: "a-same-2", at: base + 30_000_000))
            recorder.record(Self.entry(tenant: b.id, requestID: "b0", at: base))
            try await recorder.flush()

            var seen: [String] = []
            var request = Metachat_V1_ListApiLogsRequest()
            request.tenantID = a.id
            request.pageSize = 4
            let context = TestCaller.context(TestCaller.tenant(a.id))
            repeat {
                let page = try await handler.listApiLogs(request: request, context: context)
                seen += page.entries.map(\.requestID)
                request.pageToken = page.nextPageToken
            } while !request.pageToken.isEmpty
            #expect(seen.count == 27)
            #expect(Set(seen).count == 27)
            #expect(seen.prefix(3) == ["a-same-2", "a-same-1", "a24"])
            #expect(!seen.contains("b0"))

            var window = Metachat_V1_ListApiLogsRequest()
            window.tenantID = a.id
            window.startTime = .init(seconds: base / 1_000_000 + 5, nanos: 0)
            window.endTime = .init(seconds: base / 1_000_000 + 10, nanos: 0)
            let windowed = try await handler.listApiLogs(request: window, context: context)
            #expect(windowed.entries.map(\.requestID) == ["a9", "a8", "a7", "a6", "a5"])

            var foreign = Metachat_V1_ListApiLogsRequest()
            foreign.tenantID = a.id
            await expectRPCError(.notFound) {
                try await handler.listApiLogs(request: foreign, context: TestCaller.context(TestCaller.tenant(b.id)))
            }
        }
    }

    @Test(
        "Bad ListApiLogs requests are INVALID_ARGUMENT naming the field",
        arguments: [
            "pageSize -1", "pageSize 501", "pageToken junk", "startTime year 0", "endTime nanos", "endTime not after",
            "tenantId not a UUID",
        ])
    func badRequests(bad: String) async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let tenant = try await TenantFixtures.create(handler)
            var request = Metachat_V1_ListApiLogsRequest()
            request.tenantID = tenant.id
            switch bad {
            case "pageSize -1": request.pageSize = -1
            case "pageSize 501": request.pageSize = 501
            case "pageToken junk": request.pageToken = "not-a-token"
            case "startTime year 0": request.startTime = .init(seconds: -99_999_999_999, nanos: 0)
            case "endTime nanos": request.endTime = .init(seconds: 0, nanos: 2_000_000_000)
            case "endTime not after":
                request.startTime = .init(seconds: 100, nanos: 0)
                request.endTime = .init(seconds: 100, nanos: 0)
            default: request.tenantID = "nope"
            }
            let field = String(bad.prefix { $0 != " " })
            await expectRPCError(.invalidArgument, field) {
                try await handler.listApiLogs(request: request, context: TestCaller.context(TestCaller.superAdmin))
            }
        }
    }
}
