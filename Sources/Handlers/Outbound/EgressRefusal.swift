/// Why an outbound call to a tenant-supplied URL was not made.
package struct EgressRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, naming the host and, when resolved, the address.
    package var description: String

    /// A refusal.
    ///
    /// - Parameter description: What is wrong.
    package init(_ description: String) {
        self.description = description
    }

    /// A host that resolves to a refused address.
    static func refusedAddress(host: String, address: String, reason: String) -> EgressRefusal {
        let resolved = host == address ? "" : " resolves to \(address),"
        return EgressRefusal(
            "\(host)\(resolved) \(reason), which outbound calls may not reach unless it is inside"
                + " OUTBOUND_ALLOW_CIDRS")
    }
}
