import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("WebhookService bad input", .serialized)
struct WebhookValidationTests {
    typealias Harness = WebhookTestHarness

    /// One bad request: the call (given an existing endpoint and delivery), and the field its
    /// error must name.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var field: String
        var call:
            @Sendable (WebhookHandler, _ webhookID: String, _ deliveryID: String, ServerContext) async throws -> Void
        var testDescription: String { self.name }
    }

    static func create(
        _ name: String, _ field: String,
        _ configure: @escaping @Sendable (inout Metachat_V1_CreateWebhookEndpointRequest) -> Void
    ) -> Case {
        Case(name: name, field: field) { handler, _, _, context in
            var request = Metachat_V1_CreateWebhookEndpointRequest()
            request.url = "https://ok.example/hook"
            configure(&request)
            _ = try await handler.createWebhookEndpoint(request: request, context: context)
        }
    }

    static func update(
        _ name: String, _ field: String,
        _ configure: @escaping @Sendable (inout Metachat_V1_UpdateWebhookEndpointRequest) -> Void
    ) -> Case {
        Case(name: name, field: field) { handler, webhookID, _, context in
            var request = Metachat_V1_UpdateWebhookEndpointRequest()
            request.webhookID = webhookID
            configure(&request)
            _ = try await handler.updateWebhookEndpoint(request: request, context: context)
        }
    }

    static func deliveries(
        _ name: String, _ field: String,
        _ configure: @escaping @Sendable (inout Metachat_V1_ListWebhookDeliveriesRequest) -> Void
    ) -> Case {
        Case(name: name, field: field) { handler, webhookID, _, context in
            var request = Metachat_V1_ListWebhookDeliveriesRequest()
            request.webhookID = webhookID
            configure(&request)
            _ = try await handler.listWebhookDeliveries(request: request, context: context)
        }
    }

    static func rotate(
        _ name: String, _ field: String,
        _ configure: @escaping @Sendable (inout Metachat_V1_RotateWebhookSecretRequest) -> Void
    ) -> Case {
        Case(name: name, field: field) { handler, webhookID, _, context in
            var request = Metachat_V1_RotateWebhookSecretRequest()
            request.webhookID = webhookID
            configure(&request)
            _ = try await handler.rotateWebhookSecret(request: request, context: context)
        }
    }

    static let cases: [Case] = [
        create("url missing", "url") { $0.url = "" },
        create("url not http", "url") { $0.url = "ftp://ok.example/hook" },
        create("url relative", "url") { $0.url = "/hook" },
        create("url with user info", "url") { $0.url = "https://user:pw@ok.example/hook" },
        create("url with a fragment", "url") { $0.url = "https://ok.example/hook#x" },
        create("url too long", "url") { $0.url = "https://ok.example/" + String(repeating: "a", count: 2040) },
        create("url with a control character", "url") { $0.url = "https://ok.example/\u{7}" },
        create("url refused by the egress policy", "url") { $0.url = "https://refused.example/hook" },
        create("event type UNSPECIFIED", "eventTypes[0]") { $0.eventTypes = [.unspecified] },
        create("unknown event type", "eventTypes[1]") { $0.eventTypes = [.messageCreated, .UNRECOGNIZED(999)] },
        create("too many event types", "eventTypes") { $0.eventTypes = Array(repeating: .messageCreated, count: 65) },
        create("description too long", "description") { $0.description_p = String(repeating: "d", count: 501) },
        create("description with a line break", "description") { $0.description_p = "two\nlines" },
        Case(name: "get: webhookId missing", field: "webhookId") { handler, _, _, context in
            _ = try await handler.getWebhookEndpoint(request: .init(), context: context)
        },
        Case(name: "get: webhookId not a UUID", field: "webhookId") { handler, _, _, context in
            var request = Metachat_V1_GetWebhookEndpointRequest()
            request.webhookID = "not-a-uuid"
            _ = try await handler.getWebhookEndpoint(request: request, context: context)
        },
        Case(name: "list: pageSize negative", field: "pageSize") { handler, _, _, context in
            var request = Metachat_V1_ListWebhookEndpointsRequest()
            request.pageSize = -1
            _ = try await handler.listWebhookEndpoints(request: request, context: context)
        },
        Case(name: "list: pageSize above 200", field: "pageSize") { handler, _, _, context in
            var request = Metachat_V1_ListWebhookEndpointsRequest()
            request.pageSize = 201
            _ = try await handler.listWebhookEndpoints(request: request, context: context)
        },
        Case(name: "list: pageToken garbage", field: "pageToken") { handler, _, _, context in
            var request = Metachat_V1_ListWebhookEndpointsRequest()
            request.pageToken = "%%%"
            _ = try await handler.listWebhookEndpoints(request: request, context: context)
        },
        update("update: webhookId not a UUID", "webhookId") {
            $0.webhookID = "x"
            $0.updateMask.paths = ["url"]
        },
        update("update: mask names an output-only field", "updateMask") {
            $0.updateMask.paths = ["signing_secret_last_four"]
        },
        update("update: mask names an unknown field", "updateMask") { $0.updateMask.paths = ["secret"] },
        update("update: empty mask and no field set", "updateMask") { _ in },
        update("update: url not http", "webhook.url") {
            $0.webhook.url = "mailto:x@example.com"
            $0.updateMask.paths = ["url"]
        },
        update("update: url refused", "webhook.url") {
            $0.webhook.url = "https://refused.example/x"
            $0.updateMask.paths = ["url"]
        },
        update("update: event type UNSPECIFIED", "webhook.eventTypes[0]") {
            $0.webhook.eventTypes = [.unspecified]
            $0.updateMask.paths = ["eventTypes"]
        },
        update("update: description too long", "webhook.description") {
            $0.webhook.description_p = String(repeating: "d", count: 501)
            $0.updateMask.paths = ["description"]
        },
        Case(name: "delete: webhookId not a UUID", field: "webhookId") { handler, _, _, context in
            var request = Metachat_V1_DeleteWebhookEndpointRequest()
            request.webhookID = "123"
            _ = try await handler.deleteWebhookEndpoint(request: request, context: context)
        },
        deliveries("deliveries: webhookId missing", "webhookId") { $0.webhookID = "" },
        deliveries("deliveries: pageSize above 200", "pageSize") { $0.pageSize = 1000 },
        deliveries("deliveries: unknown status", "status") { $0.status = .UNRECOGNIZED(42) },
        deliveries("deliveries: unknown event type", "eventType") { $0.eventType = .UNRECOGNIZED(42) },
        deliveries("deliveries: pageToken of other filters", "pageToken") {
            $0.pageToken = "eyJmIjoib3RoZXIiLCJpIjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIiwicCI6MX0"
        },
        Case(name: "get delivery: deliveryId not a UUID", field: "deliveryId") { handler, webhookID, _, context in
            var request = Metachat_V1_GetWebhookDeliveryRequest()
            request.webhookID = webhookID
            request.deliveryID = "nope"
            _ = try await handler.getWebhookDelivery(request: request, context: context)
        },
        Case(name: "redeliver: webhookId missing", field: "webhookId") { handler, _, deliveryID, context in
            var request = Metachat_V1_RedeliverWebhookRequest()
            request.deliveryID = deliveryID
            _ = try await handler.redeliverWebhook(request: request, context: context)
        },
        Case(name: "redeliver: deliveryId missing", field: "deliveryId") { handler, webhookID, _, context in
            var request = Metachat_V1_RedeliverWebhookRequest()
            request.webhookID = webhookID
            _ = try await handler.redeliverWebhook(request: request, context: context)
        },
        Case(name: "test: webhookId not a UUID", field: "webhookId") { handler, _, _, context in
            var request = Metachat_V1_SendTestWebhookEventRequest()
            request.webhookID = "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"
            _ = try await handler.sendTestWebhookEvent(request: request, context: context)
        },
        rotate("rotate: negative grace period", "gracePeriod") { $0.gracePeriod = .init(seconds: -1) },
        rotate("rotate: grace period over 7 days", "gracePeriod") { $0.gracePeriod = .init(seconds: 604_801) },
        rotate("rotate: grace period of 7 days and a nanosecond", "gracePeriod") {
            $0.gracePeriod = .init(seconds: 604_800, nanos: 1)
        },
        rotate("rotate: grace period with negative nanos", "gracePeriod") {
            $0.gracePeriod = .init(seconds: 1, nanos: -1)
        },
        rotate("rotate: huge grace period", "gracePeriod") { $0.gracePeriod = .init(seconds: Int64.max) },
    ]

    /// What the bad requests must leave unchanged.
    static func snapshot(_ h: Harness, _ id: String) async throws -> [String] {
        let endpoint = try await h.endpoint(id)
        let counts = try await h.pool.withAdminTransaction { connection in
            try await connection.query(
                """
                SELECT (SELECT count(*) FROM webhook_endpoints) AS e, (SELECT count(*) FROM webhook_deliveries) AS d,
                    (SELECT count(*) FROM outbox_events) AS o
                """
            ).map {
                "\(try $0.decode("e", as: Int.self))/\(try $0.decode("d", as: Int.self))/\(try $0.decode("o", as: Int.self))"
            }
        }
        return [try endpoint.jsonString()] + counts
    }

    @Test("Every bad request is INVALID_ARGUMENT naming its field, and changes nothing", arguments: Self.cases)
    func badInput(_ testCase: Case) async throws {
        try await Harness.with(relay: false) { h in
            let endpoint = try await h.createEndpoint("https://ok.example/hook")
            var test = Metachat_V1_SendTestWebhookEventRequest()
            test.webhookID = endpoint.webhook.id
            let delivery = try await h.handler.sendTestWebhookEvent(request: test, context: h.asA).delivery
            let before = try await Self.snapshot(h, endpoint.webhook.id)
            await expectRPCError(.invalidArgument, testCase.field) {
                try await testCase.call(h.handler, endpoint.webhook.id, delivery.id, h.asA)
            }
            #expect(try await Self.snapshot(h, endpoint.webhook.id) == before)
        }
    }

    @Test("Concurrent rotations each answer a secret; the endpoint keeps exactly one of them")
    func concurrentRotations() async throws {
        try await Harness.with(relay: false) { h in
            let endpoint = try await h.createEndpoint("https://ok.example/hook")
            let secrets = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var request = Metachat_V1_RotateWebhookSecretRequest()
                        request.webhookID = endpoint.webhook.id
                        request.gracePeriod = .init(seconds: 60)
                        return try await h.handler.rotateWebhookSecret(request: request, context: h.asA).signingSecret
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(secrets).count == 8)
            let lastFour = try await h.endpoint(endpoint.webhook.id).signingSecretLastFour
            #expect(secrets.filter { $0.hasSuffix(lastFour) }.count == 1)
        }
    }
}
