package import Handlers
package import RPCServer
package import Storage

/// The dashboard's settings, each with the default ``defaults`` documents.
package struct DashboardConfiguration: Sendable {
    /// How long a session may go unused before it ends.
    package var sessionIdleTimeout: Duration
    /// How long a session lasts however busy it is.
    package var sessionAbsoluteTimeout: Duration
    /// The scrypt cost of new password hashes.
    package var passwordCost: Scrypt.Cost
    /// Login attempts one client address may make per window.
    package var loginLimitPerAddress: RateLimitPolicy
    /// Login attempts one account (email) may receive per window, from anywhere.
    package var loginLimitPerAccount: RateLimitPolicy
    /// Whose `X-Forwarded-For` is believed (nginx in front).
    package var trustedProxies: [IPNetwork]

    /// Creates a configuration.
    package init(
        sessionIdleTimeout: Duration, sessionAbsoluteTimeout: Duration, passwordCost: Scrypt.Cost,
        loginLimitPerAddress: RateLimitPolicy, loginLimitPerAccount: RateLimitPolicy, trustedProxies: [IPNetwork]
    ) {
        self.sessionIdleTimeout = sessionIdleTimeout
        self.sessionAbsoluteTimeout = sessionAbsoluteTimeout
        self.passwordCost = passwordCost
        self.loginLimitPerAddress = loginLimitPerAddress
        self.loginLimitPerAccount = loginLimitPerAccount
        self.trustedProxies = trustedProxies
    }

    /// Idle timeout 30 minutes, absolute timeout 12 hours, scrypt N = 2^16, r = 8, p = 1;
    /// 30 login attempts per address and 10 per account per 15 minutes; loopback proxies trusted.
    package static var defaults: DashboardConfiguration {
        DashboardConfiguration(
            sessionIdleTimeout: .seconds(30 * 60),
            sessionAbsoluteTimeout: .seconds(12 * 3600),
            passwordCost: .interactive,
            loginLimitPerAddress: RateLimitPolicy(requests: 30, windowMilliseconds: 15 * 60_000),
            loginLimitPerAccount: RateLimitPolicy(requests: 10, windowMilliseconds: 15 * 60_000),
            trustedProxies: IPNetwork.loopback
        )
    }
}
