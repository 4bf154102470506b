import Dashboard
import Foundation
import Handlers
import RPCServer
import Storage
import Testing

/// API keys on the dashboard: created and rotated in two steps through the API's security
/// handler, each secret shown once on a page that is never cached; only super admins.
@Suite("Dashboard API keys", .serialized)
struct DashboardKeysTests {
    static func secret(in page: HTTPResponse, field: String) -> String? {
        let marker = field == "apiKey" ? "id=\"secret\" readonly size=\"70\" value=\"" : "name=\"token\" value=\""
        return page.text.range(of: marker).map { range in
            String(page.text[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test("Create shows the key once (no-store); rotate is start then confirm, and shows the new key once")
    func createAndRotate() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Acme")
            try await harness.makeUser("ops@example.com", .superAdmin)
            let token = try await harness.login("ops@example.com")
            let csrf = try await harness.csrf(token)
            let keys = "/tenants/\(tenant.uuidString.lowercased())/keys"
            let created = await harness.send("POST", keys, cookie: token, form: [("csrf", csrf), ("label", "shop")])
            #expect(created.status == 200)
            #expect(created.header("cache-control") == "no-store")
            let first = try #require(Self.secret(in: created, field: "apiKey"))
            #expect(first.count > 20)
            let list = await harness.send("GET", keys, cookie: token)
            #expect(list.status == 200 && list.text.contains("<td>shop</td>"))
            #expect(!list.text.contains(first))
            let keyID = try #require(
                list.text.range(of: "\(keys)/").map { String(list.text[$0.upperBound...].prefix(36)) })
            let started = await harness.send("POST", "\(keys)/\(keyID)/rotation", cookie: token, form: [("csrf", csrf)])
            #expect(started.status == 200)
            #expect(started.header("cache-control") == "no-store")
            let rotationToken = try #require(Self.secret(in: started, field: "token"))
            let wrong = await harness.send(
                "POST", "\(keys)/\(keyID)/rotation/confirm", cookie: token,
                form: [("csrf", csrf), ("token", "not-the-token")])
            #expect(wrong.status >= 400 && wrong.status < 500)
            let confirmed = await harness.send(
                "POST", "\(keys)/\(keyID)/rotation/confirm", cookie: token,
                form: [("csrf", csrf), ("token", rotationToken)])
            #expect(confirmed.status == 200)
            let second = try #require(Self.secret(in: confirmed, field: "apiKey"))
            #expect(second != first)
            #expect(await harness.send("GET", keys, cookie: token).text.contains("…\(second.suffix(4))"))
            #expect(try await harness.auditCount("dashboard.api_key.rotation_confirmed") == 1)
            #expect(try await harness.auditCount("api_key.rotation.confirmed") == 1)
        }
    }

    @Test("Tenant admins, agents and viewers get 403 on keys; CSRF is required; a bad label is 400")
    func onlySuperAdmins() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Acme")
            let keys = "/tenants/\(tenant.uuidString.lowercased())/keys"
            for (email, role) in [("admin@acme.example", DashboardRole.tenantAdmin), ("viewer@acme.example", .viewer)] {
                try await harness.makeUser(email, role, tenant: tenant)
                let token = try await harness.login(email)
                let csrf = try await harness.csrf(token)
                #expect(await harness.send("GET", keys, cookie: token).status == 403)
                #expect(
                    await harness.send("POST", keys, cookie: token, form: [("csrf", csrf), ("label", "x")]).status
                        == 403)
            }
            try await harness.makeUser("ops@example.com", .superAdmin)
            let token = try await harness.login("ops@example.com")
            #expect(await harness.send("POST", keys, cookie: token, form: [("label", "x")]).status == 403)
            let csrf = try await harness.csrf(token)
            let bad = await harness.send("POST", keys, cookie: token, form: [("csrf", csrf), ("label", "")])
            #expect(bad.status == 400)
            #expect(bad.text.contains("label"))
        }
    }
}
