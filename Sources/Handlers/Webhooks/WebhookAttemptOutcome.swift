/// What one delivery attempt's result means for the delivery and its endpoint.
package enum WebhookAttemptOutcome: Sendable, Hashable {
    /// The receiver answered 2xx.
    case succeeded
    /// Worth trying again (connect error, timeout, 408, 429, 5xx), after at least `retryAfter`
    /// when the receiver said so.
    case retryable(retryAfter: Duration?)
    /// Not worth trying again (any other status, a refused destination).
    case final
    /// The receiver answered 410 Gone: final, and the endpoint is disabled.
    case gone

    /// The outcome of an HTTP answer.
    ///
    /// - Parameters:
    ///   - statusCode: The response status.
    ///   - retryAfter: The `retry-after` header, if any (read for 429 and 503).
    ///   - nowSeconds: The current Unix time, for an HTTP-date `retry-after`.
    package init(statusCode: Int, retryAfter: String?, nowSeconds: Int64) {
        switch statusCode {
        case 200..<300: self = .succeeded
        case 410: self = .gone
        case 408, 429, 500..<600:
            let wait =
                (statusCode == 429 || statusCode == 503)
                ? retryAfter.flatMap { RetryAfterHeader.delay($0, nowSeconds: nowSeconds) } : nil
            self = .retryable(retryAfter: wait)
        default: self = .final
        }
    }
}
