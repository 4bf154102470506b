internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
package import Storage
package import SwiftProtobuf

/// Answers `metachat.v1.WebhookService`: a tenant's webhook endpoints, their deliveries,
/// redeliveries, test events and secret rotation.
///
/// Every method checks the request's text (``RequestTextCheck``), resolves the tenant it acts on
/// (``TenantAccessResolver``) and runs its SQL in a transaction scoped to that tenant: an
/// endpoint or delivery of another tenant answers `NOT_FOUND`, exactly like one that does not
/// exist. Deliveries themselves are made by the ``WebhookRelay``s.
///
/// ```swift
/// WebhookHandler(pool: postgres, sender: sender, sealing: envelope, destinations: egress)
///     .registerMethods(with: &router)
/// ```
package struct WebhookHandler: Metachat_V1_WebhookService.Handler {
    let pool: PostgresPool
    let access: TenantAccessResolver
    let sender: WebhookSender
    let sealing: any WebhookSecretSealing
    let destinations: any WebhookDestinationCheck
    let queue: WebhookDeliveryQueue

    /// Creates the handler.
    ///
    /// - Parameters:
    ///   - pool: PostgreSQL, migrated.
    ///   - sender: Sends test events.
    ///   - sealing: Seals and opens signing secrets.
    ///   - destinations: Refuses receiver URLs outside the egress policy.
    ///   - configuration: Retries (the attempts a redelivery gets).
    package init(
        pool: PostgresPool, sender: WebhookSender, sealing: any WebhookSecretSealing,
        destinations: any WebhookDestinationCheck, configuration: WebhookConfiguration = .defaults
    ) {
        self.pool = pool
        self.access = TenantAccessResolver(pool: pool)
        self.sender = sender
        self.sealing = sealing
        self.destinations = destinations
        self.queue = WebhookDeliveryQueue(pool: pool, configuration: configuration)
    }

    package func createWebhookEndpoint(
        request: Metachat_V1_CreateWebhookEndpointRequest, context: ServerContext
    ) async throws -> Metachat_V1_CreateWebhookEndpointResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context)
        let url = try WebhookFieldRules.url(request.url)
        let types = try WebhookFieldRules.eventTypes(request.eventTypes)
        let description = try WebhookFieldRules.description(request.description_p)
        try await self.checkDestination(url, field: "url")
        let enabled = request.hasEnabled ? request.enabled.value : true
        let id = UUID()
        let secret = WebhookSigningSecret.generate()
        let sealed = try self.seal(secret.text, endpointID: id, column: "signing_secret")
        let row = try await self.transaction(access.tenantID) { connection in
            try await WebhookEndpointStore(connection: connection, tenantID: access.tenantID).insert(
                id: id, url: url, eventTypes: types, description: description, enabled: enabled, sealedSecret: sealed,
                lastFour: secret.lastFour)
        }
        var response = Metachat_V1_CreateWebhookEndpointResponse()
        response.webhook = row.endpoint
        response.signingSecret = secret.text
        return response
    }

    package func getWebhookEndpoint(
        request: Metachat_V1_GetWebhookEndpointRequest, context: ServerContext
    ) async throws -> Metachat_V1_WebhookEndpoint {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.webhookID)
        let id = try ConversationFieldRules.uuid(request.webhookID, field: "webhookId")
        let row = try await self.transaction(access.tenantID) { connection in
            try await WebhookEndpointStore(connection: connection, tenantID: access.tenantID).find(id)
        }
        guard let row else { throw Self.endpointNotFound(id) }
        return row.endpoint
    }

    package func listWebhookEndpoints(
        request: Metachat_V1_ListWebhookEndpointsRequest, context: ServerContext
    ) async throws -> Metachat_V1_ListWebhookEndpointsResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context)
        let pageSize = try WebhookFieldRules.pageSize(request.pageSize)
        var cursor: (micros: Int64, id: UUID)?
        if !request.pageToken.isEmpty {
            let token = try KeysetPageToken(
                decoding: request.pageToken, filters: "webhooks", method: "ListWebhookEndpoints")
            guard let id = token.id else {
                throw TenantFieldViolation.error(
                    "pageToken", "is not a token from a previous ListWebhookEndpoints response")
            }
            cursor = (token.position, id)
        }
        let after = cursor
        let rows = try await self.transaction(access.tenantID) { connection in
            try await WebhookEndpointStore(connection: connection, tenantID: access.tenantID).list(
                after: after, limit: pageSize + 1)
        }
        var response = Metachat_V1_ListWebhookEndpointsResponse()
        response.webhooks = rows.prefix(pageSize).map(\.endpoint)
        if rows.count > pageSize, let last = rows.prefix(pageSize).last {
            response.nextPageToken = KeysetPageToken(position: last.createdMicros, id: last.id, filters: "webhooks")
                .encoded()
        }
        return response
    }

    package func updateWebhookEndpoint(
        request: Metachat_V1_UpdateWebhookEndpointRequest, context: ServerContext
    ) async throws -> Metachat_V1_WebhookEndpoint {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.webhookID)
        let id = try ConversationFieldRules.uuid(request.webhookID, field: "webhookId")
        let body = request.webhook
        let mask = try WebhookUpdateMask(paths: request.updateMask.paths, body: body)
        let url = mask.url ? try WebhookFieldRules.url(body.url, field: "webhook.url") : nil
        let types =
            mask.eventTypes ? try WebhookFieldRules.eventTypes(body.eventTypes, field: "webhook.eventTypes") : nil
        let description =
            mask.description ? try WebhookFieldRules.description(body.description_p, field: "webhook.description") : nil
        if let url {
            try await self.checkDestination(url, field: "webhook.url")
        }
        let enabled = mask.enabled ? body.enabled : nil
        let row = try await self.transaction(access.tenantID) { connection in
            try await WebhookEndpointStore(connection: connection, tenantID: access.tenantID).update(
                id, url: url, eventTypes: types, description: description, enabled: enabled)
        }
        guard let row else { throw Self.endpointNotFound(id) }
        if enabled == true {
            // Deliveries that waited for the endpoint come due now.
            try? await self.notify()
        }
        return row.endpoint
    }

    package func deleteWebhookEndpoint(
        request: Metachat_V1_DeleteWebhookEndpointRequest, context: ServerContext
    ) async throws -> Google_Protobuf_Empty {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.webhookID)
        let id = try ConversationFieldRules.uuid(request.webhookID, field: "webhookId")
        let deleted = try await self.transaction(access.tenantID) { connection in
            try await WebhookEndpointStore(connection: connection, tenantID: access.tenantID).delete(id)
        }
        guard deleted else { throw Self.endpointNotFound(id) }
        return Google_Protobuf_Empty()
    }

    package func rotateWebhookSecret(
        request: Metachat_V1_RotateWebhookSecretRequest, context: ServerContext
    ) async throws -> Metachat_V1_RotateWebhookSecretResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.webhookID)
        let id = try ConversationFieldRules.uuid(request.webhookID, field: "webhookId")
        let grace = try WebhookFieldRules.graceSeconds(request.hasGracePeriod ? request.gracePeriod : nil)
        let secret = WebhookSigningSecret.generate()
        let sealed = try self.seal(secret.text, endpointID: id, column: "signing_secret")
        let sealing = self.sealing
        let row = try await self.transaction(access.tenantID) { connection in
            let store = WebhookEndpointStore(connection: connection, tenantID: access.tenantID)
            guard let current = try await store.find(id, forUpdate: true) else { return nil as WebhookEndpointRow? }
            var previous: String?
            if grace > 0 {
                let text = try sealing.open(current.sealedSecret, endpointID: id, column: "signing_secret")
                previous = try sealing.seal(text, endpointID: id, column: "previous_signing_secret")
            }
            return try await store.rotate(
                id, sealedSecret: sealed, lastFour: secret.lastFour, sealedPrevious: previous, graceSeconds: grace)
        }
        guard let row else { throw Self.endpointNotFound(id) }
        var response = Metachat_V1_RotateWebhookSecretResponse()
        response.webhook = row.endpoint
        response.signingSecret = secret.text
        return response
    }

    // MARK: Helpers

    /// Runs `body` in a transaction scoped to `tenantID`, turning PostgreSQL failures into RPC
    /// statuses.
    func transaction<Result: Sendable>(_ tenantID: UUID, _ body: (PostgresConnection) async throws -> Result)
        async throws -> Result
    {
        do {
            return try await self.pool.withTenantTransaction(tenantID: tenantID) { try await body($0) }
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
    }

    /// Wakes the relays.
    func notify() async throws {
        try await self.pool.withAdminTransaction { connection in
            _ = try await connection.query("SELECT pg_notify('outbox', '')")
        }
    }

    /// `INVALID_ARGUMENT` naming `field` when the egress policy refuses `url`.
    func checkDestination(_ url: String, field: String) async throws {
        do {
            try await self.destinations.check(url: url)
        } catch {
            throw TenantFieldViolation.error(field, "is refused: \(error.description)")
        }
    }

    /// The sealed form of a new secret.
    func seal(_ secret: String, endpointID: UUID, column: String) throws -> String {
        do {
            return try self.sealing.seal(secret, endpointID: endpointID, column: column)
        } catch {
            throw RPCError(
                code: .failedPrecondition,
                message: "Webhook secrets cannot be stored: the server has no SECRETS_ENCRYPTION_KEY.")
        }
    }

    /// The answer for an endpoint the tenant does not have (another tenant's answers the same).
    static func endpointNotFound(_ id: UUID) -> RPCError {
        RPCError(code: .notFound, message: "Webhook \(id.lowercasedString) was not found.")
    }

    /// The answer for a delivery the endpoint does not have.
    static func deliveryNotFound(_ id: UUID) -> RPCError {
        RPCError(code: .notFound, message: "Webhook delivery \(id.lowercasedString) was not found.")
    }
}
