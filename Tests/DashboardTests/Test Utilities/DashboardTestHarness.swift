import Dashboard
import Foundation
import Handlers
import Logging
import RPCServer
import Storage
import Synchronization
import Testing

/// Counts sign-in attempts in memory, for the tests that are not about the limit (the limit's
/// own tests use the Redis ``RateLimiter``).
final class UnlimitedLoginAttempts: LoginAttemptCounter {
    let subjects = Mutex<[String]>([])

    func check(subject: String, policy: RateLimitPolicy) async -> RateLimitDecision {
        self.subjects.withLock { $0.append(subject) }
        return RateLimitDecision(
            allowed: true, limit: policy.requests, remaining: 1, resetMilliseconds: 0, retryAfterMilliseconds: 0)
    }
}

/// A dashboard over a fresh migrated schema, called in-process the way the listener calls it.
struct DashboardTestHarness {
    static let logger = Logger(label: "dashboard-tests", factory: { _ in SwiftLogNoOpLogHandler() })
    /// A cheap scrypt cost so tests run quickly.
    static let cost = Scrypt.Cost(logN: 10, blockSize: 8, parallelism: 1)
    static let password = "correct horse battery staple"

    let pool: PostgresPool
    let responder: DashboardResponder
    let users: DashboardUserStore
    /// Writes conversations; its events reach the live routes.
    let ledger: ConversationLedger
    /// The event hub behind the live routes.
    let hub: ConversationEventHub

    /// The configuration the harness uses unless a test changes it.
    static var configuration: DashboardConfiguration {
        var configuration = DashboardConfiguration.defaults
        configuration.passwordCost = Self.cost
        return configuration
    }

    /// Runs `body` with a harness on a fresh schema.
    static func with(
        loginAttempts: any LoginAttemptCounter = UnlimitedLoginAttempts(),
        configuration: DashboardConfiguration = DashboardTestHarness.configuration,
        _ body: (DashboardTestHarness) async throws -> Void
    ) async throws {
        try await MigratedDatabase.with(maximumConnections: 8) { pool in
            let hub = ConversationEventHub(pool: pool, redis: nil, subscriber: nil, logger: Self.logger)
            let loops = Task { try await hub.run() }
            let result: Result<Void, any Error>
            do {
                let responder = try DashboardResponder(
                    pool: pool, tenants: TenantHandler(pool: pool, secrets: SecretsEnvelope(current: nil)),
                    conversations: ConversationHandler(pool: pool, hub: hub),
                    security: SecurityHandler(
                        pool: pool, pepper: Array(repeating: 7, count: 32), keyEvents: NoKeyChangeListener()),
                    loginAttempts: loginAttempts,
                    configuration: configuration, logger: Self.logger)
                try await body(
                    DashboardTestHarness(
                        pool: pool, responder: responder, users: DashboardUserStore(pool: pool),
                        ledger: ConversationLedger(pool: pool, events: hub), hub: hub))
                result = .success(())
            } catch {
                result = .failure(error)
            }
            loops.cancel()
            _ = try? await loops.value
            try result.get()
        }
    }

    /// Creates a tenant directly in the database.
    func makeTenant(_ name: String) async throws -> UUID {
        try await self.pool.withAdminTransaction { connection in
            let rows = try await connection.query("INSERT INTO tenants (name) VALUES (\(name)) RETURNING id")
            return try rows[0].decode("id", as: UUID.self)
        }
    }

    /// Creates a user with ``password``.
    @discardableResult
    func makeUser(_ email: String, _ role: DashboardRole, tenant: UUID? = nil) async throws -> DashboardUser {
        try await self.users.create(
            email: email, role: role, tenantID: tenant,
            password: try PasswordHash.make(password: Self.password, cost: Self.cost), actor: "test")
    }

    /// Sends a request; `form` becomes an urlencoded body.
    func send(
        _ method: String, _ target: String, cookie: String? = nil, form: [(String, String)]? = nil,
        headers: [(name: String, value: String)] = []
    ) async -> HTTPResponse {
        var all: [(name: String, value: String)] = [("Host", "127.0.0.1:3001")]
        if let cookie {
            all.append(("Cookie", "__Host-metachat_session=\(cookie)"))
        }
        var body: [UInt8] = []
        if let form {
            all.append(("Content-Type", "application/x-www-form-urlencoded"))
            body = Array(form.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&").utf8)
        }
        return await self.responder.respond(
            to: HTTPRequest(method: method, target: target, headers: all + headers, body: body, peer: "127.0.0.1:40000")
        )
    }

    /// Signs in and returns the session cookie's token.
    func login(_ email: String, password: String = DashboardTestHarness.password) async throws -> String {
        let response = await self.send("POST", "/login", form: [("email", email), ("password", password)])
        try #require(response.status == 303, "sign-in answered \(response.status): \(response.text)")
        return try #require(response.sessionToken)
    }

    /// The CSRF token the page at `path` embeds for this session.
    func csrf(_ token: String, page: String = "/tenants") async throws -> String {
        let page = await self.send("GET", page, cookie: token)
        let text = page.text
        let marker = "name=\"csrf\" value=\""
        let start = try #require(text.range(of: marker))
        return String(text[start.upperBound...].prefix(64))
    }

    /// Rows of `audit_log` with this action.
    func auditCount(_ action: String) async throws -> Int {
        try await self.pool.withAdminTransaction { connection in
            try await connection.query("SELECT count(*)::int8 AS n FROM audit_log WHERE action = \(action)")[0]
                .decode("n", as: Int.self)
        }
    }

    private static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

extension HTTPResponse {
    /// The body as text.
    var text: String { String(decoding: self.body, as: UTF8.self) }

    /// The first value of a header.
    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name }?.value
    }

    /// Every `Set-Cookie` value.
    var cookies: [String] { self.headers.filter { $0.name.lowercased() == "set-cookie" }.map(\.value) }

    /// The session token a `Set-Cookie` starts, if any.
    var sessionToken: String? {
        for cookie in self.cookies where cookie.hasPrefix("__Host-metachat_session=") {
            let value = cookie.dropFirst("__Host-metachat_session=".count).prefix { $0 != ";" }
            if !value.isEmpty { return String(value) }
        }
        return nil
    }
}
