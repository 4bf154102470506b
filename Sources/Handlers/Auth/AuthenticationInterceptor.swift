internal import Foundation
public import RPCServer
internal import Storage

/// Establishes who is calling, for gRPC and REST alike, and stores it as ``ServerContext/principal``.
///
/// Credentials come from `x-admin-key` (admin keys), `x-api-key` or `authorization: Bearer`
/// (tenant keys), in that order of preference. The configured `GLOBAL_API_KEY` is accepted in any
/// of them as ``Principal/bootstrap``.
///
/// - Methods on ``MethodPatternList/publicMethods`` run without looking at credentials.
/// - A call without credentials runs with no principal; handlers decide (`requireAdmin()` and so on).
/// - A presented key that is malformed, unknown, revoked, expired, or sent in the wrong header
///   ends the call with `UNAUTHENTICATED`; a disabled tenant's key with `PERMISSION_DENIED`.
///   Messages never repeat the key.
/// - Keys come from ``KeyDirectory``, so PostgreSQL is read only on a cache miss; if it cannot be
///   read then, the call ends with `UNAVAILABLE`.
///
/// Put it before ``RateLimitInterceptor``, which limits per key.
public struct AuthenticationInterceptor: ServerInterceptor {
    private let directory: KeyDirectory
    private let usage: KeyUsageRecorder
    private let pepper: [UInt8]
    private let pepperKey: HMACSHA256Key?
    private let globalAPIKey: [UInt8]?
    private let publicMethods: MethodPatternList

    /// Creates the interceptor.
    ///
    /// - Parameters:
    ///   - directory: The cached key rows.
    ///   - usage: Notes which keys were used, for `last_used_at`.
    ///   - pepper: The server's pepper, under which key hashes were computed.
    ///   - globalAPIKey: `GLOBAL_API_KEY`; `nil` or empty disables it.
    ///   - publicMethods: Methods that skip authentication.
    public init(
        directory: KeyDirectory,
        usage: KeyUsageRecorder,
        pepper: [UInt8],
        globalAPIKey: String?,
        publicMethods: MethodPatternList = .publicMethods
    ) {
        self.directory = directory
        self.usage = usage
        self.pepper = pepper
        self.pepperKey = HMACSHA256Key(pepper)
        self.globalAPIKey = globalAPIKey.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        self.publicMethods = publicMethods
    }

    public func intercept(
        context: ServerContext,
        next: (ServerContext) async throws -> Void
    ) async throws {
        guard !self.publicMethods.contains(context.descriptor),
            let credential = PresentedCredential(metadata: context.requestMetadata)
        else {
            try await next(context)
            return
        }
        var context = context
        try await self.authenticate(credential, into: &context)
        try await next(context)
    }

    private func authenticate(_ credential: PresentedCredential, into context: inout ServerContext) async throws {
        if let global = self.globalAPIKey, Secrets.constantTimeEquals(Array(credential.value.utf8), global) {
            context.principal = .bootstrap
            return
        }
        guard let material = ApiKeyMaterial(presented: credential.value) else {
            throw RPCError(
                code: .unauthenticated, message: "The credential in \(credential.header.name) is not a valid API key.")
        }
        switch (material.kind, credential.header) {
        case (.admin, .adminKey), (.tenant, .apiKey), (.tenant, .bearer):
            break
        case (.admin, _):
            throw RPCError(code: .unauthenticated, message: "An admin key (adm_) must be sent in x-admin-key.")
        case (.tenant, _):
            throw RPCError(
                code: .unauthenticated,
                message: "A tenant key (ten_) must be sent in x-api-key or Authorization: Bearer.")
        }
        let presented = self.pepperKey.map { material.hash(with: $0) } ?? material.hash(pepper: self.pepper)
        let stored: StoredKey?
        do {
            stored = try await self.directory.key(prefix: material.prefix, hash: presented)
        } catch {
            throw RPCError(code: .unavailable, message: "Authentication is temporarily unavailable; retry shortly.")
        }
        let now = Date()
        guard let stored, self.matches(presented, stored, now: now) else {
            throw RPCError(code: .unauthenticated, message: "The API key is not valid.")
        }
        guard stored.active else {
            throw RPCError(code: .unauthenticated, message: "The API key has been revoked.")
        }
        if let expiresAt = stored.expiresAt, expiresAt <= now {
            throw RPCError(code: .unauthenticated, message: "The API key has expired.")
        }
        switch (stored.owner, material.kind) {
        case (.admin, .admin):
            context.principal = stored.principal
        case (.tenant(_, let enabled, let rateLimit), .tenant):
            guard enabled else {
                throw RPCError(code: .permissionDenied, message: "The tenant is disabled.")
            }
            context.principal = stored.principal
            context.values[TenantRateLimitKey.self] = rateLimit
        default:
            throw RPCError(code: .unauthenticated, message: "The API key is not valid.")
        }
        self.usage.record(keyID: stored.id)
    }

    private func matches(_ presented: [UInt8], _ stored: StoredKey, now: Date) -> Bool {
        if Secrets.constantTimeEquals(presented, stored.hash) {
            return true
        }
        if let previous = stored.previousHash, let until = stored.previousValidUntil, now < until {
            return Secrets.constantTimeEquals(presented, previous)
        }
        return false
    }
}
