internal import FoundationEssentials
package import Handlers
package import Logging
internal import MetaChatAPI
internal import RESTBridge
package import RPCServer
package import Storage
internal import SwiftProtobuf

/// Answers the dashboard's port: pages rendered from templates over the same handlers the API
/// uses, behind password sign-in with server-side sessions (docs/dashboard.md).
///
/// Every unsafe request passes ``CrossSiteCheck`` and, once signed in, must carry the session's
/// CSRF token (form field `csrf` or header `x-csrf-token`). Handlers are called in-process with a
/// principal derived from the session: a super admin acts as a SUPER admin, everyone else as their
/// own tenant, so an agent of tenant A gets 404 for tenant B exactly as tenant A's key would.
package struct DashboardResponder: HTTPResponder {
    let users: DashboardUserStore
    let sessions: DashboardSessionStore
    let tenants: TenantHandler
    let conversations: ConversationHandler
    let security: SecurityHandler
    let inbox: ConversationInbox
    let notes: ConversationNotes
    let loginAttempts: any LoginAttemptCounter
    let configuration: DashboardConfiguration
    let renderer: PageRenderer
    let addresses: ClientAddressResolver
    let logger: Logger
    /// The hash a sign-in of an unknown email is checked against, so it takes as long as a real one.
    let decoyHash: PasswordHash

    /// Creates the responder.
    ///
    /// - Parameters:
    ///   - pool: The database of users, sessions and tenants.
    ///   - tenants: The tenant handler the API uses.
    ///   - conversations: The conversation handler the API uses (its event hub feeds the live
    ///     routes).
    ///   - security: The API's security handler (tenant API keys and their rotation).
    ///   - loginAttempts: Counts sign-in attempts per address and per account.
    ///   - configuration: Timeouts, password cost, login limits, trusted proxies.
    ///   - logger: Receives failures.
    /// - Throws: When a template does not compile.
    package init(
        pool: PostgresPool, tenants: TenantHandler, conversations: ConversationHandler, security: SecurityHandler,
        loginAttempts: any LoginAttemptCounter, configuration: DashboardConfiguration, logger: Logger
    ) throws {
        self.users = DashboardUserStore(pool: pool)
        self.sessions = DashboardSessionStore(
            pool: pool, idleTimeout: configuration.sessionIdleTimeout,
            absoluteTimeout: configuration.sessionAbsoluteTimeout)
        self.tenants = tenants
        self.conversations = conversations
        self.security = security
        self.inbox = ConversationInbox(pool: pool)
        self.notes = ConversationNotes(pool: pool)
        self.loginAttempts = loginAttempts
        self.configuration = configuration
        self.renderer = try PageRenderer()
        self.addresses = ClientAddressResolver(trustedProxies: configuration.trustedProxies)
        self.logger = logger
        self.decoyHash = try PasswordHash.make(
            password: Digest.hex(Secrets.randomBytes(16)), cost: configuration.passwordCost)
    }

    package func maxBodyBytes(method: String, target: String) -> Int? {
        FormFields.maximumBytes
    }

    /// Answers a request; every response carries `server-timing: app;dur=<ms>`, the time spent
    /// here (for streams: until the head), which the dashboard's benchmark reads.
    package func respond(to request: HTTPRequest) async -> HTTPResponse {
        let started = ContinuousClock.now
        var response = await self.answer(request)
        let elapsed = ContinuousClock.now - started
        let microseconds = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        response.headers.append(
            ("server-timing", "app;dur=\(microseconds / 1000).\(String(microseconds % 1000 + 1000).dropFirst())"))
        return response
    }

    private func answer(_ request: HTTPRequest) async -> HTTPResponse {
        do {
            return try await self.route(request)
        } catch let error as RPCError {
            return self.errorPage(status: error.code.httpStatus, message: error.message, session: nil)
        } catch let error as FormFieldsError {
            return self.errorPage(status: 400, message: error.message, session: nil)
        } catch {
            self.logger.error("dashboard request failed", metadata: ["error": "\(String(reflecting: error))"])
            return self.errorPage(status: 500, message: RPCError.unknownErrorMessage, session: nil)
        }
    }

    private func route(_ request: HTTPRequest) async throws -> HTTPResponse {
        let path = request.path
        let method = request.method
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        switch (method, path) {
        case ("GET", "/health"), ("HEAD", "/health"):
            return HTTPResponse.json(status: 200, #"{"status":"ok","service":"dashboard"}"#)
        case ("GET", "/static/dashboard.css"):
            return HTTPResponse(
                status: 200,
                headers: [("content-type", "text/css; charset=utf-8"), ("cache-control", "max-age=300")]
                    + DashboardResponse.securityHeaders,
                body: Array(DashboardTemplates.stylesheet.utf8))
        case ("GET", "/static/live.js"):
            return HTTPResponse(
                status: 200,
                headers: [("content-type", "text/javascript; charset=utf-8"), ("cache-control", "max-age=300")]
                    + DashboardResponse.securityHeaders,
                body: Array(DashboardScripts.live.utf8))
        case ("GET", "/login"):
            if try await self.session(of: request) != nil {
                return DashboardResponse.redirect(to: "/")
            }
            return DashboardResponse.html(self.renderer.render("login", LoginView()))
        case ("POST", "/login"):
            return try await self.login(request)
        case ("POST", "/logout"):
            return try await self.withSession(request, unsafe: true) { session, _ in
                if let token = RequestCookies.value(named: DashboardResponse.sessionCookie, in: request) {
                    try await self.sessions.end(token: token, clientAddress: self.clientAddress(of: request))
                }
                return DashboardResponse.redirect(to: "/login", headers: [DashboardResponse.clearedSessionCookie])
            }
        case ("GET", "/"):
            return try await self.withSession(request, unsafe: false) { session, _ in
                if session.role.isTenantScoped, let tenantID = session.tenantID {
                    return DashboardResponse.redirect(to: "/tenants/\(tenantID.lowercasedString)/inbox")
                }
                return DashboardResponse.redirect(to: "/tenants")
            }
        case ("GET", "/tenants"):
            return try await self.withSession(request, unsafe: false) { session, _ in
                try await self.tenantsPage(session: session, request: request, error: nil)
            }
        case ("POST", "/tenants"):
            return try await self.withSession(request, unsafe: true) { session, form in
                try await self.createTenant(session: session, form: form, request: request)
            }
        default:
            if let response = try await self.tenantRoute(request, segments) {
                return response
            }
            if method == "POST", segments.count == 3, segments[0] == "tenants",
                segments[2] == "disable" || segments[2] == "enable"
            {
                return try await self.withSession(request, unsafe: true) { session, _ in
                    try await self.setTenantEnabled(
                        session: session, id: String(segments[1]), enabled: segments[2] == "enable", request: request)
                }
            }
            let known = ["/health", "/login", "/logout", "/", "/tenants", "/static/dashboard.css", "/static/live.js"]
            if known.contains(String(path)) {
                return HTTPResponse(
                    status: 405,
                    headers: [("allow", path == "/logout" ? "POST" : "GET")] + DashboardResponse.securityHeaders)
            }
            let session = try await self.session(of: request)
            return self.errorPage(status: 404, message: "There is no page at this address.", session: session)
        }
    }

    // MARK: Sessions

    /// The session of the request's cookie, if it names a live one.
    func session(of request: HTTPRequest) async throws -> DashboardSession? {
        guard let token = RequestCookies.value(named: DashboardResponse.sessionCookie, in: request) else { return nil }
        return try await self.sessions.resolve(token: token)
    }

    /// Runs `body` for a signed-in request. Unsafe requests must pass the cross-site check and
    /// carry the session's CSRF token; `body` receives the parsed form of those.
    func withSession(
        _ request: HTTPRequest, unsafe changes: Bool,
        _ body: (DashboardSession, FormFields) async throws -> HTTPResponse
    ) async throws -> HTTPResponse {
        if changes, let refusal = CrossSiteCheck.refusal(for: request, host: self.host(of: request)) {
            return self.errorPage(status: 403, message: refusal, session: nil)
        }
        guard let session = try await self.session(of: request) else {
            if changes {
                return self.errorPage(status: 401, message: "Your session has ended; sign in again.", session: nil)
            }
            return DashboardResponse.redirect(to: "/login")
        }
        guard changes else { return try await body(session, try FormFields(body: [])) }
        let form = try FormFields(body: request.body)
        let presented = form["csrf"] ?? request.header("x-csrf-token") ?? ""
        guard Secrets.constantTimeEquals(presented, session.csrfToken) else {
            return self.errorPage(
                status: 403, message: "The form is out of date (missing or wrong CSRF token); reload the page.",
                session: session)
        }
        return try await body(session, form)
    }

    private func login(_ request: HTTPRequest) async throws -> HTTPResponse {
        if let refusal = CrossSiteCheck.refusal(for: request, host: self.host(of: request)) {
            return self.errorPage(status: 403, message: refusal, session: nil)
        }
        let form = try FormFields(body: request.body)
        let email = form["email"] ?? ""
        let password = form["password"] ?? ""
        let address = self.clientAddress(of: request)
        var view = LoginView(email: email)
        guard !email.isEmpty, !password.isEmpty else {
            view.error = "Enter your email and password."
            return DashboardResponse.html(status: 400, self.renderer.render("login", view))
        }
        for (subject, policy) in [
            ("dashboard-login:address:" + address, self.configuration.loginLimitPerAddress),
            ("dashboard-login:account:" + email.lowercased().prefix(254), self.configuration.loginLimitPerAccount),
        ] {
            let decision = await self.loginAttempts.check(subject: subject, policy: policy)
            if !decision.allowed {
                let seconds = max(1, (min(decision.retryAfterMilliseconds, 86_400_000) + 999) / 1000)
                view.error = "Too many sign-in attempts; try again in \(seconds) seconds."
                return DashboardResponse.html(
                    status: 429, self.renderer.render("login", view), headers: [("retry-after", String(seconds))])
            }
        }
        let user = try await self.users.find(email: email)
        let verified = (user?.passwordHash ?? self.decoyHash).verify(password)
        guard let user, verified, !user.isDisabled else {
            try await self.audit(
                DashboardAuditEntry(
                    actor: DashboardAuditEntry.actor(user?.id), action: "dashboard.login.failed",
                    target: user?.id.lowercasedString ?? "", tenantID: user?.tenantID, clientAddress: address,
                    details: ["email": String(email.prefix(254))]))
            view.error = "The email or password is wrong."
            return DashboardResponse.html(status: 401, self.renderer.render("login", view))
        }
        let (token, _) = try await self.sessions.start(for: user, clientAddress: address)
        let headers = [
            DashboardResponse.sessionCookie(
                token: token, maxAgeSeconds: Int(self.configuration.sessionAbsoluteTimeout.components.seconds))
        ]
        // A token the browser held before sign-in ends with it (a new id at every sign-in).
        if let previous = RequestCookies.value(named: DashboardResponse.sessionCookie, in: request) {
            try await self.sessions.end(token: previous, clientAddress: address)
        }
        return DashboardResponse.redirect(to: "/", headers: headers)
    }

    // MARK: Tenants

    private func tenantsPage(session: DashboardSession, request: HTTPRequest, error: String?, status: Int = 200)
        async throws -> HTTPResponse
    {
        let context = self.context(
            session: session, request: request, method: Metachat_V1_TenantService.Method.listTenants)
        var found: [Metachat_V1_Tenant] = []
        if session.role.isTenantScoped, let tenantID = session.tenantID {
            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = tenantID.lowercasedString
            found = [try await self.tenants.getTenant(request: get, context: context)]
        } else {
            var list = Metachat_V1_ListTenantsRequest()
            list.pageSize = 200
            found = try await self.tenants.listTenants(request: list, context: context).tenants
        }
        let superAdmin = !session.role.isTenantScoped
        let items = found.map { tenant in
            TenantsView.Item(
                id: tenant.id, name: tenant.name, status: tenant.enabled ? "Enabled" : "Disabled",
                canToggle: superAdmin,
                toggleAction: tenant.enabled ? "disable" : "enable",
                toggleLabel: tenant.enabled ? "Disable" : "Enable", csrfToken: session.csrfToken)
        }
        let view = TenantsView(
            chrome: PageChrome(title: "Tenants", session: session), tenants: items, count: items.count,
            canAdminister: superAdmin, canCreate: superAdmin, csrfToken: session.csrfToken, error: error)
        return DashboardResponse.html(status: status, self.renderer.render("tenants", view))
    }

    private func createTenant(session: DashboardSession, form: FormFields, request: HTTPRequest) async throws
        -> HTTPResponse
    {
        guard !session.role.isTenantScoped else {
            return self.errorPage(status: 403, message: "Only a super admin creates tenants.", session: session)
        }
        var create = Metachat_V1_CreateTenantRequest()
        create.name = form["name"] ?? ""
        let context = self.context(
            session: session, request: request, method: Metachat_V1_TenantService.Method.createTenant)
        do {
            let tenant = try await self.tenants.createTenant(request: create, context: context)
            try await self.audit(
                DashboardAuditEntry(
                    actor: DashboardAuditEntry.actor(session.userID), action: "dashboard.tenant.created",
                    target: tenant.id, tenantID: UUID(canonicalText: tenant.id),
                    clientAddress: self.clientAddress(of: request)))
            return DashboardResponse.redirect(to: "/tenants")
        } catch let error as RPCError where error.code == .invalidArgument {
            return try await self.tenantsPage(
                session: session, request: request, error: error.message, status: error.code.httpStatus)
        }
    }

    private func setTenantEnabled(session: DashboardSession, id: String, enabled: Bool, request: HTTPRequest)
        async throws -> HTTPResponse
    {
        guard let tenantID = UUID(canonicalText: id), session.reaches(tenant: tenantID) else {
            return self.errorPage(status: 404, message: "Tenant \(id.prefix(64)) was not found.", session: session)
        }
        guard !session.role.isTenantScoped else {
            return self.errorPage(
                status: 403, message: "Only a super admin enables or disables tenants.", session: session)
        }
        if enabled {
            var update = Metachat_V1_UpdateTenantRequest()
            update.tenantID = tenantID.lowercasedString
            update.tenant.enabled = true
            update.updateMask.paths = ["enabled"]
            _ = try await self.tenants.updateTenant(
                request: update,
                context: self.context(
                    session: session, request: request, method: Metachat_V1_TenantService.Method.updateTenant))
        } else {
            var disable = Metachat_V1_DisableTenantRequest()
            disable.tenantID = tenantID.lowercasedString
            _ = try await self.tenants.disableTenant(
                request: disable,
                context: self.context(
                    session: session, request: request, method: Metachat_V1_TenantService.Method.disableTenant))
        }
        try await self.audit(
            DashboardAuditEntry(
                actor: DashboardAuditEntry.actor(session.userID),
                action: enabled ? "dashboard.tenant.enabled" : "dashboard.tenant.disabled",
                target: tenantID.lowercasedString, tenantID: tenantID, clientAddress: self.clientAddress(of: request)))
        return DashboardResponse.redirect(to: "/tenants")
    }

    // MARK: Helpers

    /// A call context for the API's handlers with the principal the session stands for; with
    /// `tenantID`, a super admin's context names that tenant in `x-tenant-id` (tenant-scoped
    /// sessions always act as their own tenant).
    func context(
        session: DashboardSession, request: HTTPRequest, method: MethodDescriptor, tenantID: UUID? = nil
    ) -> ServerContext {
        var metadata = Metadata()
        if let tenantID, !session.role.isTenantScoped {
            metadata.addString(tenantID.lowercasedString, forKey: "x-tenant-id")
        }
        var context = ServerContext(
            descriptor: method, requestMetadata: metadata, peer: request.peer,
            clientAddress: self.addresses.origin(peer: request.peerAddress, headers: request.headers).client,
            requestID: Digest.hex(Secrets.randomBytes(8)))
        if session.role.isTenantScoped, let tenantID = session.tenantID {
            context.principal = .tenant(tenantID: tenantID.lowercasedString, keyID: "dashboard-session")
        } else {
            context.principal = .admin(
                adminID: DashboardAuditEntry.actor(session.userID), keyID: "dashboard-session", role: .super)
        }
        return context
    }

    func clientAddress(of request: HTTPRequest) -> String {
        self.addresses.origin(peer: request.peerAddress, headers: request.headers).client.description
    }

    /// The host the request addresses: `X-Forwarded-Host` from a trusted proxy, else `Host`.
    private func host(of request: HTTPRequest) -> String? {
        if self.addresses.isTrusted(request.peerAddress), let forwarded = request.header("x-forwarded-host") {
            return forwarded
        }
        return request.header("host") ?? request.header(":authority")
    }

    func audit(_ entry: DashboardAuditEntry) async throws {
        try await self.sessions.write(entry)
    }

    func errorPage(status: Int, message: String, session: DashboardSession?) -> HTTPResponse {
        let title =
            switch status {
            case 401: "Signed out"
            case 403: "Not allowed"
            case 404: "Not found"
            case 429: "Too many requests"
            case 500...: "Something went wrong"
            default: "Cannot do that"
            }
        let view = ErrorView(chrome: PageChrome(title: title, session: session), message: message)
        return DashboardResponse.html(status: status, self.renderer.render("error", view))
    }
}
