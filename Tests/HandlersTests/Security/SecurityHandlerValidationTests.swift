import Foundation
import Handlers
import Logging
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("SecurityHandler: input checks and error statuses")
struct SecurityHandlerValidationTests {
    private typealias Harness = SecurityTestHarness

    @Test("Admin users: bad email and missing role are INVALID_ARGUMENT; an email taken in any case is ALREADY_EXISTS")
    func adminUserInput() async throws {
        try await Harness.with { harness in
            let context = Harness.context(.bootstrap)
            var request = Metachat_V1_CreateAdminUserRequest()
            request.role = .super
            for bad in ["", "no-at-sign", "a@", "@b", "a b@c.d", "a@b@c"] {
                request.email = bad
                await expectRPCError(.invalidArgument, "email") {
                    try await harness.handler.createAdminUser(request: request, context: context)
                }
            }
            request.email = "Ops@Example.com"
            request.role = .unspecified
            await expectRPCError(.invalidArgument, "role") {
                try await harness.handler.createAdminUser(request: request, context: context)
            }
            request.role = .super
            let created = try await harness.handler.createAdminUser(request: request, context: context)
            request.email = "ops@example.COM"
            await expectRPCError(.alreadyExists, "email") {
                try await harness.handler.createAdminUser(request: request, context: context)
            }

            #expect(created.email == "Ops@Example.com" && created.role == .super)
            #expect(try await harness.audit(target: created.id).map(\.action) == ["admin_user.created"])
        }
    }

    @Test("Labels: empty or over 100 characters are INVALID_ARGUMENT; a duplicate active label is ALREADY_EXISTS")
    func labels() async throws {
        try await Harness.with { harness in
            let tenantID = try await harness.makeTenant()
            var request = Metachat_V1_CreateTenantApiKeyRequest()
            request.tenantID = tenantID
            for bad in ["", "   ", String(repeating: "x", count: 101)] {
                request.label = bad
                await expectRPCError(.invalidArgument, "label") {
                    try await harness.handler.createTenantApiKey(request: request, context: Harness.context(.bootstrap))
                }
            }
            request.label = String(repeating: "é", count: 100)
            _ = try await harness.handler.createTenantApiKey(request: request, context: Harness.context(.bootstrap))
            request.label = "ci"
            let first = try await harness.handler.createTenantApiKey(
                request: request, context: Harness.context(.bootstrap))
            await expectRPCError(.alreadyExists, "label") {
                try await harness.handler.createTenantApiKey(request: request, context: Harness.context(.bootstrap))
            }
            var revoke = Metachat_V1_RevokeTenantApiKeyRequest()
            revoke.tenantID = tenantID
            revoke.keyID = first.id
            _ = try await harness.handler.revokeTenantApiKey(request: revoke, context: Harness.context(.bootstrap))
            let reused = try await harness.handler.createTenantApiKey(
                request: request, context: Harness.context(.bootstrap))
            #expect(reused.id != first.id)
        }
    }

    @Test("Expiry must be in the future; a future one is stored and shown")
    func expiry() async throws {
        try await Harness.with { harness in
            let tenantID = try await harness.makeTenant()
            var request = Metachat_V1_CreateTenantApiKeyRequest()
            request.tenantID = tenantID
            request.label = "temp"
            request.expiresAt = Google_Protobuf_Timestamp(date: Date(timeIntervalSinceNow: -60))
            await expectRPCError(.invalidArgument, "expiresAt") {
                try await harness.handler.createTenantApiKey(request: request, context: Harness.context(.bootstrap))
            }
            let future = Date(timeIntervalSinceNow: 3600)
            request.expiresAt = Google_Protobuf_Timestamp(date: future)
            let created = try await harness.handler.createTenantApiKey(
                request: request, context: Harness.context(.bootstrap))
            #expect(abs(created.key.expiresAt.date.timeIntervalSince(future)) < 0.001)
        }
    }

    @Test("Malformed ids are INVALID_ARGUMENT naming the field; unknown owners and keys are NOT_FOUND")
    func idsAndMissingRows() async throws {
        try await Harness.with { harness in
            let context = Harness.context(.bootstrap)
            var tenantKey = Metachat_V1_CreateTenantApiKeyRequest()
            tenantKey.label = "x"
            tenantKey.tenantID = "not-a-uuid"
            await expectRPCError(.invalidArgument, "tenantId") {
                try await harness.handler.createTenantApiKey(request: tenantKey, context: context)
            }
            tenantKey.tenantID = UUID().uuidString
            await expectRPCError(.notFound, "Tenant") {
                try await harness.handler.createTenantApiKey(request: tenantKey, context: context)
            }
            var adminKeys = Metachat_V1_ListAdminApiKeysRequest()
            adminKeys.adminID = "1234"
            await expectRPCError(.invalidArgument, "adminId") {
                try await harness.handler.listAdminApiKeys(request: adminKeys, context: context)
            }
            adminKeys.adminID = UUID().uuidString
            await expectRPCError(.notFound, "Admin user") {
                try await harness.handler.listAdminApiKeys(request: adminKeys, context: context)
            }
            let tenantID = try await harness.makeTenant()
            var revoke = Metachat_V1_RevokeTenantApiKeyRequest()
            revoke.tenantID = tenantID
            revoke.keyID = ""
            await expectRPCError(.invalidArgument, "keyId") {
                try await harness.handler.revokeTenantApiKey(request: revoke, context: context)
            }
            revoke.keyID = UUID().uuidString
            await expectRPCError(.notFound, "API key") {
                try await harness.handler.revokeTenantApiKey(request: revoke, context: context)
            }
            let otherTenant = try await harness.makeTenant()
            let foreign = try await harness.makeTenantKey(tenantID: otherTenant)
            revoke.keyID = foreign.id
            await expectRPCError(.notFound, "API key") {
                try await harness.handler.revokeTenantApiKey(request: revoke, context: context)
            }
        }
    }

    @Test("A disabled tenant gets no new key (FAILED_PRECONDITION)")
    func disabledTenant() async throws {
        try await Harness.with { harness in
            let tenantID = try await harness.makeTenant(enabled: false)
            var request = Metachat_V1_CreateTenantApiKeyRequest()
            request.tenantID = tenantID
            request.label = "x"
            await expectRPCError(.failedPrecondition, "disabled") {
                try await harness.handler.createTenantApiKey(request: request, context: Harness.context(.bootstrap))
            }
        }
    }

    @Test("Revocation is idempotent and announced once; an admin cannot revoke their own last active key")
    func revocation() async throws {
        try await Harness.with { harness in
            let adminID = try await harness.makeAdmin(role: .standard)
            let only = try await harness.makeAdminKey(adminID: adminID)
            let own = Harness.context(.admin(adminID: adminID, keyID: only.id, role: .standard))
            var revoke = Metachat_V1_RevokeAdminApiKeyRequest()
            revoke.adminID = adminID
            revoke.keyID = only.id
            await expectRPCError(.failedPrecondition, "last active key") {
                try await harness.handler.revokeAdminApiKey(request: revoke, context: own)
            }
            let first = try await harness.handler.revokeAdminApiKey(
                request: revoke, context: Harness.context(.bootstrap))
            let second = try await harness.handler.revokeAdminApiKey(
                request: revoke, context: Harness.context(.bootstrap))

            #expect(!first.active && !second.active)
            #expect(try await harness.audit(target: only.id).map(\.action) == ["api_key.created", "api_key.revoked"])
            #expect(harness.events.keyIDs == [only.id, only.id])
            var list = Metachat_V1_ListAdminApiKeysRequest()
            list.adminID = adminID
            #expect(try await harness.handler.listAdminApiKeys(request: list, context: own).apiKeys.isEmpty)
            list.includeRevoked = true
            #expect(
                try await harness.handler.listAdminApiKeys(request: list, context: own).apiKeys.map(\.id) == [only.id])
        }
    }

    @Test("Listings page with pageSize and an opaque pageToken, newest first; bad paging is INVALID_ARGUMENT")
    func paging() async throws {
        try await Harness.with { harness in
            let tenantID = try await harness.makeTenant()
            var ids: [String] = []
            for label in ["a", "b", "c"] {
                ids.append(try await harness.makeTenantKey(tenantID: tenantID, label: label).id)
            }
            var list = Metachat_V1_ListTenantApiKeysRequest()
            list.tenantID = tenantID
            list.pageSize = 2
            let first = try await harness.handler.listTenantApiKeys(request: list, context: Harness.context(.bootstrap))
            list.pageToken = first.nextPageToken
            let second = try await harness.handler.listTenantApiKeys(
                request: list, context: Harness.context(.bootstrap))

            #expect((first.apiKeys + second.apiKeys).map(\.id) == ids.reversed())
            #expect(!first.nextPageToken.isEmpty && second.nextPageToken.isEmpty)
            #expect(first.apiKeys.allSatisfy { $0.prefix.hasPrefix("ten_") && $0.lastFour.count == 4 })
            list.pageToken = "bogus"
            await expectRPCError(.invalidArgument, "pageToken") {
                try await harness.handler.listTenantApiKeys(request: list, context: Harness.context(.bootstrap))
            }
            list.pageToken = ""
            list.pageSize = 201
            await expectRPCError(.invalidArgument, "pageSize") {
                try await harness.handler.listTenantApiKeys(request: list, context: Harness.context(.bootstrap))
            }
        }
    }

    @Test("Rotation token lifetimes outside 1 minute to 24 hours are INVALID_ARGUMENT; a missing token too")
    func rotationInput() async throws {
        try await Harness.with { harness in
            let tenantID = try await harness.makeTenant()
            let key = try await harness.makeTenantKey(tenantID: tenantID)
            var start = Metachat_V1_StartTenantApiKeyRotationRequest()
            start.tenantID = tenantID
            start.keyID = key.id
            start.tokenTtl = Google_Protobuf_Duration(seconds: 30)
            await expectRPCError(.invalidArgument, "tokenTtl") {
                try await harness.handler.startTenantApiKeyRotation(
                    request: start, context: Harness.context(.bootstrap))
            }
            start.tokenTtl = Google_Protobuf_Duration(seconds: 3600)
            let started = try await harness.handler.startTenantApiKeyRotation(
                request: start, context: Harness.context(.bootstrap))
            #expect(abs(started.expiresAt.date.timeIntervalSinceNow - 3600) < 10)
            var confirm = Metachat_V1_ConfirmTenantApiKeyRotationRequest()
            confirm.tenantID = tenantID
            confirm.keyID = key.id
            await expectRPCError(.invalidArgument, "token is required") {
                try await harness.handler.confirmTenantApiKeyRotation(
                    request: confirm, context: Harness.context(.bootstrap))
            }
        }
    }

    @Test("PostgreSQL out of reach is UNAVAILABLE, with no connection details in the message")
    func databaseUnavailable() async throws {
        var options = PostgresPool.Configuration.Options.defaults
        options.connectTimeout = .seconds(2)
        let pool = PostgresPool(
            configuration: .init(url: "postgresql://metachat:secret-password@127.0.0.1:1/metachat", options: options),
            logger: Logger(label: "handler-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let handler = SecurityHandler(pool: pool, pepper: Secrets.randomBytes(32), keyEvents: NoKeyChangeListener())
        var request = Metachat_V1_ListTenantApiKeysRequest()
        request.tenantID = UUID().uuidString

        do {
            _ = try await handler.listTenantApiKeys(request: request, context: Harness.context(.bootstrap))
            Issue.record("expected UNAVAILABLE")
        } catch let error as RPCError {
            #expect(error.code == .unavailable)
            #expect(!error.message.contains("secret-password") && !error.message.contains("127.0.0.1"))
        }
        await pool.shutdown()
    }
}
