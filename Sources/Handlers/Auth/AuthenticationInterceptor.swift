internal import FoundationEssentials
package import RPCServer
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
/// - On an HTTP/2 connection the last verified credential is remembered
///   (``VerifiedCredential``): a call presenting the same bytes again skips parsing, hashing and
///   the directory until any key or tenant changes.
///
/// - With a ``FailedAuthenticationLimit``, attempts that end `UNAUTHENTICATED` are counted per
///   client address, and an address over the limit is refused (`RESOURCE_EXHAUSTED`) before the
///   key is looked up.
///
/// Put it before ``RateLimitInterceptor``, which limits per key.
package struct AuthenticationInterceptor: ServerInterceptor {
    private let directory: KeyDirectory
    private let usage: KeyUsageRecorder
    private let pepper: [UInt8]
    private let pepperKey: HMACSHA256Key?
    private let globalAPIKey: String?
    private let publicMethods: MethodPatternList
    private let failureLimit: FailedAuthenticationLimit?

    /// Creates the interceptor.
    ///
    /// - Parameters:
    ///   - directory: The cached key rows.
    ///   - usage: Notes which keys were used, for `last_used_at`.
    ///   - pepper: The server's pepper, under which key hashes were computed.
    ///   - globalAPIKey: `GLOBAL_API_KEY`; `nil` or empty disables it.
    ///   - publicMethods: Methods that skip authentication.
    ///   - failureLimit: Limits failed attempts per client address; `nil` counts none.
    package init(
        directory: KeyDirectory,
        usage: KeyUsageRecorder,
        pepper: [UInt8],
        globalAPIKey: String?,
        publicMethods: MethodPatternList = .publicMethods,
        failureLimit: FailedAuthenticationLimit? = nil
    ) {
        self.directory = directory
        self.usage = usage
        self.pepper = pepper
        self.pepperKey = HMACSHA256Key(pepper)
        self.globalAPIKey = globalAPIKey.flatMap { $0.isEmpty ? nil : $0 }
        self.publicMethods = publicMethods
        self.failureLimit = failureLimit
    }

    /// Every method except ``MethodPatternList/publicMethods`` (or those given).
    package func applies(to method: MethodDescriptor) -> Bool {
        !self.publicMethods.contains(method)
    }

    /// Decides without suspending when the call has no credential, presents `GLOBAL_API_KEY`,
    /// or presents the credential its connection verified last (``VerifiedCredential``, the hot
    /// path); anything else needs the key directory and suspends.
    package func interceptImmediately(context: inout ServerContext) throws -> ImmediateInterception {
        guard let credential = PresentedCredential(metadata: context.requestMetadata) else {
            return .proceed
        }
        if let verified = self.rememberedVerification(of: credential, on: context) {
            context.caller = verified.caller
            self.usage.record(keyID: verified.keyID, rememberedIn: verified.usageRecorded)
            return .proceed
        }
        if let global = self.globalAPIKey, Secrets.constantTimeEquals(credential.value, global) {
            context.caller = .bootstrap
            return .proceed
        }
        return .suspend
    }

    package func intercept(
        context: ServerContext,
        next: (ServerContext) async throws -> Void
    ) async throws {
        var context = context
        if try self.interceptImmediately(context: &context) == .suspend,
            let credential = PresentedCredential(metadata: context.requestMetadata)
        {
            try await self.authenticateCountingFailures(credential, into: &context)
        }
        try await next(context)
    }

    /// ``authenticate(_:into:)`` behind the ``FailedAuthenticationLimit``, when there is one.
    private func authenticateCountingFailures(
        _ credential: PresentedCredential, into context: inout ServerContext
    ) async throws {
        guard let failureLimit = self.failureLimit else {
            try await self.authenticate(credential, into: &context)
            return
        }
        try failureLimit.checkNotBlocked(client: context.clientAddress)
        do {
            try await self.authenticate(credential, into: &context)
        } catch let error as RPCError where error.code == .unauthenticated {
            try await failureLimit.recordFailure(client: context.clientAddress)
            throw error
        }
    }

    /// The verification the call's connection remembers for `credential`, while it still holds.
    private func rememberedVerification(
        of credential: PresentedCredential, on context: ServerContext
    ) -> VerifiedCredential? {
        guard let verified = context.connection?[VerifiedCredentialKey.self],
            verified.answers(for: credential, generation: self.directory.generation)
        else { return nil }
        return verified
    }

    /// Verifies a credential that is neither remembered nor the global key.
    private func authenticate(_ credential: PresentedCredential, into context: inout ServerContext) async throws {
        let generation = self.directory.generation
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
        let found: (key: StoredKey?, freshUntil: ContinuousClock.Instant)
        do {
            found = try await self.directory.lookup(prefix: material.prefix, hash: presented)
        } catch {
            throw RPCError(code: .unavailable, message: "Authentication is temporarily unavailable; retry shortly.")
        }
        let now = Date()
        guard let stored = found.key, let match = self.match(presented, stored, now: now) else {
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
            break
        case (.tenant(_, let enabled, _), .tenant):
            guard enabled else {
                throw RPCError(code: .permissionDenied, message: "The tenant is disabled.")
            }
        default:
            throw RPCError(code: .unauthenticated, message: "The API key is not valid.")
        }
        context.caller = stored.caller
        self.usage.record(keyID: stored.id)
        if let connection = context.connection {
            let validUntil: Date? =
                switch match {
                case .current: stored.expiresAt
                case .replaced(let graceEnd): min(graceEnd, stored.expiresAt ?? graceEnd)
                }
            connection[VerifiedCredentialKey.self] = VerifiedCredential(
                header: credential.header, value: credential.value, caller: stored.caller, keyID: stored.id,
                generation: generation, freshUntil: found.freshUntil, validUntil: validUntil)
        }
    }

    /// Which of a stored key's hashes a presented key matched.
    private enum HashMatch {
        /// The current key.
        case current
        /// The key the last rotation replaced, accepted until the end of its grace period.
        case replaced(until: Date)
    }

    private func match(_ presented: [UInt8], _ stored: StoredKey, now: Date) -> HashMatch? {
        if Secrets.constantTimeEquals(presented, stored.hash) {
            return .current
        }
        if let previous = stored.previousHash, let until = stored.previousValidUntil, now < until,
            Secrets.constantTimeEquals(presented, previous)
        {
            return .replaced(until: until)
        }
        return nil
    }
}
