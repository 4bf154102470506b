internal import RPCServer

/// A call's authenticated caller as the interceptors pass it on: the ``Principal`` and what the
/// rate limiter needs about it, built once per cached key so authenticating a call formats and
/// allocates nothing.
///
/// Handlers read ``ServerContext/principal``; the rate-limit interceptor reads the rest.
package final class AuthenticatedCaller: Sendable, Equatable {
    /// Who is calling.
    package let principal: Principal
    /// The tenant's rate-limit override, for tenant keys that have one.
    package let rateLimit: TenantRateLimit?
    /// Whose allowance the caller's calls use: `key:<keyID>`, or `bootstrap`.
    package let rateLimitSubject: String
    /// The rate limiter's lease entry for ``rateLimitSubject``, remembered by the first limiter
    /// that counts a call of this caller.
    let rateLimitEntry = RememberedLeaseEntry()

    /// The caller presenting `GLOBAL_API_KEY`.
    package static let bootstrap = AuthenticatedCaller(principal: .bootstrap)

    /// Creates a caller.
    ///
    /// - Parameters:
    ///   - principal: Who is calling.
    ///   - rateLimit: The tenant's rate-limit override, if any.
    package init(principal: Principal, rateLimit: TenantRateLimit? = nil) {
        self.principal = principal
        self.rateLimit = rateLimit
        self.rateLimitSubject =
            switch principal {
            case .admin(_, let keyID, _), .tenant(_, let keyID): "key:" + keyID
            case .bootstrap: "bootstrap"
            }
    }

    package static func == (lhs: AuthenticatedCaller, rhs: AuthenticatedCaller) -> Bool {
        lhs.principal == rhs.principal && lhs.rateLimit == rhs.rateLimit
    }
}

/// The ``ServerContext/values`` key of the call's ``AuthenticatedCaller``.
package enum AuthenticatedCallerKey: ContextKey {
    package typealias Value = AuthenticatedCaller
}
