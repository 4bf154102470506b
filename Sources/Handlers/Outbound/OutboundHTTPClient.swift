package import AsyncHTTPClient
internal import NIOCore
internal import NIOPosix
package import RPCServer
internal import ServiceLifecycle
internal import Synchronization

/// Every outbound HTTP call the server makes (LLMs, embeddings, webhooks, the Graph API), with the
/// egress guard in front of tenant-supplied URLs.
///
/// For a ``OutboundDestination/tenantSupplied(requireHTTPS:)`` call the host is resolved here,
/// every address it resolves to is checked against the ``EgressPolicy``, and the connection goes to
/// the checked address (through a client whose DNS override pins the name to it; TLS still
/// verifies the name). So the check happens at connect time, for every request: a name that
/// resolved to a public address when it was saved and to a private one now (DNS rebinding) is
/// refused. Operator-configured URLs are trusted and use one shared client.
///
/// A `Service`: it runs until graceful shutdown, then closes every client's connections; it starts
/// before the services that call out and stops after them.
package final class OutboundHTTPClient: Service, Sendable {
    /// Timeouts and limits.
    package struct Configuration: Sendable {
        /// How long a TCP (and TLS) connection may take.
        package var connectTimeout: Duration = .seconds(10)
        /// How many pinned (host, address) clients are kept; the least recently used beyond it is
        /// closed once its requests finish.
        package var pinnedClientLimit = 64
        /// Connections each client keeps open to one host at most (AsyncHTTPClient's soft limit).
        /// Default 8.
        package var connectionsPerHost = 8
        /// Whether redirects of operator-configured URLs are followed. Default true. A
        /// tenant-supplied URL's redirects are never followed: the target of a redirect would
        /// escape the egress check (the caller sees the 3xx answer).
        package var followsRedirects = true

        /// The defaults.
        package init() {}
    }

    private struct PinnedClient {
        let client: HTTPClient
        var lastUsed: UInt64
        /// When the last request sent through it times out at the latest (body included).
        var latestDeadline: NIODeadline
    }

    private struct State {
        /// The client for operator-configured URLs and IP literals, made on first use (a client
        /// that was never made needs no shutdown).
        var shared: HTTPClient?
        /// The client for tenant-supplied IP literals (redirects not followed), made on first use.
        var tenantShared: HTTPClient?
        var pinned: [String: PinnedClient] = [:]
        var clock: UInt64 = 0
        var closed = false
    }

    /// The egress rules.
    package let policy: EgressPolicy
    private let resolver: any HostResolver
    private let configuration: Configuration
    private let state = Mutex(State())

    /// A client; nothing connects until a request is made.
    ///
    /// - Parameters:
    ///   - policy: Which addresses tenant-supplied URLs may reach.
    ///   - resolver: Resolves tenant-supplied host names.
    ///   - configuration: Timeouts and limits.
    package init(policy: EgressPolicy, resolver: any HostResolver, configuration: Configuration = .init()) {
        self.policy = policy
        self.resolver = resolver
        self.configuration = configuration
    }

    /// Sends a request and returns its response head with the body still streaming; the body
    /// must be read or dropped by the caller. Cancelling the calling task cancels the request.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - destination: Who chose the URL.
    ///   - timeout: The deadline for the whole exchange, body included.
    /// - Returns: The response.
    /// - Throws: ``EgressRefusal`` when the URL may not be reached, or AsyncHTTPClient's errors.
    package func execute(
        _ request: HTTPClientRequest, destination: OutboundDestination, timeout: Duration
    ) async throws -> HTTPClientResponse {
        let amount = Self.timeAmount(timeout)
        guard case .tenantSupplied(let requireHTTPS) = destination else {
            return try await self.sharedClient().execute(request, timeout: amount)
        }
        let target = try await self.check(url: request.url, requireHTTPS: requireHTTPS)
        guard let pinnedKey = target.pinnedKey else {
            return try await self.sharedClient(tenantSupplied: true).execute(request, timeout: amount)
        }
        let client = try self.lease(
            pinnedKey, host: target.url.host, address: target.address, until: .now() + amount)
        return try await client.execute(request, timeout: amount)
    }

    /// What the egress check found for a URL.
    package struct CheckedTarget: Sendable {
        /// The URL's parts.
        package var url: OutboundURL
        /// The address a connection goes to.
        package var address: ClientAddress
        /// The pinned client's key, or `nil` when the URL names an IP address itself.
        var pinnedKey: String?
    }

    /// Checks a tenant-supplied URL without sending anything (for settings being saved).
    ///
    /// - Parameters:
    ///   - url: The URL.
    ///   - requireHTTPS: Whether plain `http` is refused outside the allowed networks.
    /// - Returns: The checked address.
    /// - Throws: ``EgressRefusal`` naming the host, the address and why.
    @discardableResult
    package func check(url text: String, requireHTTPS: Bool) async throws -> CheckedTarget {
        guard let url = OutboundURL(text) else { throw EgressRefusal("\(text) is not an absolute http(s) URL") }
        let addresses: [ClientAddress]
        let isLiteral: Bool
        if let literal = ClientAddress(url.host) {
            addresses = [literal]
            isLiteral = true
        } else {
            addresses = try await self.resolver.addresses(of: url.host)
            isLiteral = false
        }
        for address in addresses {
            if let reason = self.policy.refusal(for: address) {
                throw EgressRefusal.refusedAddress(host: url.host, address: "\(address)", reason: reason)
            }
        }
        guard let address = addresses.first else { throw EgressRefusal("\(url.host) does not resolve to any address") }
        if requireHTTPS, !url.isHTTPS, !addresses.allSatisfy(self.policy.isAllowedNetwork) {
            throw EgressRefusal("\(text) must use https (plain http only inside OUTBOUND_ALLOW_CIDRS)")
        }
        return CheckedTarget(url: url, address: address, pinnedKey: isLiteral ? nil : "\(url.host)|\(address)")
    }

    package func run() async throws {
        try? await gracefulShutdown()
        let clients = self.state.withLock { state -> [HTTPClient] in
            state.closed = true
            defer {
                state.pinned.removeAll()
                state.shared = nil
                state.tenantShared = nil
            }
            return state.pinned.values.map(\.client) + [state.shared, state.tenantShared].compactMap { $0 }
        }
        for client in clients { try? await client.shutdown() }
    }

    private func sharedClient(tenantSupplied: Bool = false) throws -> HTTPClient {
        try self.state.withLock { state in
            guard !state.closed else { throw EgressRefusal("the server is shutting down") }
            if let shared = tenantSupplied ? state.tenantShared : state.shared { return shared }
            let shared = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: Self.clientConfiguration(self.configuration, pin: nil, tenantSupplied: tenantSupplied))
            if tenantSupplied {
                state.tenantShared = shared
            } else {
                state.shared = shared
            }
            return shared
        }
    }

    // MARK: - Pinned clients

    /// The pinned client for a (host, address) pair, made on first use. Beyond the limit the least
    /// recently used one is dropped and closed once the last request sent through it has timed out
    /// (closing a client cancels what it still carries).
    private func lease(_ key: String, host: String, address: ClientAddress, until deadline: NIODeadline) throws
        -> HTTPClient
    {
        let (client, evicted) = try self.state.withLock { state throws -> (HTTPClient, PinnedClient?) in
            guard !state.closed else { throw EgressRefusal("the server is shutting down") }
            state.clock += 1
            if var entry = state.pinned[key] {
                entry.lastUsed = state.clock
                entry.latestDeadline = max(entry.latestDeadline, deadline)
                state.pinned[key] = entry
                return (entry.client, nil)
            }
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: Self.clientConfiguration(
                    self.configuration, pin: (host, "\(address)"), tenantSupplied: true))
            state.pinned[key] = PinnedClient(client: client, lastUsed: state.clock, latestDeadline: deadline)
            guard state.pinned.count > self.configuration.pinnedClientLimit,
                let oldest = state.pinned.filter({ $0.key != key }).min(by: { $0.value.lastUsed < $1.value.lastUsed })
            else { return (client, nil) }
            state.pinned[oldest.key] = nil
            return (client, oldest.value)
        }
        if let evicted {
            let retired = evicted.client
            MultiThreadedEventLoopGroup.singleton.next().scheduleTask(deadline: evicted.latestDeadline) {
                retired.shutdown { _ in }
            }
        }
        return client
    }

    private static func clientConfiguration(
        _ configuration: Configuration, pin: (host: String, address: String)?, tenantSupplied: Bool
    ) -> HTTPClient.Configuration {
        var result = HTTPClient.Configuration()
        result.timeout = .init(connect: Self.timeAmount(configuration.connectTimeout))
        if let pin { result.dnsOverride = [pin.host: pin.address] }
        result.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.connectionsPerHost)
        if tenantSupplied || !configuration.followsRedirects { result.redirectConfiguration = .disallow }
        return result
    }

    /// A duration as NIO's time amount (nanoseconds).
    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
