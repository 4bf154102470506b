internal import FoundationEssentials
package import MetaChatAPI
package import RPCServer
internal import Storage

extension SecurityHandler {
    package func createTenantApiKey(
        request: Metachat_V1_CreateTenantApiKeyRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_CreateApiKeyResponse {
        try RequestTextCheck.check(request)
        let principal = try context.requireAdmin()
        let tenantID = try SecurityInput.uuid(request.tenantID, field: "tenantId")
        let label = try SecurityInput.label(request.label)
        let expiresAt = try SecurityInput.expiry(request.hasExpiresAt ? request.expiresAt : nil)
        let issued = try await self.apiKeys.create(
            owner: .tenant(tenantID), label: label, expiresAt: expiresAt,
            actor: AuditActor(principal: principal, context: context))
        await self.keyEvents.keyChanged(keyID: issued.record.id.lowercasedString)
        return Self.createResponse(issued)
    }

    package func listTenantApiKeys(
        request: Metachat_V1_ListTenantApiKeysRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ListApiKeysResponse {
        try RequestTextCheck.check(request)
        _ = try context.requireAdmin()
        let tenantID = try SecurityInput.uuid(request.tenantID, field: "tenantId")
        let page = try PageRequest(size: request.pageSize, token: request.pageToken)
        let (keys, hasMore) = try await self.apiKeys.list(
            owner: .tenant(tenantID), includeRevoked: request.includeRevoked, page: page)
        var response = Metachat_V1_ListApiKeysResponse()
        response.apiKeys = keys.map(\.message)
        response.nextPageToken = page.nextToken(hasMore: hasMore)
        return response
    }

    package func revokeTenantApiKey(
        request: Metachat_V1_RevokeTenantApiKeyRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ApiKey {
        try RequestTextCheck.check(request)
        let principal = try context.requireAdmin()
        let tenantID = try SecurityInput.uuid(request.tenantID, field: "tenantId")
        let keyID = try SecurityInput.uuid(request.keyID, field: "keyId")
        let (record, changed) = try await self.apiKeys.revoke(
            owner: .tenant(tenantID), keyID: keyID, protectLastKey: false,
            actor: AuditActor(principal: principal, context: context))
        if changed {
            await self.keyEvents.keyChanged(keyID: record.id.lowercasedString)
        }
        return record.message
    }

    package func startTenantApiKeyRotation(
        request: Metachat_V1_StartTenantApiKeyRotationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_StartKeyRotationResponse {
        try RequestTextCheck.check(request)
        let principal = try context.requireAdmin()
        let tenantID = try SecurityInput.uuid(request.tenantID, field: "tenantId")
        let keyID = try SecurityInput.uuid(request.keyID, field: "keyId")
        let lifetime = try SecurityInput.tokenLifetime(
            request.hasTokenTtl ? request.tokenTtl : nil, fallback: self.rotationTokenLifetime)
        let (token, expiresAt) = try await self.apiKeys.startRotation(
            owner: .tenant(tenantID), keyID: keyID, lifetime: lifetime,
            actor: AuditActor(principal: principal, context: context))
        await self.keyEvents.keyChanged(keyID: keyID.lowercasedString)
        return Self.startResponse(token: token, expiresAt: expiresAt)
    }

    package func confirmTenantApiKeyRotation(
        request: Metachat_V1_ConfirmTenantApiKeyRotationRequest,
        context: ServerContext
    ) async throws -> Metachat_V1_ConfirmKeyRotationResponse {
        try RequestTextCheck.check(request)
        let principal = try context.requireAdmin()
        let tenantID = try SecurityInput.uuid(request.tenantID, field: "tenantId")
        let keyID = try SecurityInput.uuid(request.keyID, field: "keyId")
        let issued = try await self.apiKeys.confirmRotation(
            owner: .tenant(tenantID), keyID: keyID, token: request.token, gracePeriod: self.rotationGracePeriod,
            actor: AuditActor(principal: principal, context: context))
        await self.keyEvents.keyChanged(keyID: keyID.lowercasedString)
        return Self.confirmResponse(issued)
    }
}
