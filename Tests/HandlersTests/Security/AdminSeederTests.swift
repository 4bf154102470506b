import Foundation
import Handlers
import Logging
import MetaChatAPI
import RPCServer
import Storage
import Testing

@Suite("AdminSeeder (metachat seed-admin)")
struct AdminSeederTests {
    private typealias Harness = SecurityTestHarness

    @Test("Seeding twice with the same email and label rotates the key: same admin and key id, new secret")
    func seedTwiceRotates() async throws {
        try await Harness.with { harness in
            let seeder = AdminSeeder(pool: harness.pool, pepper: harness.pepper)

            let first = try await seeder.seed(email: "admin@localhost", label: "bootstrap")
            let second = try await seeder.seed(email: "ADMIN@localhost", label: "bootstrap")

            #expect(first.createdAdmin && !first.rotatedKey)
            #expect(!second.createdAdmin && second.rotatedKey)
            #expect(second.adminID == first.adminID)
            #expect(second.keyID == first.keyID)
            #expect(second.apiKey != first.apiKey)
            let keyID = first.keyID.uuidString.lowercased()
            let stored = try await harness.storedKey(keyID)
            let current = try #require(ApiKeyMaterial(presented: second.apiKey))
            let previous = try #require(ApiKeyMaterial(presented: first.apiKey))
            #expect(current.kind == .admin)
            #expect(current.matches(stored.keyHash, pepper: harness.pepper))
            #expect(!previous.matches(stored.keyHash, pepper: harness.pepper))
            #expect(stored.rotatedAt != nil)
            var list = Metachat_V1_ListAdminApiKeysRequest()
            list.adminID = first.adminID.uuidString.lowercased()
            let keys = try await harness.handler.listAdminApiKeys(request: list, context: Harness.context(.bootstrap))
            #expect(keys.apiKeys.map(\.id) == [keyID])
            let users = try await harness.handler.listAdminUsers(
                request: Metachat_V1_ListAdminUsersRequest(), context: Harness.context(.bootstrap))
            #expect(users.adminUsers.map(\.role) == [.super])
            #expect(try await harness.audit(target: keyID).allSatisfy { $0.actor == AdminSeeder.actorName })
        }
    }

    @Test("A new label adds a second key to the same admin")
    func newLabelAddsKey() async throws {
        try await Harness.with { harness in
            let seeder = AdminSeeder(pool: harness.pool, pepper: harness.pepper)
            let first = try await seeder.seed(email: "ops@example.com", label: "one")
            let second = try await seeder.seed(email: "ops@example.com", label: "two")
            #expect(second.adminID == first.adminID && second.keyID != first.keyID && !second.rotatedKey)
        }
    }

    @Test("An email that belongs to a STANDARD admin is refused with FAILED_PRECONDITION")
    func standardAdminEmailRefused() async throws {
        try await Harness.with { harness in
            _ = try await harness.makeAdmin(email: "std@example.com", role: .standard)
            let seeder = AdminSeeder(pool: harness.pool, pepper: harness.pepper)
            await expectRPCError(.failedPrecondition, "STANDARD") {
                try await seeder.seed(email: "std@example.com", label: "x")
            }
        }
    }

    @Test("The schema check tells a migrated database from an empty one")
    func schemaCheck() async throws {
        try await Harness.with { harness in
            let present = try await AdminSeeder(pool: harness.pool, pepper: harness.pepper).schemaIsPresent()
            #expect(present)
        }
        let url = try TestEnvironment.databaseURL()
        var options = PostgresPool.Configuration.Options.defaults
        options.searchPath = ["schema_that_does_not_exist"]
        let empty = PostgresPool(
            configuration: .init(url: url, options: options),
            logger: .init(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let present = try await AdminSeeder(pool: empty, pepper: Secrets.randomBytes(32)).schemaIsPresent()
        await empty.shutdown()
        #expect(!present)
    }
}
