import Dashboard
import Foundation
import Handlers
import RPCServer
import Storage
import Testing

/// Signing in and out: status codes, the session cookie's flags, a new session id at every
/// sign-in, the audit log, and timeouts.
@Suite("Dashboard sign-in and sessions", .serialized)
struct DashboardLoginTests {
    @Test("The sign-in page is HTML, never cached, with the security headers")
    func loginPage() async throws {
        try await DashboardTestHarness.with { harness in
            let response = await harness.send("GET", "/login")
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/html; charset=utf-8")
            #expect(response.header("cache-control") == "no-store")
            #expect(response.header("x-frame-options") == "DENY")
            #expect(response.header("content-security-policy")?.contains("script-src 'self'") == true)
            #expect(response.text.contains("<form method=\"post\" action=\"/login\""))
        }
    }

    @Test("A right password starts a session: 303 and a __Host- cookie that is HttpOnly, Secure, SameSite=Lax, Path=/")
    func signIn() async throws {
        try await DashboardTestHarness.with { harness in
            try await harness.makeUser("ops@example.com", .superAdmin)
            let response = await harness.send(
                "POST", "/login", form: [("email", "OPS@example.com"), ("password", DashboardTestHarness.password)])
            #expect(response.status == 303)
            #expect(response.header("location") == "/")
            let cookie = try #require(response.cookies.first)
            let attributes = Set(
                cookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
            #expect(attributes == ["Path=/", "Max-Age=43200", "HttpOnly", "Secure", "SameSite=Lax"])
            #expect(!cookie.lowercased().contains("domain="))
            let token = try #require(response.sessionToken)
            #expect(token.count == 64)
            let page = await harness.send("GET", "/tenants", cookie: token)
            #expect(page.status == 200)
            #expect(page.text.contains("ops@example.com (Super admin)"))
            #expect(try await harness.auditCount("dashboard.login.succeeded") == 1)
        }
    }

    @Test("A wrong password, an unknown email or a disabled user: 401 with one message, no cookie, audited")
    func wrongPassword() async throws {
        try await DashboardTestHarness.with { harness in
            let user = try await harness.makeUser("ops@example.com", .superAdmin)
            try await harness.makeUser("gone@example.com", .superAdmin)
            try await harness.pool.withAdminTransaction { connection in
                try await connection.execute(
                    "UPDATE dashboard_users SET disabled_at = now() WHERE email = 'gone@example.com'")
            }
            for (email, password) in [
                ("ops@example.com", "not the password at all"), ("nobody@example.com", DashboardTestHarness.password),
                ("gone@example.com", DashboardTestHarness.password),
            ] {
                let response = await harness.send("POST", "/login", form: [("email", email), ("password", password)])
                #expect(response.status == 401, "\(email)")
                #expect(response.cookies.isEmpty)
                #expect(response.text.contains("The email or password is wrong."))
            }
            #expect(try await harness.auditCount("dashboard.login.failed") == 3)
            #expect(
                try await DashboardSessionStore(
                    pool: harness.pool, idleTimeout: .seconds(60), absoluteTimeout: .seconds(60)
                ).count(userID: user.id) == 0)
        }
    }

    @Test("Missing fields are 400; a malformed form is 400 naming the problem")
    func badForms() async throws {
        try await DashboardTestHarness.with { harness in
            let missing = await harness.send("POST", "/login", form: [("email", "ops@example.com")])
            #expect(missing.status == 400)
            #expect(missing.text.contains("Enter your email and password."))
            let malformed = await harness.responder.respond(
                to: HTTPRequest(
                    method: "POST", target: "/login", headers: [("Host", "127.0.0.1:3001")],
                    body: Array("email=%zz".utf8), peer: "127.0.0.1:1"))
            #expect(malformed.status == 400)
            #expect(malformed.text.contains("malformed percent escape"))
        }
    }

    @Test("Every sign-in gets a new session id; the cookie the browser held before ends with it")
    func newIDAtSignIn() async throws {
        try await DashboardTestHarness.with { harness in
            try await harness.makeUser("ops@example.com", .superAdmin)
            let first = try await harness.login("ops@example.com")
            let response = await harness.send(
                "POST", "/login", cookie: first,
                form: [("email", "ops@example.com"), ("password", DashboardTestHarness.password)])
            let second = try #require(response.sessionToken)
            #expect(second != first)
            #expect(await harness.send("GET", "/tenants", cookie: first).status == 303)
            #expect(await harness.send("GET", "/tenants", cookie: second).status == 200)
        }
    }

    @Test("Signing out needs the CSRF token, ends the session and clears the cookie")
    func signOut() async throws {
        try await DashboardTestHarness.with { harness in
            try await harness.makeUser("ops@example.com", .superAdmin)
            let token = try await harness.login("ops@example.com")
            #expect(await harness.send("POST", "/logout", cookie: token, form: []).status == 403)
            let csrf = try await harness.csrf(token)
            let response = await harness.send("POST", "/logout", cookie: token, form: [("csrf", csrf)])
            #expect(response.status == 303)
            #expect(response.header("location") == "/login")
            #expect(response.cookies == ["__Host-metachat_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"])
            #expect(await harness.send("GET", "/tenants", cookie: token).status == 303)
            #expect(try await harness.auditCount("dashboard.logout") == 1)
        }
    }

    @Test("A session unused for longer than the idle timeout, or older than the absolute one, has ended")
    func timeouts() async throws {
        try await DashboardTestHarness.with { harness in
            try await harness.makeUser("ops@example.com", .superAdmin)
            let idle = try await harness.login("ops@example.com")
            let old = try await harness.login("ops@example.com")
            let fresh = try await harness.login("ops@example.com")
            try await harness.pool.withAdminTransaction { connection in
                // 31 minutes without a request (idle timeout 30 minutes).
                try await connection.execute(
                    """
                    UPDATE dashboard_sessions SET last_seen_at = now() - interval '31 minutes'
                    WHERE token_hash = encode(sha256(convert_to(\(idle), 'UTF8')), 'hex')
                    """)
                // Busy, but past its absolute end.
                try await connection.execute(
                    """
                    UPDATE dashboard_sessions SET expires_at = now() - interval '1 second'
                    WHERE token_hash = encode(sha256(convert_to(\(old), 'UTF8')), 'hex')
                    """)
            }
            #expect(await harness.send("GET", "/tenants", cookie: idle).status == 303)
            #expect(await harness.send("GET", "/tenants", cookie: old).status == 303)
            #expect(await harness.send("GET", "/tenants", cookie: fresh).status == 200)
        }
    }

    @Test("A password change or a role change ends every session of that user, and only of that user")
    func revokedOnChange() async throws {
        try await DashboardTestHarness.with { harness in
            let tenant = try await harness.makeTenant("Acme")
            let ops = try await harness.makeUser("ops@example.com", .superAdmin)
            let agent = try await harness.makeUser("agent@example.com", .agent, tenant: tenant)
            let other = try await harness.makeUser("other@example.com", .agent, tenant: tenant)
            let opsSessions = [try await harness.login("ops@example.com"), try await harness.login("ops@example.com")]
            let agentSession = try await harness.login("agent@example.com")
            let otherSession = try await harness.login("other@example.com")
            let ended = try await harness.users.changePassword(
                id: ops.id,
                to: try PasswordHash.make(password: "a brand new password", cost: DashboardTestHarness.cost),
                actor: "test")
            #expect(ended == 2)
            for token in opsSessions {
                #expect(await harness.send("GET", "/tenants", cookie: token).status == 303)
            }
            #expect(try await harness.users.changeRole(id: agent.id, to: .viewer, tenantID: tenant, actor: "test") == 1)
            #expect(await harness.send("GET", "/tenants", cookie: agentSession).status == 303)
            #expect(await harness.send("GET", "/tenants", cookie: otherSession).status == 200)
            #expect(try await harness.users.changePassword(id: UUID(), to: ops.passwordHash, actor: "test") == nil)
            _ = other
            #expect(try await harness.auditCount("dashboard.user.password_changed") == 1)
            #expect(try await harness.auditCount("dashboard.user.role_changed") == 1)
        }
    }

    @Test("Malformed or unknown session cookies are treated as signed out")
    func badCookies() async throws {
        try await DashboardTestHarness.with { harness in
            for cookie in [
                "", "abc", String(repeating: "g", count: 64), String(repeating: "A", count: 64),
                String(repeating: "a", count: 64), "' OR 1=1 --",
            ] {
                #expect(await harness.send("GET", "/tenants", cookie: cookie).status == 303, "\(cookie)")
            }
        }
    }
}
