import Foundation
import Handlers
import MetaChatAPI
import Prometheus
import RPCServer
import Storage
import SwiftProtobuf
import Testing

/// AdminService.GetUsageStats over what the orchestrator recorded.
@Suite("Usage statistics")
struct UsageStatsTests {
    static func admin(_ role: Metachat_V1_AdminRole = .super) -> ServerContext {
        ConversationTestHarness.context(.admin(adminID: UUID().uuidString.lowercased(), keyID: "k", role: role))
    }

    @Test("Answers, tokens per model and day, messages per day, for the tenant asked for")
    func usagePerModel() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["Fine. [confidence: high]"], usage: (10, 5))])
        try await ChatTestHarness.with(server: server) { harness in
            let first = try await harness.send("one")
            try await harness.send("two", conversation: first.conversationID)
            var request = Metachat_V1_GetUsageStatsRequest()
            request.tenantID = harness.tenantID.uuidString.lowercased()
            let stats = try await UsageStatsHandler(pool: harness.pool).getUsageStats(
                request: request, context: Self.admin())
            let tenant = try #require(stats.tenants.first)
            #expect(stats.tenants.count == 1 && tenant.tenantName == "Acme")
            #expect(tenant.messageCount == 4 && tenant.conversationCount == 1)
            #expect(tenant.dailyMessageCounts.reduce(0, +) == 4 && tenant.dailyMessageCounts.count == 31)
            #expect(tenant.assistantAnswers == 2 && tenant.promptTokens == 20 && tenant.completionTokens == 10)
            #expect(tenant.totalTokens == 30)
            let model = try #require(tenant.models.first)
            #expect(model.provider == "openai_compatible" && model.model == "fake-gpt" && model.answers == 2)
            #expect(model.totalTokens == 30 && model.dailyTotalTokens.last == 30)
            #expect(stats.totals.totalTokens == 30 && stats.totals.messageCount == 4)
        }
    }

    @Test("Tenant keys are refused; a STANDARD admin sees only granted tenants; bad ranges name the field")
    func accessAndBadInput() async throws {
        try await ChatTestHarness.with(server: nil, settings: "{}") { harness in
            try await harness.send("hello")
            let handler = UsageStatsHandler(pool: harness.pool)
            await expectRPCError(.permissionDenied) {
                try await handler.getUsageStats(request: .init(), context: harness.context)
            }
            let all = try await handler.getUsageStats(request: .init(), context: Self.admin())
            #expect(all.tenants.count == 1 && all.tenants[0].assistantAnswers == 1)
            let standard = try await handler.getUsageStats(request: .init(), context: Self.admin(.standard))
            #expect(standard.tenants.isEmpty)
            var request = Metachat_V1_GetUsageStatsRequest()
            request.tenantID = "nope"
            await expectRPCError(.invalidArgument, "tenantId") {
                try await handler.getUsageStats(request: request, context: Self.admin())
            }
            request.tenantID = ""
            request.startTime = Google_Protobuf_Timestamp(date: Date())
            request.endTime = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(-60))
            await expectRPCError(.invalidArgument, "startTime") {
                try await handler.getUsageStats(request: request, context: Self.admin())
            }
            request.startTime = Google_Protobuf_Timestamp(date: Date().addingTimeInterval(-400 * 86_400))
            request.endTime = Google_Protobuf_Timestamp(date: Date())
            await expectRPCError(.invalidArgument, "endTime") {
                try await handler.getUsageStats(request: request, context: Self.admin())
            }
            request.startTime = Google_Protobuf_Timestamp(seconds: Int64.max)
            await expectRPCError(.invalidArgument, "startTime") {
                try await handler.getUsageStats(request: request, context: Self.admin())
            }
        }
    }

    @Test("Cost per model and tenant from LLM_PRICES, in nano-dollars; answers of unpriced models are counted")
    func costFromPrices() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["Fine. [confidence: high]"], usage: (10, 5))])
        var configuration = ChatOrchestrator.Configuration.defaults
        configuration.prices = try ModelPriceTable("openai_compatible:fake-*=2.50/10,local:other=1/1")
        try await ChatTestHarness.with(server: server, configuration: configuration) { harness in
            let first = try await harness.send("one")
            try await harness.send("two", conversation: first.conversationID)
            var request = Metachat_V1_GetUsageStatsRequest()
            request.tenantID = harness.tenantID.uuidString.lowercased()
            let stats = try await UsageStatsHandler(pool: harness.pool).getUsageStats(
                request: request, context: Self.admin())
            let tenant = try #require(stats.tenants.first)
            // Per answer: 10 × $2.50/M + 5 × $10/M = $0.000075 = 75,000 nano-dollars.
            #expect(tenant.costNanoUsd == 150_000 && tenant.unpricedAnswers == 0)
            #expect(tenant.models.first?.costNanoUsd == 150_000)
            #expect(stats.totals.costNanoUsd == 150_000)
            // The same cost in US dollars on the metric: 2 × $0.000075.
            let cost = MetricsText.value(
                harness.metrics.emitToString(), #"metachat_llm_cost_usd_total{provider="openai_compatible"}"#)
            #expect(cost.map { abs($0 - 0.000150) < 1e-12 } == true, "\(String(describing: cost))")
        }
        // LOCAL answers under a list that prices another model: unpriced, no cost.
        try await ChatTestHarness.with(server: nil, settings: "{}", configuration: configuration) { harness in
            try await harness.send("hello")
            var request = Metachat_V1_GetUsageStatsRequest()
            request.tenantID = harness.tenantID.uuidString.lowercased()
            let stats = try await UsageStatsHandler(pool: harness.pool).getUsageStats(
                request: request, context: Self.admin())
            let tenant = try #require(stats.tenants.first)
            #expect(tenant.assistantAnswers == 1)
            #expect(tenant.models.first?.provider == "local")
            #expect(tenant.costNanoUsd == 0 && tenant.unpricedAnswers == 1)
            #expect(tenant.models.first?.unpricedAnswers == 1)
        }
    }

    @Test("The usage row commits with the answer: when it cannot be written, no answer is stored either")
    func usageAndAnswerCommitTogether() async throws {
        let server = try await FakeModelServer(.openAI, script: [.stream(["Fine. [confidence: high]"], usage: (10, 5))])
        try await ChatTestHarness.with(server: server) { harness in
            let first = try await harness.send("one")
            #expect(try await harness.messages(first.conversationID).count == 2)
            try await harness.pool.withAdminTransaction { connection in
                try await connection.execute(
                    """
                    CREATE FUNCTION refuse_usage() RETURNS trigger LANGUAGE plpgsql AS
                    $$ BEGIN RAISE EXCEPTION 'usage refused by the test'; END $$
                    """)
                try await connection.execute(
                    """
                    CREATE TRIGGER refuse_usage BEFORE INSERT OR UPDATE ON chat_usage_daily
                    FOR EACH ROW EXECUTE FUNCTION refuse_usage()
                    """)
            }
            await #expect(throws: (any Error).self) {
                try await harness.send("two", conversation: first.conversationID)
            }
            // The question is stored; no answer without its usage.
            let roles = try await harness.messages(first.conversationID).map(\.role)
            #expect(roles == [.user, .assistant, .user])
        }
    }
}
