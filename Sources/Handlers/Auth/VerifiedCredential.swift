internal import FoundationEssentials
internal import RPCServer
internal import Storage
internal import Synchronization

/// The credential an HTTP/2 connection last presented and what it was verified as, kept in the
/// connection's ``ConnectionValues`` so the next call presenting the same bytes skips parsing,
/// hashing and the key-directory lookup.
///
/// It holds nothing the connection does not already hold: the client sent the key on this
/// connection, and HPACK keeps it in the connection's header table anyway. It is used only
/// while the ``KeyDirectory`` has seen no invalidation since (a revocation, rotation or tenant
/// change on any instance), while the directory's answer is fresh, and while the key is neither
/// expired nor past the grace period of the rotation that replaced it.
final class VerifiedCredential: Sendable {
    /// The header the credential came in.
    let header: PresentedCredential.Header
    /// The presented value.
    let value: String
    /// Who it identified.
    let caller: AuthenticatedCaller
    /// The key's id, for `last_used_at`.
    let keyID: UUID
    /// ``KeyDirectory/generation`` before the key was looked up.
    let generation: Int
    /// The earlier of the directory answer's freshness and the key's validity, on the coarse
    /// clock (one read per call costs less there). Measured from the verification on the
    /// monotonic clock, so a wall-clock step moves the key's expiry by at most the directory's
    /// freshness lifetime, after which the key is verified against the directory again.
    let usableUntil: CoarseInstant
    /// The key-usage flush count when a call through this memory last recorded the key's use
    /// (``KeyUsageRecorder/record(keyID:rememberedIn:)``); `-1` before the first.
    let usageRecorded = Atomic<Int>(-1)

    /// Records a verification.
    ///
    /// - Parameters:
    ///   - header: The header the credential came in.
    ///   - value: The presented value.
    ///   - caller: Who it identified.
    ///   - keyID: The key's id.
    ///   - generation: ``KeyDirectory/generation`` before the key was looked up.
    ///   - freshUntil: Until when the directory's answer is fresh.
    ///   - validUntil: When the key (or the grace period it matched in) ends, if ever.
    init(
        header: PresentedCredential.Header, value: String, caller: AuthenticatedCaller, keyID: UUID, generation: Int,
        freshUntil: ContinuousClock.Instant, validUntil: Date?
    ) {
        self.header = header
        self.value = value
        self.caller = caller
        self.keyID = keyID
        self.generation = generation
        var remaining = ContinuousClock.now.duration(to: freshUntil)
        if let validUntil {
            remaining = min(remaining, .seconds(validUntil.timeIntervalSinceNow))
        }
        self.usableUntil = CoarseInstant.deadline(after: remaining)
    }

    /// Whether this verification answers for `credential` now.
    ///
    /// - Parameters:
    ///   - credential: The credential the call carries.
    ///   - generation: The directory's generation now.
    func answers(for credential: PresentedCredential, generation: Int) -> Bool {
        self.header == credential.header && self.generation == generation
            && Secrets.constantTimeEquals(self.value, credential.value) && CoarseInstant.now < self.usableUntil
    }
}

/// The ``ConnectionValues`` key of a connection's ``VerifiedCredential``.
enum VerifiedCredentialKey: ContextKey {
    typealias Value = VerifiedCredential
}
