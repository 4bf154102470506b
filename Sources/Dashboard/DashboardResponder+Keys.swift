internal import FoundationEssentials
internal import Handlers
internal import MetaChatAPI
internal import RESTBridge
internal import RPCServer
internal import Storage
internal import SwiftProtobuf

extension DashboardResponder {
    /// `/tenants/{t}/keys…`: a tenant's API keys through the API's `SecurityService`, which lets
    /// only operators manage keys, so only super admins reach these pages (403 otherwise). New
    /// keys and rotation tokens are shown once on a `no-store` page, never redirected to.
    func keysRoute(
        _ request: HTTPRequest, _ segments: [Substring], session: DashboardSession, tenantID: UUID, form: FormFields
    ) async throws -> HTTPResponse? {
        guard segments.count >= 3, segments[2] == "keys" else { return nil }
        guard !session.role.isTenantScoped else {
            return self.errorPage(status: 403, message: "Only a super admin manages API keys.", session: session)
        }
        let method = request.method
        switch (method, segments.count) {
        case ("GET", 3):
            return try await self.keysPage(session: session, tenantID: tenantID, request: request, error: nil)
        case ("POST", 3):
            var create = Metachat_V1_CreateTenantApiKeyRequest()
            create.tenantID = tenantID.lowercasedString
            create.label = form["label"] ?? ""
            do {
                let created = try await self.security.createTenantApiKey(
                    request: create, context: self.keyContext(session, request))
                try await self.auditKey("created", created.id, session: session, tenantID: tenantID, request: request)
                return self.secretPage(session: session, tenantID: tenantID, apiKey: created.apiKey)
            } catch let error as RPCError where error.code == .invalidArgument || error.code == .alreadyExists {
                return try await self.keysPage(
                    session: session, tenantID: tenantID, request: request, error: error.message,
                    status: error.code.httpStatus)
            }
        case ("POST", 5) where segments[4] == "revoke":
            var revoke = Metachat_V1_RevokeTenantApiKeyRequest()
            revoke.tenantID = tenantID.lowercasedString
            revoke.keyID = String(segments[3])
            _ = try await self.security.revokeTenantApiKey(request: revoke, context: self.keyContext(session, request))
            try await self.auditKey(
                "revoked", String(segments[3]), session: session, tenantID: tenantID, request: request)
            return DashboardResponse.redirect(to: "/tenants/\(tenantID.lowercasedString)/keys")
        case ("POST", 5) where segments[4] == "rotation":
            var start = Metachat_V1_StartTenantApiKeyRotationRequest()
            start.tenantID = tenantID.lowercasedString
            start.keyID = String(segments[3])
            let started = try await self.security.startTenantApiKeyRotation(
                request: start, context: self.keyContext(session, request))
            try await self.auditKey(
                "rotation_started", String(segments[3]), session: session, tenantID: tenantID, request: request)
            let view = SecretView(
                chrome: PageChrome(title: "Rotate API key", session: session),
                keysHref: "/tenants/\(tenantID.lowercasedString)/keys", apiKey: nil,
                rotationToken: started.rotationToken,
                confirmAction: "/tenants/\(tenantID.lowercasedString)/keys/\(start.keyID)/rotation/confirm",
                expiresAt: started.hasExpiresAt ? Self.rfc3339(seconds: started.expiresAt.seconds) : nil,
                csrfToken: session.csrfToken)
            return DashboardResponse.html(self.renderer.render("secret", view))
        case ("POST", 6) where segments[4] == "rotation" && segments[5] == "confirm":
            var confirm = Metachat_V1_ConfirmTenantApiKeyRotationRequest()
            confirm.tenantID = tenantID.lowercasedString
            confirm.keyID = String(segments[3])
            confirm.token = form["token"] ?? ""
            let confirmed = try await self.security.confirmTenantApiKeyRotation(
                request: confirm, context: self.keyContext(session, request))
            try await self.auditKey(
                "rotation_confirmed", String(segments[3]), session: session, tenantID: tenantID, request: request)
            return self.secretPage(session: session, tenantID: tenantID, apiKey: confirmed.apiKey)
        default:
            return nil
        }
    }

    private func keysPage(
        session: DashboardSession, tenantID: UUID, request: HTTPRequest, error: String?, status: Int = 200
    ) async throws -> HTTPResponse {
        var get = Metachat_V1_GetTenantRequest()
        get.tenantID = tenantID.lowercasedString
        let tenant = try await self.tenants.getTenant(
            request: get,
            context: self.context(
                session: session, request: request, method: Metachat_V1_TenantService.Method.getTenant))
        var list = Metachat_V1_ListTenantApiKeysRequest()
        list.tenantID = tenantID.lowercasedString
        list.pageSize = 200
        list.includeRevoked = true
        let keys = try await self.security.listTenantApiKeys(request: list, context: self.keyContext(session, request))
        let base = "/tenants/\(tenantID.lowercasedString)/keys"
        let view = KeysView(
            chrome: PageChrome(title: "API keys", session: session), tenantName: tenant.name, createAction: base,
            rows: keys.apiKeys.map {
                KeysView.Row(
                    id: $0.id, label: $0.label, prefix: $0.prefix, lastFour: $0.lastFour, active: $0.active,
                    actionBase: "\(base)/\($0.id)")
            }, csrfToken: session.csrfToken, error: error)
        return DashboardResponse.html(status: status, self.renderer.render("keys", view))
    }

    private func secretPage(session: DashboardSession, tenantID: UUID, apiKey: String) -> HTTPResponse {
        let view = SecretView(
            chrome: PageChrome(title: "New API key", session: session),
            keysHref: "/tenants/\(tenantID.lowercasedString)/keys", apiKey: apiKey, rotationToken: nil,
            confirmAction: nil, expiresAt: nil, csrfToken: session.csrfToken)
        return DashboardResponse.html(self.renderer.render("secret", view))
    }

    private func keyContext(_ session: DashboardSession, _ request: HTTPRequest) -> ServerContext {
        self.context(
            session: session, request: request, method: Metachat_V1_SecurityService.Method.listTenantApiKeys)
    }

    private func auditKey(
        _ action: String, _ keyID: String, session: DashboardSession, tenantID: UUID, request: HTTPRequest
    ) async throws {
        try await self.audit(
            DashboardAuditEntry(
                actor: DashboardAuditEntry.actor(session.userID), action: "dashboard.api_key.\(action)",
                target: String(keyID.prefix(36)), tenantID: tenantID, clientAddress: self.clientAddress(of: request)))
    }

    /// `2026-12-07T12:00:00Z` for seconds since 1970.
    static func rfc3339(seconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601)
    }
}
