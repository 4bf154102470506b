package import Prometheus

/// The chat orchestrator's model calls, per provider (`openai`, `openai_compatible`,
/// `anthropic`, `local`: the provider kinds, never a tenant's model name): tokens, cost, latency
/// and errors, and the latency of retrieval before each call (docs/metrics.md).
package struct ChatMetrics: Sendable {
    /// The provider label values; anything else is counted as `other`.
    package static let providers = ["openai", "openai_compatible", "anthropic", "local"]

    private struct Provider {
        var promptTokens: Counter
        var completionTokens: Counter
        var cost: Counter
        var unpriced: Counter
        var latency: DurationHistogram
    }

    /// The upper bounds of the model-call latency buckets (a call streams a whole answer).
    package static let modelBuckets: [Duration] = [
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(20),
        .seconds(30), .seconds(60), .seconds(120), .seconds(300),
    ]
    /// The upper bounds of the retrieval latency buckets.
    package static let retrievalBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
    ]

    private let registry: PrometheusCollectorRegistry
    private let byProvider: [String: Provider]
    private let retrieval: DurationHistogram

    /// Registers the metrics of every provider.
    ///
    /// - Parameter registry: Where they are kept.
    package init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        let tokens = MetricNameDescriptor(
            metricName: "metachat_llm_tokens_total", unitName: "",
            helpText: "Tokens of answered model calls by provider and kind (prompt, completion).")
        let cost = MetricNameDescriptor(
            metricName: "metachat_llm_cost_usd_total", unitName: "",
            helpText: "What answers cost in US dollars by provider (LLM_PRICES; unpriced answers add nothing).")
        let unpriced = MetricNameDescriptor(
            metricName: "metachat_llm_unpriced_answers_total", unitName: "",
            helpText: "Answers whose model has no price in LLM_PRICES, by provider.")
        let latency = MetricNameDescriptor(
            metricName: "metachat_llm_request_duration", unitName: "seconds",
            helpText: "Model call latency by provider, from the request to the last streamed piece.")
        var byProvider: [String: Provider] = [:]
        for provider in Self.providers + ["other"] {
            byProvider[provider] = Provider(
                promptTokens: registry.makeCounter(
                    descriptor: tokens, labels: [("provider", provider), ("kind", "prompt")]),
                completionTokens: registry.makeCounter(
                    descriptor: tokens, labels: [("provider", provider), ("kind", "completion")]),
                cost: registry.makeCounter(descriptor: cost, labels: [("provider", provider)]),
                unpriced: registry.makeCounter(descriptor: unpriced, labels: [("provider", provider)]),
                latency: registry.makeDurationHistogram(
                    descriptor: latency, labels: [("provider", provider)], buckets: Self.modelBuckets))
        }
        self.byProvider = byProvider
        self.retrieval = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                metricName: "metachat_retrieval_duration", unitName: "seconds",
                helpText: "Knowledge-base retrieval latency before a model call (embedding and search)."),
            labels: [], buckets: Self.retrievalBuckets)
    }

    private func provider(_ name: String) -> Provider? {
        self.byProvider[name] ?? self.byProvider["other"]
    }

    /// Counts an answered model call.
    ///
    /// - Parameters:
    ///   - provider: The provider kind.
    ///   - promptTokens: Tokens of the prompt (negative counts as 0).
    ///   - completionTokens: Tokens of the answer (negative counts as 0).
    ///   - costNanoUSD: What it cost in 10⁻⁹ USD; `nil` when the model has no price.
    ///   - duration: How long the call took.
    package func answered(
        provider: String, promptTokens: Int, completionTokens: Int, costNanoUSD: Int64?, duration: Duration
    ) {
        guard let handles = self.provider(provider) else { return }
        handles.promptTokens.increment(by: Int64(max(0, promptTokens)))
        handles.completionTokens.increment(by: Int64(max(0, completionTokens)))
        if let costNanoUSD {
            handles.cost.increment(by: Double(max(0, costNanoUSD)) / 1e9)
        } else {
            handles.unpriced.increment()
        }
        handles.latency.record(duration)
    }

    /// Counts a failed model call: `metachat_llm_errors_total{provider, status}`, the status the
    /// caller got (one of the 17 status names).
    ///
    /// - Parameters:
    ///   - provider: The provider kind.
    ///   - status: The status name, e.g. `UNAVAILABLE`.
    ///   - duration: How long the call took before failing.
    package func failed(provider: String, status: String, duration: Duration) {
        let label = Self.providers.contains(provider) ? provider : "other"
        self.registry.makeCounter(
            descriptor: MetricNameDescriptor(
                metricName: "metachat_llm_errors_total", unitName: "",
                helpText: "Failed model calls by provider and the status the caller got."),
            labels: [("provider", label), ("status", status)]
        ).increment()
        self.provider(provider)?.latency.record(duration)
    }

    /// Records one retrieval's latency.
    package func retrieved(duration: Duration) {
        self.retrieval.record(duration)
    }
}
