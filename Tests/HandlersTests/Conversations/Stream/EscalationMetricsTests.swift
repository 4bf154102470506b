import Foundation
import Handlers
import Logging
import MetaChatAPI
import Monitoring
import Prometheus
import Storage
import Testing

@Suite("Escalation metrics")
struct EscalationMetricsTests {
    private static func escalated(_ reason: Metachat_V1_EscalationReason) -> Metachat_V1_ConversationEvent {
        var escalated = Metachat_V1_ConversationEvent.Escalated()
        escalated.reason = reason
        var event = Metachat_V1_ConversationEvent()
        event.payload = .escalated(escalated)
        return event
    }

    @Test("Each committed escalation counts once by reason; other events and unknown reasons do not add labels")
    func escalationsAreCountedByReason() async throws {
        let registry = PrometheusCollectorRegistry()
        let logger = Logger(label: "escalation-metrics", factory: { _ in SwiftLogNoOpLogHandler() })
        // Nothing connects: the pool opens connections on first use, and no watcher needs one.
        let pool = PostgresPool(configuration: .init(url: "postgresql://127.0.0.1:1/none"), logger: logger)
        let hub = ConversationEventHub(
            pool: pool, redis: nil, subscriber: nil, escalations: EscalationMetrics(registry: registry),
            logger: logger)
        var created = Metachat_V1_ConversationEvent()
        created.payload = .conversationCreated(.init())
        await hub.committed(
            [created, Self.escalated(.keyword), Self.escalated(.lowConfidence)], tenantID: UUID())
        await hub.committed([Self.escalated(.keyword), Self.escalated(.unspecified)], tenantID: UUID())
        await pool.shutdown()

        let text = registry.emitToString()
        #expect(MetricsText.value(text, #"metachat_escalations_total{reason="keyword"}"#) == 2)
        #expect(MetricsText.value(text, #"metachat_escalations_total{reason="low_confidence"}"#) == 1)
        #expect(MetricsText.value(text, #"metachat_escalations_total{reason="manual"}"#) == 0)
        #expect(MetricsText.value(text, #"metachat_escalations_total{reason="other"}"#) == 1)
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("metachat_escalations_total{") }.count == 6)
    }
}
