import Dashboard
import Foundation
import Handlers
import RPCServer
import Storage
import Testing

/// Creating dashboard users: the bad-input table, and concurrent creation of one email.
@Suite("Dashboard users", .serialized)
struct DashboardUserStoreTests {
    /// A bad create request and the error it must get.
    struct Bad: Sendable, CustomTestStringConvertible {
        var email: String
        var role: DashboardRole
        var tenant: Bool
        var code: RPCError.Code
        var message: String
        var testDescription: String { "\(self.email) \(self.role) → \(self.message)" }
    }

    static let bad: [Bad] = [
        Bad(email: "", role: .superAdmin, tenant: false, code: .invalidArgument, message: "email:"),
        Bad(email: "no-at-sign", role: .superAdmin, tenant: false, code: .invalidArgument, message: "email:"),
        Bad(email: "@example.com", role: .superAdmin, tenant: false, code: .invalidArgument, message: "email:"),
        Bad(email: "a@b@c", role: .superAdmin, tenant: false, code: .invalidArgument, message: "email:"),
        Bad(email: "a b@example.com", role: .superAdmin, tenant: false, code: .invalidArgument, message: "email:"),
        Bad(email: "a\u{0}@example.com", role: .superAdmin, tenant: false, code: .invalidArgument, message: "email:"),
        Bad(
            email: String(repeating: "a", count: 250) + "@x.io", role: .superAdmin, tenant: false,
            code: .invalidArgument, message: "email:"),
        Bad(email: "ops@example.com", role: .superAdmin, tenant: true, code: .invalidArgument, message: "tenant:"),
        Bad(email: "ops@example.com", role: .agent, tenant: false, code: .invalidArgument, message: "tenant:"),
        Bad(email: "ops@example.com", role: .viewer, tenant: false, code: .invalidArgument, message: "tenant:"),
    ]

    @Test("Bad input is refused naming the field, and no user is stored", arguments: bad)
    func refuses(_ bad: Bad) async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = bad.tenant ? try await harness.makeTenant("Acme") : nil
            let hash = try PasswordHash.make(password: DashboardTestHarness.password, cost: DashboardTestHarness.cost)
            await #expect {
                try await harness.users.create(
                    email: bad.email, role: bad.role, tenantID: tenant, password: hash, actor: "t")
            } throws: { error in
                guard let error = error as? RPCError else { return false }
                return error.code == bad.code && error.message.hasPrefix(bad.message)
            }
            let count = try await harness.pool.withAdminTransaction { connection in
                try await connection.query("SELECT count(*)::int8 AS n FROM dashboard_users")[0].decode(
                    "n", as: Int.self)
            }
            #expect(count == 0)
        }
    }

    @Test("An unknown tenant is NOT_FOUND; an email taken in any case is ALREADY_EXISTS, also when racing")
    func conflicts() async throws {
        try await DashboardTestHarness.with { harness in
            let hash = try PasswordHash.make(password: DashboardTestHarness.password, cost: DashboardTestHarness.cost)
            await #expect {
                try await harness.users.create(
                    email: "a@example.com", role: .agent, tenantID: UUID(), password: hash, actor: "t")
            } throws: { ($0 as? RPCError)?.code == .notFound }
            let results = await withTaskGroup(of: Result<DashboardUser, any Error>.self) { group in
                for email in ["race@example.com", "RACE@example.com", "Race@Example.com", "race@example.com"] {
                    group.addTask {
                        do {
                            return .success(
                                try await harness.users.create(
                                    email: email, role: .superAdmin, tenantID: nil, password: hash, actor: "t"))
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                var all: [Result<DashboardUser, any Error>] = []
                for await result in group { all.append(result) }
                return all
            }
            let created = results.filter { if case .success = $0 { true } else { false } }
            #expect(created.count == 1)
            for case .failure(let error) in results {
                #expect((error as? RPCError)?.code == .alreadyExists)
            }
        }
    }
}
