internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
internal import Storage
internal import SwiftProtobuf

extension SecurityHandler {
    package func createAdminApiKey(
        request: Metachat_V1_CreateAdminApiKeyRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_CreateApiKeyResponse {
        try RequestTextCheck.check(request)
        let (principal, adminID) = try Self.authorizeAdminKeys(context: context, adminID: request.adminID)
        let label = try SecurityInput.label(request.label)
        let expiresAt = try SecurityInput.expiry(request.hasExpiresAt ? request.expiresAt : nil)
        let issued = try await self.apiKeys.create(
            owner: .admin(adminID), label: label, expiresAt: expiresAt,
            actor: AuditActor(principal: principal, context: context))
        await self.keyEvents.keyChanged(keyID: issued.record.id.lowercasedString)
        return Self.createResponse(issued)
    }

    package func listAdminApiKeys(
        request: Metachat_V1_ListAdminApiKeysRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ListApiKeysResponse {
        try RequestTextCheck.check(request)
        let (_, adminID) = try Self.authorizeAdminKeys(context: context, adminID: request.adminID)
        let page = try PageRequest(size: request.pageSize, token: request.pageToken)
        let (keys, hasMore) = try await self.apiKeys.list(
            owner: .admin(adminID), includeRevoked: request.includeRevoked, page: page)
        var response = Metachat_V1_ListApiKeysResponse()
        response.apiKeys = keys.map(\.message)
        response.nextPageToken = page.nextToken(hasMore: hasMore)
        return response
    }

    package func revokeAdminApiKey(
        request: Metachat_V1_RevokeAdminApiKeyRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ApiKey {
        try RequestTextCheck.check(request)
        let (principal, adminID) = try Self.authorizeAdminKeys(context: context, adminID: request.adminID)
        let keyID = try SecurityInput.uuid(request.keyID, field: "keyId")
        var ownKeys = false
        if case .admin(let callerID, _, _) = principal, UUID(canonicalText: callerID) == adminID {
            ownKeys = true
        }
        let (record, changed) = try await self.apiKeys.revoke(
            owner: .admin(adminID), keyID: keyID, protectLastKey: ownKeys,
            actor: AuditActor(principal: principal, context: context))
        if changed {
            await self.keyEvents.keyChanged(keyID: record.id.lowercasedString)
        }
        return record.message
    }

    package func startAdminApiKeyRotation(
        request: Metachat_V1_StartAdminApiKeyRotationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_StartKeyRotationResponse {
        try RequestTextCheck.check(request)
        let (principal, adminID) = try Self.authorizeAdminKeys(context: context, adminID: request.adminID)
        let keyID = try SecurityInput.uuid(request.keyID, field: "keyId")
        let lifetime = try SecurityInput.tokenLifetime(
            request.hasTokenTtl ? request.tokenTtl : nil, fallback: self.rotationTokenLifetime)
        let (token, expiresAt) = try await self.apiKeys.startRotation(
            owner: .admin(adminID), keyID: keyID, lifetime: lifetime,
            actor: AuditActor(principal: principal, context: context))
        await self.keyEvents.keyChanged(keyID: keyID.lowercasedString)
        return Self.startResponse(token: token, expiresAt: expiresAt)
    }

    package func confirmAdminApiKeyRotation(
        request: Metachat_V1_ConfirmAdminApiKeyRotationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ConfirmKeyRotationResponse {
        try RequestTextCheck.check(request)
        let (principal, adminID) = try Self.authorizeAdminKeys(context: context, adminID: request.adminID)
        let keyID = try SecurityInput.uuid(request.keyID, field: "keyId")
        let issued = try await self.apiKeys.confirmRotation(
            owner: .admin(adminID), keyID: keyID, token: request.token, gracePeriod: self.rotationGracePeriod,
            actor: AuditActor(principal: principal, context: context))
        await self.keyEvents.keyChanged(keyID: keyID.lowercasedString)
        return Self.confirmResponse(issued)
    }

    /// The caller, who must be a SUPER admin or the STANDARD admin `adminID` itself, and the admin id.
    ///
    /// - Throws: `UNAUTHENTICATED`/`PERMISSION_DENIED` as ``ServerContext/requireAdmin()`` does,
    ///   `INVALID_ARGUMENT` for a malformed id, `PERMISSION_DENIED` for another admin's keys.
    private static func authorizeAdminKeys(context: ServerContext, adminID text: String) throws -> (Principal, UUID) {
        let principal = try context.requireAdmin()
        let adminID = try SecurityInput.uuid(text, field: "adminId")
        if principal.isSuperAdmin {
            return (principal, adminID)
        }
        guard case .admin(let callerID, _, _) = principal, UUID(canonicalText: callerID) == adminID else {
            throw RPCError(
                code: .permissionDenied, message: "A STANDARD admin may manage only their own keys.")
        }
        return (principal, adminID)
    }

    /// The answer to key creation.
    static func createResponse(_ issued: ApiKeyStore.IssuedKey) -> Metachat_V1_CreateApiKeyResponse {
        var response = Metachat_V1_CreateApiKeyResponse()
        response.id = issued.record.id.lowercasedString
        response.apiKey = issued.material.plaintext
        response.prefix = issued.material.prefix
        response.lastFour = issued.material.lastFour
        response.key = issued.record.message
        return response
    }

    /// The answer to the first rotation step.
    static func startResponse(token: String, expiresAt: Date) -> Metachat_V1_StartKeyRotationResponse {
        var response = Metachat_V1_StartKeyRotationResponse()
        response.rotationToken = token
        response.expiresAt = Google_Protobuf_Timestamp(date: expiresAt)
        return response
    }

    /// The answer to the second rotation step.
    static func confirmResponse(_ issued: ApiKeyStore.IssuedKey) -> Metachat_V1_ConfirmKeyRotationResponse {
        var response = Metachat_V1_ConfirmKeyRotationResponse()
        response.apiKey = issued.material.plaintext
        response.prefix = issued.material.prefix
        response.lastFour = issued.material.lastFour
        response.key = issued.record.message
        return response
    }
}
