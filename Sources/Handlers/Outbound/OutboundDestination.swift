/// Who chose the URL of an outbound call, and so how far it is trusted.
package enum OutboundDestination: Sendable, Equatable {
    /// The operator's configuration (`OPENAI_BASE_URL`, `META_GRAPH_BASE_URL`, …): trusted, not
    /// checked.
    case operatorConfigured
    /// A tenant's settings (an LLM base URL, a webhook target): resolved and checked by the
    /// ``EgressPolicy`` before every connection; with `requireHTTPS`, plain `http` is refused unless
    /// the address is inside an allowed network.
    case tenantSupplied(requireHTTPS: Bool)
}
