package import FoundationEssentials
package import MetaChatAPI
internal import Storage

/// What the authentication interceptor needs to know about one API key, read from `api_keys` with
/// its owner (admin role or tenant state) and cached by ``KeyDirectory``.
package struct StoredKey: Sendable, Equatable {
    /// Who owns the key.
    package enum Owner: Sendable, Equatable {
        /// An admin user with a role.
        case admin(adminID: UUID, role: Metachat_V1_AdminRole)
        /// A tenant; `enabled` is the tenant's flag, `rateLimit` its rate-limit settings.
        case tenant(tenantID: UUID, enabled: Bool, rateLimit: TenantRateLimit)
    }

    /// The key's id.
    package let id: UUID
    /// The owner.
    package let owner: Owner
    /// Who a call presenting this key acts as, with its rate-limit details; built once when the
    /// row is read, so authenticating a call formats no identifiers.
    package let caller: AuthenticatedCaller
    /// HMAC-SHA256 of the current key under the pepper.
    package var hash: [UInt8]
    /// The hash of the key replaced by the last rotation, while it is still accepted.
    package var previousHash: [UInt8]?
    /// Until when ``previousHash`` is accepted.
    package var previousValidUntil: Date?
    /// `false` once revoked.
    package var active: Bool
    /// When the key stops working, if ever.
    package var expiresAt: Date?

    /// Creates a stored key.
    ///
    /// - Parameters:
    ///   - id: The key's id.
    ///   - owner: The owner.
    ///   - hash: The current hash.
    ///   - previousHash: The replaced key's hash, if still accepted.
    ///   - previousValidUntil: Until when the replaced key is accepted.
    ///   - active: Whether the key is not revoked.
    ///   - expiresAt: When the key expires, if ever.
    package init(
        id: UUID, owner: Owner, hash: [UInt8], previousHash: [UInt8]?, previousValidUntil: Date?, active: Bool,
        expiresAt: Date?
    ) {
        self.id = id
        self.owner = owner
        let keyID = id.lowercasedString
        self.caller =
            switch owner {
            case .admin(let adminID, let role):
                AuthenticatedCaller(
                    principal: .admin(adminID: adminID.lowercasedString, keyID: keyID, role: role))
            case .tenant(let tenantID, _, let rateLimit):
                AuthenticatedCaller(
                    principal: .tenant(tenantID: tenantID.lowercasedString, keyID: keyID), rateLimit: rateLimit)
            }
        self.hash = hash
        self.previousHash = previousHash
        self.previousValidUntil = previousValidUntil
        self.active = active
        self.expiresAt = expiresAt
    }

    /// Who a call presenting this key acts as.
    package var principal: Principal { self.caller.principal }

    /// The owning tenant's id, for tenant keys.
    package var tenantID: UUID? {
        if case .tenant(let tenantID, _, _) = self.owner { return tenantID }
        return nil
    }
}
