import Foundation
import Handlers
import MetaChatAPI
import Prometheus
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("Webhook deliveries", .serialized)
struct WebhookDeliveryTests {
    typealias Harness = WebhookTestHarness

    static func oneAttemptDisableAfterThree(_ configuration: inout WebhookConfiguration) {
        configuration.disableAfterFailures = 3
        configuration.retry.maximumAttempts = 1
    }

    static func oneAttemptDisableAfterTwo(_ configuration: inout WebhookConfiguration) {
        configuration.disableAfterFailures = 2
        configuration.retry.maximumAttempts = 1
    }

    static func twoPerEndpoint(_ configuration: inout WebhookConfiguration) {
        configuration.attemptTimeout = .seconds(30)
        configuration.concurrencyPerEndpoint = 2
    }

    static func ok() -> WebhookResponse { WebhookResponse(statusCode: 200, retryAfter: nil, bodyPrefix: "ok") }

    static func seconds(_ from: Google_Protobuf_Timestamp, _ to: Google_Protobuf_Timestamp) -> Double {
        to.date.timeIntervalSince(from.date)
    }

    @Test("An event reaches the subscribed endpoints of its tenant, signed, with the same id as the outbox row")
    func fanOutAndSign() async throws {
        try await Harness.with { h in
            let all = try await h.createEndpoint("https://a.example/all")
            let onlyMessages = try await h.createEndpoint("https://a.example/messages", types: [.messageCreated])
            _ = try await h.createEndpoint("https://b.example/all", context: h.asB)
            let conversation = try await h.createConversation()
            try await Polling.until("the delivery", within: .seconds(10)) {
                try await h.deliveries(all.webhook.id).first?.status == .succeeded
            }
            let received = h.receiver.received(at: "https://a.example/all")
            #expect(received.count == 1)
            let request = try #require(received.first)
            #expect(request.type == "conversation.created")
            let body = try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any]
            let data = try #require(body?["data"] as? [String: Any])
            #expect(data["conversationId"] as? String == conversation.id)
            #expect(data["tenantId"] as? String == h.tenantA)
            #expect(body?["timestamp"] is String)
            let id = try #require(request.headers["webhook-id"])
            let timestamp = try #require(request.headers["webhook-timestamp"].flatMap { Int64($0) })
            let secret = try #require(WebhookSigningSecret(text: all.signingSecret))
            #expect(
                request.headers["webhook-signature"]
                    == WebhookSignature.header(
                        id: id, timestamp: timestamp, body: Array(request.body.utf8), secrets: [secret]))
            let outboxIDs = try await h.pool.withAdminTransaction { connection in
                try await connection.query("SELECT id FROM outbox_events WHERE event_type = 'conversation.created'")
                    .map { try $0.decode("id", as: UUID.self).uuidString.lowercased() }
            }
            #expect(outboxIDs == [id])
            // The secret is stored sealed, bound to its endpoint: never as plaintext.
            let stored = try await h.pool.withAdminTransaction { connection in
                try await connection.query(
                    "SELECT signing_secret FROM webhook_endpoints WHERE id = \(UUID(uuidString: all.webhook.id)!)")[0]
                    .decode("signing_secret", as: String.self)
            }
            #expect(stored.hasPrefix("mcs1:") && !stored.contains(all.signingSecret))
            let otherID = try #require(UUID(uuidString: onlyMessages.webhook.id))
            #expect(throws: (any Error).self) {
                try testSecretSealing.open(stored, endpointID: otherID, column: "signing_secret")
            }
            #expect(try await h.deliveries(onlyMessages.webhook.id).isEmpty)
            #expect(h.receiver.received(at: "https://b.example/all").isEmpty)
        }
    }

    @Test("Failed attempts are retried about 1 s, 2 s and 4 s apart, each one recorded, until one succeeds")
    func retryTiming() async throws {
        try await Harness.with { h in
            let url = "https://a.example/flaky"
            h.receiver.script(url) { attempt, _ in
                attempt <= 3 ? WebhookResponse(statusCode: 503, retryAfter: nil, bodyPrefix: "busy") : Self.ok()
            }
            let endpoint = try await h.createEndpoint(url)
            try await h.createConversation()
            try await Polling.until("the fourth attempt", within: .seconds(20), every: .milliseconds(50)) {
                try await h.deliveries(endpoint.webhook.id).first?.status == .succeeded
            }
            let listed = try #require(try await h.deliveries(endpoint.webhook.id).first)
            let delivery = try await h.delivery(endpoint.webhook.id, listed.id)
            #expect(delivery.attempts == 4)
            #expect(delivery.attemptLog.map(\.statusCode) == [503, 503, 503, 200])
            #expect(delivery.attemptLog.map(\.responseBody) == ["busy", "busy", "busy", "ok"])
            let metrics = h.metrics.emitToString()
            #expect(MetricsText.value(metrics, #"metachat_webhook_deliveries_total{outcome="retry"}"#) == 3)
            #expect(MetricsText.value(metrics, #"metachat_webhook_deliveries_total{outcome="success"}"#) == 1)
            #expect(MetricsText.value(metrics, #"metachat_webhook_deliveries_total{outcome="failure"}"#) == 0)
            let log = delivery.attemptLog
            for (index, expected) in [1.0, 2.0, 4.0].enumerated() {
                let gap = Self.seconds(log[index].finishedAt, log[index + 1].startedAt)
                // ±20 % jitter, plus up to 0.5 s until the relay looks (it computes when to).
                #expect(gap >= expected * 0.8 - 0.05 && gap <= expected * 1.2 + 0.5, "gap \(index): \(gap) s")
            }
        }
    }

    @Test("A 4xx answer other than 408 and 429 is final: one attempt, FAILED")
    func clientErrorIsFinal() async throws {
        try await Harness.with { h in
            let url = "https://a.example/bad-request"
            h.receiver.script(url) { _, _ in WebhookResponse(statusCode: 400, retryAfter: nil, bodyPrefix: "nope") }
            let endpoint = try await h.createEndpoint(url)
            try await h.createConversation()
            try await Polling.until("the failure", within: .seconds(10)) {
                try await h.deliveries(endpoint.webhook.id).first?.status == .failed
            }
            let delivery = try #require(try await h.deliveries(endpoint.webhook.id).first)
            #expect(delivery.attempts == 1)
            #expect(delivery.lastStatusCode == 400)
            #expect(delivery.lastResponseBody == "nope")
            #expect(
                MetricsText.value(h.metrics.emitToString(), #"metachat_webhook_deliveries_total{outcome="failure"}"#)
                    == 1)
            #expect(h.receiver.received(at: url).count == 1)
            #expect(try await h.endpoint(endpoint.webhook.id).enabled)
        }
    }

    @Test("410 Gone disables the endpoint with a reason; later events are not delivered to it")
    func goneDisables() async throws {
        try await Harness.with { h in
            let url = "https://a.example/gone"
            h.receiver.script(url) { _, _ in WebhookResponse(statusCode: 410, retryAfter: nil, bodyPrefix: "") }
            let endpoint = try await h.createEndpoint(url)
            try await h.createConversation()
            try await Polling.until("the endpoint disabled", within: .seconds(10)) {
                try await !h.endpoint(endpoint.webhook.id).enabled
            }
            let disabled = try await h.endpoint(endpoint.webhook.id)
            #expect(disabled.disabledReason == "receiver answered 410 Gone")
            #expect(try await h.deliveries(endpoint.webhook.id).first?.status == .failed)
            try await h.createConversation(user: "later")
            // A later event is fanned out past the disabled endpoint: it gets no delivery.
            try await Polling.until("the later event fanned out", within: .seconds(10)) {
                try await h.pool.withAdminTransaction { connection in
                    try await connection.query("SELECT count(*) AS n FROM outbox_events WHERE fanned_out_at IS NULL")[0]
                        .decode("n", as: Int.self) == 0
                }
            }
            #expect(try await h.deliveries(endpoint.webhook.id).count == 1)
            #expect(h.receiver.received(at: url).count == 1)
        }
    }

    @Test("N events in a row that fail disable the endpoint with a reason; an update re-enables it")
    func consecutiveFailuresDisable() async throws {
        try await Harness.with(configure: Self.oneAttemptDisableAfterThree) { h in
            let url = "https://a.example/down"
            h.receiver.script(url) { _, _ in WebhookResponse(statusCode: 500, retryAfter: nil, bodyPrefix: "") }
            let endpoint = try await h.createEndpoint(url)
            for index in 0..<3 {
                try await h.createConversation(user: "user-\(index)")
            }
            try await Polling.until("the endpoint disabled", within: .seconds(10)) {
                try await !h.endpoint(endpoint.webhook.id).enabled
            }
            let disabled = try await h.endpoint(endpoint.webhook.id)
            #expect(disabled.disabledReason == "3 events in a row failed")
            #expect(disabled.consecutiveFailures == 3)
            #expect(try await h.deliveries(endpoint.webhook.id).allSatisfy { $0.status == .deadLettered })
            var update = Metachat_V1_UpdateWebhookEndpointRequest()
            update.webhookID = endpoint.webhook.id
            update.webhook.enabled = true
            update.updateMask.paths = ["enabled"]
            let enabled = try await h.handler.updateWebhookEndpoint(request: update, context: h.asA)
            #expect(enabled.enabled)
            #expect(enabled.disabledReason.isEmpty)
            #expect(enabled.consecutiveFailures == 0)
        }
    }

    @Test("A success resets the failure count")
    func successResets() async throws {
        try await Harness.with(configure: Self.oneAttemptDisableAfterTwo) { h in
            let url = "https://a.example/sometimes"
            h.receiver.script(url) { attempt, _ in
                WebhookResponse(statusCode: attempt == 2 ? 200 : 500, retryAfter: nil, bodyPrefix: "")
            }
            let endpoint = try await h.createEndpoint(url)
            for index in 0..<3 {
                try await h.createConversation(user: "user-\(index)")
                try await Polling.until("delivery \(index)", within: .seconds(10)) {
                    let deliveries = try await h.deliveries(endpoint.webhook.id)
                    return deliveries.count == index + 1 && deliveries.allSatisfy { $0.status != .pending }
                }
            }
            let state = try await h.endpoint(endpoint.webhook.id)
            #expect(state.enabled)
            #expect(state.consecutiveFailures == 1)
        }
    }

    @Test("A redelivery carries the same webhook-id and body as the original")
    func redeliverKeepsID() async throws {
        try await Harness.with { h in
            let url = "https://a.example/redo"
            let endpoint = try await h.createEndpoint(url)
            try await h.createConversation()
            try await Polling.until("the delivery", within: .seconds(10)) {
                try await h.deliveries(endpoint.webhook.id).first?.status == .succeeded
            }
            let original = try #require(try await h.deliveries(endpoint.webhook.id).first)
            var request = Metachat_V1_RedeliverWebhookRequest()
            request.webhookID = endpoint.webhook.id
            request.deliveryID = original.id
            let redelivery = try await h.handler.redeliverWebhook(request: request, context: h.asA).delivery
            #expect(redelivery.redeliveryOf == original.id)
            #expect(redelivery.eventID == original.eventID)
            #expect(redelivery.id != original.id)
            try await Polling.until("the redelivery", within: .seconds(10)) {
                h.receiver.received(at: url).count == 2
            }
            let requests = h.receiver.received(at: url)
            #expect(requests[0].headers["webhook-id"] == original.eventID)
            #expect(requests[1].headers["webhook-id"] == original.eventID)
            #expect(requests[0].body == requests[1].body)
        }
    }

    @Test("An endpoint that hangs does not delay deliveries to another")
    func hangingEndpointDoesNotDelayOthers() async throws {
        try await Harness.with(configure: Self.twoPerEndpoint) { h in
            let hanging = "https://a.example/hangs"
            h.receiver.script(hanging) { _, _ in
                // A receiver that accepts the request and never answers (until the attempt's limit).
                try await Task.sleep(for: .seconds(60))
                return Self.ok()
            }
            let fast = "https://a.example/fast"
            _ = try await h.createEndpoint(hanging)
            _ = try await h.createEndpoint(fast)
            for index in 0..<20 {
                try await h.createConversation(user: "user-\(index)")
            }
            let took = try await Polling.until("20 deliveries to the fast endpoint", within: .seconds(10)) {
                h.receiver.received(at: fast).count == 20
            }
            #expect(took < .seconds(10))
            // The hanging endpoint holds only its own slots.
            #expect(h.receiver.received(at: hanging).count == 2)
        }
    }

    @Test("A test event is sent once, even to a disabled endpoint, and answered with its outcome")
    func testEvent() async throws {
        try await Harness.with(relay: false) { h in
            let url = "https://a.example/test"
            h.receiver.script(url) { _, _ in WebhookResponse(statusCode: 500, retryAfter: nil, bodyPrefix: "down") }
            let endpoint = try await h.createEndpoint(url)
            var disable = Metachat_V1_UpdateWebhookEndpointRequest()
            disable.webhookID = endpoint.webhook.id
            disable.webhook.enabled = false
            disable.updateMask.paths = ["enabled"]
            _ = try await h.handler.updateWebhookEndpoint(request: disable, context: h.asA)
            var request = Metachat_V1_SendTestWebhookEventRequest()
            request.webhookID = endpoint.webhook.id
            let failed = try await h.handler.sendTestWebhookEvent(request: request, context: h.asA).delivery
            #expect(failed.status == .failed)
            #expect(failed.attempts == 1)
            #expect(failed.lastStatusCode == 500)
            #expect(failed.eventType == .test)
            #expect(failed.event.type == "webhook.test")
            h.receiver.script(url) { _, _ in Self.ok() }
            let succeeded = try await h.handler.sendTestWebhookEvent(request: request, context: h.asA).delivery
            #expect(succeeded.status == .succeeded)
            #expect(succeeded.attemptLog.count == 1)
            #expect(h.receiver.received(at: url).map(\.type) == ["webhook.test", "webhook.test"])
            // Test events leave the endpoint's state alone.
            #expect(try await h.endpoint(endpoint.webhook.id).consecutiveFailures == 0)
        }
    }

    @Test("After a rotation with a grace period deliveries carry both signatures; without one only the new")
    func rotation() async throws {
        try await Harness.with(relay: false) { h in
            let url = "https://a.example/rotate"
            let created = try await h.createEndpoint(url)
            var rotate = Metachat_V1_RotateWebhookSecretRequest()
            rotate.webhookID = created.webhook.id
            rotate.gracePeriod = Google_Protobuf_Duration(seconds: 3600)
            let rotated = try await h.handler.rotateWebhookSecret(request: rotate, context: h.asA)
            #expect(rotated.signingSecret != created.signingSecret)
            #expect(rotated.webhook.signingSecretLastFour == String(rotated.signingSecret.suffix(4)))
            #expect(rotated.webhook.hasPreviousSecretExpiresAt)
            #expect(rotated.webhook.hasSecretRotatedAt)
            var test = Metachat_V1_SendTestWebhookEventRequest()
            test.webhookID = created.webhook.id
            _ = try await h.handler.sendTestWebhookEvent(request: test, context: h.asA)
            let request = try #require(h.receiver.received(at: url).last)
            let id = try #require(request.headers["webhook-id"])
            let timestamp = try #require(request.headers["webhook-timestamp"].flatMap { Int64($0) })
            let new = try #require(WebhookSigningSecret(text: rotated.signingSecret))
            let old = try #require(WebhookSigningSecret(text: created.signingSecret))
            #expect(
                request.headers["webhook-signature"]
                    == WebhookSignature.header(
                        id: id, timestamp: timestamp, body: Array(request.body.utf8), secrets: [new, old]))
            rotate.clearGracePeriod()
            let again = try await h.handler.rotateWebhookSecret(request: rotate, context: h.asA)
            #expect(!again.webhook.hasPreviousSecretExpiresAt)
            _ = try await h.handler.sendTestWebhookEvent(request: test, context: h.asA)
            let last = try #require(h.receiver.received(at: url).last)
            #expect(last.headers["webhook-signature"]?.split(separator: " ").count == 1)
            let newest = try #require(WebhookSigningSecret(text: again.signingSecret))
            #expect(
                last.headers["webhook-signature"]
                    == WebhookSignature.header(
                        id: try #require(last.headers["webhook-id"]),
                        timestamp: try #require(last.headers["webhook-timestamp"].flatMap { Int64($0) }),
                        body: Array(last.body.utf8), secrets: [newest]))
        }
    }

    @Test("A tenant never sees, changes or redelivers another tenant's endpoints and deliveries")
    func tenantIsolation() async throws {
        try await Harness.with { h in
            let endpoint = try await h.createEndpoint("https://a.example/private")
            try await h.createConversation()
            try await Polling.until("the delivery", within: .seconds(10)) {
                try await h.deliveries(endpoint.webhook.id).first?.status == .succeeded
            }
            let delivery = try #require(try await h.deliveries(endpoint.webhook.id).first)
            let id = endpoint.webhook.id
            await expectRPCError(.notFound, id) {
                var request = Metachat_V1_GetWebhookEndpointRequest()
                request.webhookID = id
                return try await h.handler.getWebhookEndpoint(request: request, context: h.asB)
            }
            var list = Metachat_V1_ListWebhookEndpointsRequest()
            list.pageSize = 10
            #expect(try await h.handler.listWebhookEndpoints(request: list, context: h.asB).webhooks.isEmpty)
            await expectRPCError(.notFound, id) { try await h.deliveries(id, context: h.asB) }
            await expectRPCError(.notFound, delivery.id) {
                var request = Metachat_V1_GetWebhookDeliveryRequest()
                request.webhookID = id
                request.deliveryID = delivery.id
                return try await h.handler.getWebhookDelivery(request: request, context: h.asB)
            }
            await expectRPCError(.notFound, id) {
                var request = Metachat_V1_RedeliverWebhookRequest()
                request.webhookID = id
                request.deliveryID = delivery.id
                return try await h.handler.redeliverWebhook(request: request, context: h.asB)
            }
            await expectRPCError(.notFound, id) {
                var request = Metachat_V1_UpdateWebhookEndpointRequest()
                request.webhookID = id
                request.webhook.url = "https://b.example/stolen"
                request.updateMask.paths = ["url"]
                return try await h.handler.updateWebhookEndpoint(request: request, context: h.asB)
            }
            await expectRPCError(.notFound, id) {
                var request = Metachat_V1_SendTestWebhookEventRequest()
                request.webhookID = id
                return try await h.handler.sendTestWebhookEvent(request: request, context: h.asB)
            }
            await expectRPCError(.notFound, id) {
                var request = Metachat_V1_RotateWebhookSecretRequest()
                request.webhookID = id
                return try await h.handler.rotateWebhookSecret(request: request, context: h.asB)
            }
            await expectRPCError(.notFound, id) {
                var request = Metachat_V1_DeleteWebhookEndpointRequest()
                request.webhookID = id
                return try await h.handler.deleteWebhookEndpoint(request: request, context: h.asB)
            }
            #expect(try await h.endpoint(id).url == "https://a.example/private")
            #expect(try await h.deliveries(id).count == 1)
        }
    }
}
