import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("TenantHandler concurrency", .serialized)
struct TenantConcurrencyTests {
    @Test("50 parallel updates of different fields all land in the row, each with its audit entry")
    func parallelUpdatesOfDifferentFields() async throws {
        try await MigratedDatabase.with(maximumConnections: 8) { pool in
            let handler = TenantHandler(pool: pool, secrets: .forTests)
            let tenant = try await TenantFixtures.create(handler)
            let tenantID = tenant.id

            // Ten updates of each of five fields, all at once.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        var update = Metachat_V1_UpdateTenantRequest()
                        update.tenantID = tenantID
                        switch index % 5 {
                        case 0: update.tenant.settings.widget.title = "Title \(index)"
                        case 1: update.tenant.settings.retention.messageRetentionDays = Int32(index)
                        case 2: update.tenant.settings.rateLimit.requestsPerWindow = Int32(1000 + index)
                        case 3: update.tenant.settings.escalation.handoffMessage = "Handoff \(index)"
                        default: update.tenant.settings.llm.maxTokens = Int32(2000 + index)
                        }
                        _ = try await handler.updateTenant(
                            request: update, context: TestCaller.context(.bootstrap, requestID: "par-\(index)"))
                    }
                }
                try await group.waitForAll()
            }

            var get = Metachat_V1_GetTenantRequest()
            get.tenantID = tenantID
            let final = try await handler.getTenant(request: get, context: TestCaller.context(.bootstrap))
            let rows = try await TenantFixtures.auditRows(pool, tenantID: tenantID)
            let updates = rows.filter { $0.action == "tenant.updated" }
            #expect(updates.count == 50)
            // The last committed update of each field wins; it must be one the field's updates wrote.
            func lastWriter(_ field: String) -> Int? {
                updates.last { $0.details.contains(field) }.flatMap { Int($0.requestID?.dropFirst(4) ?? "") }
            }
            #expect(lastWriter("settings.widget.title").map { "Title \($0)" } == final.settings.widget.title)
            #expect(
                lastWriter("settings.retention.message_retention_days").map(Int32.init)
                    == final.settings.retention.messageRetentionDays)
            #expect(
                lastWriter("settings.rate_limit.requests_per_window").map { Int32(1000 + $0) }
                    == final.settings.rateLimit.requestsPerWindow)
            #expect(
                lastWriter("settings.escalation.handoff_message").map { "Handoff \($0)" }
                    == final.settings.escalation.handoffMessage)
            #expect(lastWriter("settings.llm.max_tokens").map { Int32(2000 + $0) } == final.settings.llm.maxTokens)
            // Fields no update named are untouched.
            #expect(final.name == tenant.name)
            #expect(final.settings.rag.topK == tenant.settings.rag.topK)
            #expect(final.settings.llm.apiKeyLastFour == "WXYZ")
            #expect(final.metadata == tenant.metadata)
        }
    }
}
