import Dashboard
import Foundation
import Handlers
import RPCServer
import Storage
import Testing

/// Who may see and do what: CSRF tokens and cross-site refusals on every unsafe request, and
/// role scoping through the same handlers (and rules) as the API.
@Suite("Dashboard access rules", .serialized)
struct DashboardAccessTests {
    @Test("Pages without a session redirect to sign-in; unsafe requests without one are 401")
    func signedOut() async throws {
        try await DashboardTestHarness.with { harness in
            for path in ["/", "/tenants"] {
                let response = await harness.send("GET", path)
                #expect(response.status == 303, "\(path)")
                #expect(response.header("location") == "/login")
            }
            #expect(await harness.send("POST", "/tenants", form: [("name", "Acme")]).status == 401)
            #expect(await harness.send("POST", "/logout", form: []).status == 401)
        }
    }

    @Test("An unsafe request without the session's CSRF token, or with another session's, is 403 and changes nothing")
    func csrfRefusals() async throws {
        try await DashboardTestHarness.with { harness in
            try await harness.makeUser("ops@example.com", .superAdmin)
            try await harness.makeUser("second@example.com", .superAdmin)
            let token = try await harness.login("ops@example.com")
            let otherToken = try await harness.login("second@example.com")
            let otherCSRF = try await harness.csrf(otherToken)
            for form in [
                [("name", "Acme")], [("name", "Acme"), ("csrf", "")], [("name", "Acme"), ("csrf", otherCSRF)],
                [("name", "Acme"), ("csrf", String(repeating: "0", count: 64))],
            ] {
                let response = await harness.send("POST", "/tenants", cookie: token, form: form)
                #expect(response.status == 403)
                #expect(response.text.contains("CSRF token"))
            }
            let count = try await harness.pool.withAdminTransaction { connection in
                try await connection.query("SELECT count(*)::int8 AS n FROM tenants")[0].decode("n", as: Int.self)
            }
            #expect(count == 0)
            let csrf = try await harness.csrf(token)
            let created = await harness.send(
                "POST", "/tenants", cookie: token, form: [("name", "Acme"), ("csrf", csrf)])
            #expect(created.status == 303)
            #expect(await harness.send("GET", "/tenants", cookie: token).text.contains("<td>Acme</td>"))
            #expect(try await harness.auditCount("dashboard.tenant.created") == 1)
            #expect(try await harness.auditCount("tenant.created") == 1)
        }
    }

    @Test("The CSRF token is also accepted in x-csrf-token")
    func csrfHeader() async throws {
        try await DashboardTestHarness.with { harness in
            try await harness.makeUser("ops@example.com", .superAdmin)
            let token = try await harness.login("ops@example.com")
            let csrf = try await harness.csrf(token)
            let response = await harness.send(
                "POST", "/tenants", cookie: token, form: [("name", "Acme")], headers: [("X-CSRF-Token", csrf)])
            #expect(response.status == 303)
        }
    }

    @Test("Cross-site unsafe requests are 403 even with a valid token; sign-in from another origin too")
    func crossSite() async throws {
        try await DashboardTestHarness.with { harness in
            try await harness.makeUser("ops@example.com", .superAdmin)
            let token = try await harness.login("ops@example.com")
            let csrf = try await harness.csrf(token)
            for headers in [
                [("Sec-Fetch-Site", "cross-site")], [("Origin", "https://evil.example")],
                [("Origin", "null")], [("Sec-Fetch-Site", "same-site")],
            ] {
                let response = await harness.send(
                    "POST", "/tenants", cookie: token, form: [("name", "Acme"), ("csrf", csrf)],
                    headers: headers.map { (name: $0.0, value: $0.1) })
                #expect(response.status == 403, "\(headers)")
                let login = await harness.send(
                    "POST", "/login",
                    form: [("email", "ops@example.com"), ("password", DashboardTestHarness.password)],
                    headers: headers.map { (name: $0.0, value: $0.1) })
                #expect(login.status == 403, "\(headers)")
                #expect(login.cookies.isEmpty)
            }
            let sameOrigin = await harness.send(
                "POST", "/tenants", cookie: token, form: [("name", "Acme"), ("csrf", csrf)],
                headers: [("Origin", "http://127.0.0.1:3001"), ("Sec-Fetch-Site", "same-origin")])
            #expect(sameOrigin.status == 303)
        }
    }

    @Test("Tenant-scoped users see only their tenant; another tenant's id is 404, as for a tenant key")
    func tenantScoping() async throws {
        try await DashboardTestHarness.with { harness in
            let tenantA = try await harness.makeTenant("Tenant A")
            let tenantB = try await harness.makeTenant("Tenant B")
            try await harness.makeUser("agent@a.example", .agent, tenant: tenantA)
            let token = try await harness.login("agent@a.example")
            let page = await harness.send("GET", "/tenants", cookie: token)
            #expect(page.status == 200)
            #expect(page.text.contains("Tenant A"))
            #expect(!page.text.contains("Tenant B"))
            #expect(!page.text.contains("New tenant"))
            let csrf = try await harness.csrf(token, page: "/tenants")
            let foreign = await harness.send(
                "POST", "/tenants/\(tenantB.uuidString.lowercased())/disable", cookie: token, form: [("csrf", csrf)])
            #expect(foreign.status == 404)
            let own = await harness.send(
                "POST", "/tenants/\(tenantA.uuidString.lowercased())/disable", cookie: token, form: [("csrf", csrf)])
            #expect(own.status == 403)
            let create = await harness.send(
                "POST", "/tenants", cookie: token, form: [("name", "Mine"), ("csrf", csrf)])
            #expect(create.status == 403)
            let enabled = try await harness.pool.withAdminTransaction { connection in
                try await connection.query("SELECT bool_and(enabled) AS e FROM tenants")[0].decode("e", as: Bool.self)
            }
            #expect(enabled)
        }
    }

    @Test("A viewer cannot act: every unsafe tenant route is refused and nothing changes")
    func viewerCannotAct() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Tenant A")
            try await harness.makeUser("viewer@a.example", .viewer, tenant: tenant)
            let token = try await harness.login("viewer@a.example")
            let csrf = try await harness.csrf(token)
            let id = tenant.uuidString.lowercased()
            for path in ["/tenants/\(id)/disable", "/tenants/\(id)/enable", "/tenants"] {
                let response = await harness.send("POST", path, cookie: token, form: [("csrf", csrf), ("name", "x")])
                #expect(response.status == 403, "\(path)")
            }
            #expect(!(await harness.send("GET", "/tenants", cookie: token).text.contains("Disable</button>")))
        }
    }

    @Test("A super admin disables and re-enables a tenant through the tenant handler, audited")
    func superAdminToggles() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Tenant A")
            try await harness.makeUser("ops@example.com", .superAdmin)
            let token = try await harness.login("ops@example.com")
            let csrf = try await harness.csrf(token)
            let id = tenant.uuidString.lowercased()
            #expect(
                await harness.send("POST", "/tenants/\(id)/disable", cookie: token, form: [("csrf", csrf)]).status
                    == 303)
            #expect(await harness.send("GET", "/tenants", cookie: token).text.contains("Disabled"))
            #expect(
                await harness.send("POST", "/tenants/\(id)/enable", cookie: token, form: [("csrf", csrf)]).status == 303
            )
            #expect(await harness.send("GET", "/tenants", cookie: token).text.contains("Enabled"))
            #expect(try await harness.auditCount("dashboard.tenant.disabled") == 1)
            #expect(try await harness.auditCount("dashboard.tenant.enabled") == 1)
            let unknown = await harness.send(
                "POST", "/tenants/\(UUID().uuidString.lowercased())/disable", cookie: token, form: [("csrf", csrf)])
            #expect(unknown.status == 404)
            let notAnID = await harness.send(
                "POST", "/tenants/not-an-id/disable", cookie: token, form: [("csrf", csrf)])
            #expect(notAnID.status == 404)
        }
    }

    @Test("A bad tenant name is re-shown with the handler's message naming the field (400)")
    func badTenantName() async throws {
        try await DashboardTestHarness.with { harness in
            try await harness.makeUser("ops@example.com", .superAdmin)
            let token = try await harness.login("ops@example.com")
            let csrf = try await harness.csrf(token)
            let response = await harness.send(
                "POST", "/tenants", cookie: token, form: [("name", "  "), ("csrf", csrf)])
            #expect(response.status == 400)
            #expect(response.text.contains("name"))
        }
    }

    @Test("Unknown pages are 404, wrong methods 405, health answers without a session")
    func routing() async throws {
        try await DashboardTestHarness.with { harness in
            #expect(await harness.send("GET", "/nothing-here").status == 404)
            #expect(await harness.send("DELETE", "/tenants").status == 405)
            #expect(await harness.send("GET", "/logout").status == 405)
            let health = await harness.send("GET", "/health")
            #expect(health.status == 200)
            #expect(health.text == #"{"status":"ok","service":"dashboard"}"#)
            #expect(await harness.send("GET", "/static/dashboard.css").status == 200)
        }
    }
}
