package import RPCServer

/// Resolves host names to addresses for the egress check; the outbound client then connects to
/// exactly the address that was checked.
package protocol HostResolver: Sendable {
    /// Every address a host name resolves to.
    ///
    /// - Parameter host: A host name (never an IP literal).
    /// - Returns: The addresses, in the resolver's order; at least one.
    /// - Throws: ``EgressRefusal`` when the name does not resolve.
    func addresses(of host: String) async throws -> [ClientAddress]
}
