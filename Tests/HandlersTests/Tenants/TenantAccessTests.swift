import Foundation
import Handlers
import Logging
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("TenantHandler access", .serialized)
struct TenantAccessTests {
    @Test("Another tenant's key gets NOT_FOUND on get and update, exactly like an unknown ID, and changes nothing")
    func crossTenantIsNotFound() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let tenantA = try await TenantFixtures.create(handler, name: "A")
            let tenantB = try await TenantFixtures.create(handler, name: "B")
            let asB = TestCaller.context(TestCaller.tenant(tenantB.id))
            let unknown = UUID().uuidString.lowercased()

            for target in [tenantA.id, tenantA.id.uppercased(), unknown] {
                var get = Metachat_V1_GetTenantRequest()
                get.tenantID = target
                let getError = await TenantFixtures.rpcError { try await handler.getTenant(request: get, context: asB) }
                #expect(getError?.code == .notFound)
                #expect(getError?.message == "Tenant \(target.lowercased()) was not found.")

                var update = Metachat_V1_UpdateTenantRequest()
                update.tenantID = target
                update.tenant.name = "taken over"
                update.updateMask.paths = ["name"]
                let updateError = await TenantFixtures.rpcError {
                    try await handler.updateTenant(request: update, context: asB)
                }
                #expect(updateError?.code == .notFound)

                var disable = Metachat_V1_DisableTenantRequest()
                disable.tenantID = target
                let disableCode = await TenantFixtures.code {
                    try await handler.disableTenant(request: disable, context: asB)
                }
                #expect(disableCode == .permissionDenied)
            }
            // The admin sees A untouched; an unknown ID is NOT_FOUND for admins too.
            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = tenantA.id
            #expect(try await handler.getTenant(request: get, context: TestCaller.context(.bootstrap)) == tenantA)
            get.tenantID = unknown
            let adminCode = await TenantFixtures.code {
                try await handler.getTenant(request: get, context: TestCaller.context(TestCaller.standardAdmin))
            }
            #expect(adminCode == .notFound)
            var disable = Metachat_V1_DisableTenantRequest()
            disable.tenantID = unknown
            let disableCode = await TenantFixtures.code {
                try await handler.disableTenant(request: disable, context: TestCaller.context(.bootstrap))
            }
            #expect(disableCode == .notFound)
        }
    }

    @Test("A tenant key cannot create, list or disable, even its own tenant: PERMISSION_DENIED")
    func tenantCannotUseAdminRoutes() async throws {
        try await MigratedDatabase.with { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let tenant = try await TenantFixtures.create(handler)
            let own = TestCaller.context(TestCaller.tenant(tenant.id))

            let create = await TenantFixtures.code {
                try await handler.createTenant(request: TenantFixtures.createRequest(), context: own)
            }
            let list = await TenantFixtures.code {
                try await handler.listTenants(request: Metachat_V1_ListTenantsRequest(), context: own)
            }
            var disable = Metachat_V1_DisableTenantRequest()
            disable.tenantID = tenant.id
            let disableCode = await TenantFixtures.code {
                try await handler.disableTenant(request: disable, context: own)
            }

            #expect(create == .permissionDenied)
            #expect(list == .permissionDenied)
            #expect(disableCode == .permissionDenied)
            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = tenant.id
            #expect(try await handler.getTenant(request: get, context: own).enabled)
        }
    }

    @Test("Without a principal every route is UNAUTHENTICATED")
    func anonymousIsUnauthenticated() async throws {
        try await MigratedDatabase.with(maximumConnections: 2) { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let tenant = try await TenantFixtures.create(handler)
            let anonymous = TestCaller.context(nil)
            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = tenant.id
            var update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = tenant.id
            update.tenant.name = "x"
            var disable = Metachat_V1_DisableTenantRequest()
            disable.tenantID = tenant.id

            let codes = [
                await TenantFixtures.code {
                    try await handler.createTenant(request: TenantFixtures.createRequest(), context: anonymous)
                },
                await TenantFixtures.code {
                    try await handler.listTenants(request: Metachat_V1_ListTenantsRequest(), context: anonymous)
                },
                await TenantFixtures.code { try await handler.getTenant(request: get, context: anonymous) },
                await TenantFixtures.code { try await handler.updateTenant(request: update, context: anonymous) },
                await TenantFixtures.code { try await handler.disableTenant(request: disable, context: anonymous) },
            ]

            #expect(codes == Array(repeating: .unauthenticated, count: 5))
        }
    }

    @Test("A malformed tenant ID is INVALID_ARGUMENT naming tenantId on get, update and disable")
    func malformedIDs() async throws {
        try await MigratedDatabase.with(maximumConnections: 2) { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let admin = TestCaller.context(TestCaller.superAdmin)
            for text in ["", "not-a-uuid", "123e4567e89b12d3a456426614174000"] {
                var get = Metachat_V1_GetTenantRequest()
                get.tenantID = text
                var update = Metachat_V1_UpdateTenantRequest()
                update.tenantID = text
                update.tenant.name = "x"
                var disable = Metachat_V1_DisableTenantRequest()
                disable.tenantID = text
                let errors = [
                    await TenantFixtures.rpcError { try await handler.getTenant(request: get, context: admin) },
                    await TenantFixtures.rpcError { try await handler.updateTenant(request: update, context: admin) },
                    await TenantFixtures.rpcError { try await handler.disableTenant(request: disable, context: admin) },
                ]
                for error in errors {
                    #expect(error?.code == .invalidArgument)
                    #expect(error?.message.hasPrefix("tenantId ") == true)
                }
            }
        }
    }

    @Test("PostgreSQL being unreachable is UNAVAILABLE")
    func databaseDownIsUnavailable() async throws {
        var options = PostgresPool.Configuration.Options.defaults
        options.maximumConnections = 1
        options.acquireTimeout = .seconds(2)
        // Port 1 on loopback refuses connections.
        let pool = PostgresPool(
            configuration: .init(url: "postgresql://metachat@127.0.0.1:1/metachat?connect_timeout=2", options: options),
            logger: .init(label: "tests", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let handler = TenantHandler(pool: pool, secrets: .forTests)
        let code = await TenantFixtures.code {
            try await handler.listTenants(
                request: Metachat_V1_ListTenantsRequest(), context: TestCaller.context(.bootstrap))
        }
        let createCode = await TenantFixtures.code {
            try await handler.createTenant(
                request: TenantFixtures.createRequest(), context: TestCaller.context(.bootstrap))
        }
        await pool.shutdown()

        #expect(code == .unavailable)
        #expect(createCode == .unavailable)
    }
}
