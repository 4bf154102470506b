internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
internal import Storage

extension WebhookHandler {
    package func listWebhookDeliveries(
        request: Metachat_V1_ListWebhookDeliveriesRequest, context: ServerContext
    ) async throws -> Metachat_V1_ListWebhookDeliveriesResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.webhookID)
        let webhookID = try ConversationFieldRules.uuid(request.webhookID, field: "webhookId")
        let pageSize = try WebhookFieldRules.pageSize(request.pageSize)
        if case .UNRECOGNIZED = request.status {
            throw TenantFieldViolation.error("status", "must be a known delivery status")
        }
        let statuses = WebhookDeliveryRow.storedStatuses(request.status)
        var eventType: String?
        switch request.eventType {
        case .unspecified: eventType = nil
        case .UNRECOGNIZED: throw TenantFieldViolation.error("eventType", "must be a known event type")
        default: eventType = request.eventType.wireName
        }
        let filters = "\(webhookID.lowercasedString)|\(request.status.rawValue)|\(request.eventType.rawValue)"
        var cursor: (micros: Int64, id: UUID)?
        if !request.pageToken.isEmpty {
            let token = try KeysetPageToken(
                decoding: request.pageToken, filters: filters, method: "ListWebhookDeliveries")
            guard let id = token.id else {
                throw TenantFieldViolation.error(
                    "pageToken", "is not a token from a previous ListWebhookDeliveries response")
            }
            cursor = (token.position, id)
        }
        let after = cursor
        let filterType = eventType
        let rows = try await self.transaction(access.tenantID) { connection in
            guard
                try await WebhookEndpointStore(connection: connection, tenantID: access.tenantID).find(webhookID) != nil
            else { return nil as [WebhookDeliveryRow]? }
            return try await WebhookDeliveryStore(connection: connection, tenantID: access.tenantID).list(
                webhookID: webhookID, statuses: statuses, eventType: filterType, after: after, limit: pageSize + 1)
        }
        guard let rows else { throw Self.endpointNotFound(webhookID) }
        var response = Metachat_V1_ListWebhookDeliveriesResponse()
        response.deliveries = rows.prefix(pageSize).map(\.delivery)
        if rows.count > pageSize, let last = rows.prefix(pageSize).last {
            response.nextPageToken = KeysetPageToken(position: last.createdMicros, id: last.id, filters: filters)
                .encoded()
        }
        return response
    }

    package func getWebhookDelivery(
        request: Metachat_V1_GetWebhookDeliveryRequest, context: ServerContext
    ) async throws -> Metachat_V1_WebhookDelivery {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.deliveryID)
        let webhookID = try ConversationFieldRules.uuid(request.webhookID, field: "webhookId")
        let id = try ConversationFieldRules.uuid(request.deliveryID, field: "deliveryId")
        let delivery = try await self.transaction(access.tenantID) { connection in
            let store = WebhookDeliveryStore(connection: connection, tenantID: access.tenantID)
            guard let row = try await store.find(webhookID: webhookID, id: id) else {
                return nil as Metachat_V1_WebhookDelivery?
            }
            var delivery = row.delivery
            delivery.attemptLog = try await store.attempts(of: id)
            return delivery
        }
        guard let delivery else { throw Self.deliveryNotFound(id) }
        return delivery
    }

    package func redeliverWebhook(
        request: Metachat_V1_RedeliverWebhookRequest, context: ServerContext
    ) async throws -> Metachat_V1_RedeliverWebhookResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.deliveryID)
        let webhookID = try ConversationFieldRules.uuid(request.webhookID, field: "webhookId")
        let id = try ConversationFieldRules.uuid(request.deliveryID, field: "deliveryId")
        let attempts = self.queue.configuration.retry.maximumAttempts
        let row = try await self.transaction(access.tenantID) { connection in
            let endpoints = WebhookEndpointStore(connection: connection, tenantID: access.tenantID)
            guard let endpoint = try await endpoints.find(webhookID, forUpdate: true) else {
                throw Self.endpointNotFound(webhookID)
            }
            let store = WebhookDeliveryStore(connection: connection, tenantID: access.tenantID)
            guard let original = try await store.find(webhookID: webhookID, id: id) else {
                throw Self.deliveryNotFound(id)
            }
            guard endpoint.endpoint.enabled else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "Webhook \(webhookID.lowercasedString) is disabled; enable it before redelivering.")
            }
            return try await store.redeliver(original, maximumAttempts: attempts)
        }
        var response = Metachat_V1_RedeliverWebhookResponse()
        response.delivery = row.delivery
        return response
    }

    package func sendTestWebhookEvent(
        request: Metachat_V1_SendTestWebhookEventRequest, context: ServerContext
    ) async throws -> Metachat_V1_SendTestWebhookEventResponse {
        try RequestTextCheck.check(request)
        let access = try await self.access.resolve(context, target: request.webhookID)
        let webhookID = try ConversationFieldRules.uuid(request.webhookID, field: "webhookId")
        let data =
            "{\"tenantId\":\"\(access.tenantIDText)\",\"webhookId\":\"\(webhookID.lowercasedString)\","
            + "\"message\":\"A test event from MetaChat.\"}"
        let event = OutboxEvent(tenantID: access.tenantID, type: .test, occurredAt: Date(), dataJSON: data)
        let lease = Double(self.queue.configuration.lease.components.seconds)
        let (endpoint, row) = try await self.transaction(access.tenantID) { connection in
            guard
                let endpoint = try await WebhookEndpointStore(connection: connection, tenantID: access.tenantID).find(
                    webhookID)
            else { throw Self.endpointNotFound(webhookID) }
            let row = try await WebhookDeliveryStore(connection: connection, tenantID: access.tenantID).insertTest(
                webhookID: webhookID, event: event, leaseSeconds: lease)
            return (endpoint, row)
        }
        let claim = WebhookClaim(test: row, tenantID: access.tenantID, endpoint: endpoint)
        let attempt: WebhookAttempt
        do {
            attempt = await self.sender.send(
                url: claim.url, eventID: claim.eventID, body: claim.body,
                secrets: try endpoint.signingSecrets(self.sealing))
        } catch {
            let now = Date()
            attempt = WebhookAttempt(
                startedAt: now, finishedAt: now, statusCode: 0,
                error: "the signing secret could not be opened (SECRETS_ENCRYPTION_KEY)", responseBody: "",
                outcome: .final)
        }
        do {
            try await self.queue.record(claim, attempt: attempt, isTest: true, random: 0.5)
        } catch let error as PostgresError {
            throw RPCError(storage: error)
        }
        let delivery = try await self.transaction(access.tenantID) { connection in
            let store = WebhookDeliveryStore(connection: connection, tenantID: access.tenantID)
            var delivery = try await store.find(webhookID: webhookID, id: row.id)?.delivery ?? row.delivery
            delivery.attemptLog = try await store.attempts(of: row.id)
            return delivery
        }
        var response = Metachat_V1_SendTestWebhookEventResponse()
        response.delivery = delivery
        return response
    }
}
