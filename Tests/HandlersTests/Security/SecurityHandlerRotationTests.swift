import Foundation
import Handlers
import MetaChatAPI
import RPCServer
import Storage
import SwiftProtobuf
import Testing

@Suite("SecurityHandler: two-step key rotation")
struct SecurityHandlerRotationTests {
    private typealias Harness = SecurityTestHarness

    /// How one of many concurrent confirmations ended.
    private enum Outcome: Sendable {
        case succeeded(apiKey: String)
        case failed(RPCError.Code?)
    }

    @Test("Admin key: start answers a token and expiry; confirm answers the new key once, under the same id")
    func adminKeyRotationEndToEnd() async throws {
        try await Harness.with { harness in
            let adminID = try await harness.makeAdmin(role: .super)
            let created = try await harness.makeAdminKey(adminID: adminID)
            let oldHash = try await harness.storedKey(created.id).keyHash
            let context = Harness.context(.admin(adminID: adminID, keyID: created.id, role: .super), requestID: "r-1")

            var start = Metachat_V1_StartAdminApiKeyRotationRequest()
            start.adminID = adminID
            start.keyID = created.id
            let started = try await harness.handler.startAdminApiKeyRotation(request: start, context: context)
            var confirm = Metachat_V1_ConfirmAdminApiKeyRotationRequest()
            confirm.adminID = adminID
            confirm.keyID = created.id
            confirm.token = started.rotationToken
            let confirmed = try await harness.handler.confirmAdminApiKeyRotation(request: confirm, context: context)

            #expect(started.rotationToken.hasPrefix("rot_") && started.rotationToken.count == 68)
            let lifetime = started.expiresAt.date.timeIntervalSinceNow
            #expect(lifetime > 14 * 60 && lifetime <= 15 * 60 + 5)
            let stored = try await harness.storedKey(created.id)
            let newKey = try #require(ApiKeyMaterial(presented: confirmed.apiKey))
            #expect(newKey.kind == .admin)
            #expect(newKey.matches(stored.keyHash, pepper: harness.pepper))
            #expect(stored.keyHash != oldHash)
            #expect(stored.previousKeyHash == nil)
            #expect(stored.pendingTokenHash == nil)
            #expect(stored.rotatedAt != nil)
            #expect(confirmed.key.id == created.id)
            #expect(confirmed.key.hasRotatedAt)
            #expect(confirmed.prefix == newKey.prefix && stored.prefix == newKey.prefix)
            #expect(confirmed.lastFour == newKey.lastFour && stored.lastFour == newKey.lastFour)
            #expect(confirmed.apiKey != created.apiKey)
            let audit = try await harness.audit(target: created.id)
            #expect(
                audit.map(\.action) == ["api_key.created", "api_key.rotation.started", "api_key.rotation.confirmed"])
            #expect(audit.last?.actor == adminID)
            #expect(audit.last?.requestID == "r-1")
            #expect(harness.events.keyIDs == [created.id, created.id, created.id])

            await expectRPCError(.invalidArgument, "already used") {
                try await harness.handler.confirmAdminApiKeyRotation(request: confirm, context: context)
            }
        }
    }

    @Test("Tenant key: rotation end to end; a wrong token and a confirm without a pending rotation are refused")
    func tenantKeyRotationEndToEnd() async throws {
        try await Harness.with { harness in
            let tenantID = try await harness.makeTenant()
            let created = try await harness.makeTenantKey(tenantID: tenantID)
            let context = Harness.context(.bootstrap, requestID: "r-2")
            var confirm = Metachat_V1_ConfirmTenantApiKeyRotationRequest()
            confirm.tenantID = tenantID
            confirm.keyID = created.id
            confirm.token = "rot_" + String(repeating: "0", count: 64)

            await expectRPCError(.invalidArgument, "No rotation is pending") {
                try await harness.handler.confirmTenantApiKeyRotation(request: confirm, context: context)
            }
            var start = Metachat_V1_StartTenantApiKeyRotationRequest()
            start.tenantID = tenantID
            start.keyID = created.id
            let started = try await harness.handler.startTenantApiKeyRotation(request: start, context: context)
            await expectRPCError(.invalidArgument, "does not match") {
                try await harness.handler.confirmTenantApiKeyRotation(request: confirm, context: context)
            }
            confirm.token = started.rotationToken
            let confirmed = try await harness.handler.confirmTenantApiKeyRotation(request: confirm, context: context)

            let stored = try await harness.storedKey(created.id)
            let newKey = try #require(ApiKeyMaterial(presented: confirmed.apiKey))
            #expect(newKey.kind == .tenant)
            #expect(newKey.matches(stored.keyHash, pepper: harness.pepper))
            let oldKey = try #require(ApiKeyMaterial(presented: created.apiKey))
            #expect(!oldKey.matches(stored.keyHash, pepper: harness.pepper))
            let audit = try await harness.audit(target: created.id)
            #expect(
                audit.last
                    == .init(
                        actor: "bootstrap", action: "api_key.rotation.confirmed", requestID: "r-2",
                        tenantID: UUID(uuidString: tenantID)))
            await expectRPCError(.invalidArgument, "already used") {
                try await harness.handler.confirmTenantApiKeyRotation(request: confirm, context: context)
            }
        }
    }

    @Test("An expired rotation token is refused with INVALID_ARGUMENT saying it expired")
    func expiredTokenIsRefused() async throws {
        try await Harness.with(rotationTokenLifetime: .milliseconds(1)) { harness in
            let tenantID = try await harness.makeTenant()
            let created = try await harness.makeTenantKey(tenantID: tenantID)
            var start = Metachat_V1_StartTenantApiKeyRotationRequest()
            start.tenantID = tenantID
            start.keyID = created.id
            let started = try await harness.handler.startTenantApiKeyRotation(
                request: start, context: Harness.context(.bootstrap))
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(5)
            while started.expiresAt.date > Date(), clock.now < deadline {
                await Task.yield()
            }
            var confirm = Metachat_V1_ConfirmTenantApiKeyRotationRequest()
            confirm.tenantID = tenantID
            confirm.keyID = created.id
            confirm.token = started.rotationToken

            await expectRPCError(.invalidArgument, "expired") {
                try await harness.handler.confirmTenantApiKeyRotation(
                    request: confirm, context: Harness.context(.bootstrap))
            }
            #expect(try await harness.storedKey(created.id).rotatedAt == nil)
        }
    }

    @Test("Starting again replaces the pending token: the first one no longer matches, the second confirms")
    func newStartReplacesPendingToken() async throws {
        try await Harness.with { harness in
            let tenantID = try await harness.makeTenant()
            let created = try await harness.makeTenantKey(tenantID: tenantID)
            var start = Metachat_V1_StartTenantApiKeyRotationRequest()
            start.tenantID = tenantID
            start.keyID = created.id
            let first = try await harness.handler.startTenantApiKeyRotation(
                request: start, context: Harness.context(.bootstrap))
            let second = try await harness.handler.startTenantApiKeyRotation(
                request: start, context: Harness.context(.bootstrap))
            var confirm = Metachat_V1_ConfirmTenantApiKeyRotationRequest()
            confirm.tenantID = tenantID
            confirm.keyID = created.id
            confirm.token = first.rotationToken

            await expectRPCError(.invalidArgument, "does not match") {
                try await harness.handler.confirmTenantApiKeyRotation(
                    request: confirm, context: Harness.context(.bootstrap))
            }
            confirm.token = second.rotationToken
            let confirmed = try await harness.handler.confirmTenantApiKeyRotation(
                request: confirm, context: Harness.context(.bootstrap))
            #expect(confirmed.key.id == created.id)
        }
    }

    @Test("100 concurrent confirmations of one token: exactly one succeeds, the others get INVALID_ARGUMENT")
    func concurrentConfirmationsSucceedOnce() async throws {
        try await Harness.with(maximumConnections: 10) { harness in
            let tenantID = try await harness.makeTenant()
            let created = try await harness.makeTenantKey(tenantID: tenantID)
            var start = Metachat_V1_StartTenantApiKeyRotationRequest()
            start.tenantID = tenantID
            start.keyID = created.id
            let started = try await harness.handler.startTenantApiKeyRotation(
                request: start, context: Harness.context(.bootstrap))
            var confirm = Metachat_V1_ConfirmTenantApiKeyRotationRequest()
            confirm.tenantID = tenantID
            confirm.keyID = created.id
            confirm.token = started.rotationToken
            let request = confirm
            let handler = harness.handler

            let outcomes = await withTaskGroup(of: Outcome.self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        do {
                            let response = try await handler.confirmTenantApiKeyRotation(
                                request: request, context: Harness.context(.bootstrap))
                            return .succeeded(apiKey: response.apiKey)
                        } catch let error as RPCError {
                            return .failed(error.code)
                        } catch {
                            return .failed(nil)
                        }
                    }
                }
                var outcomes: [Outcome] = []
                for await outcome in group {
                    outcomes.append(outcome)
                }
                return outcomes
            }

            let winners = outcomes.compactMap { outcome -> String? in
                if case .succeeded(let apiKey) = outcome { return apiKey }
                return nil
            }
            let failureCodes = outcomes.compactMap { outcome -> RPCError.Code?? in
                if case .failed(let code) = outcome { return code }
                return nil
            }
            #expect(winners.count == 1)
            #expect(failureCodes.count == 99)
            #expect(failureCodes.allSatisfy { $0 == .invalidArgument })
            let stored = try await harness.storedKey(created.id)
            let winner = try #require(winners.first.flatMap(ApiKeyMaterial.init(presented:)))
            #expect(winner.matches(stored.keyHash, pepper: harness.pepper))
            let confirmations = try await harness.audit(target: created.id).filter {
                $0.action == "api_key.rotation.confirmed"
            }
            #expect(confirmations.count == 1)
        }
    }

    @Test("A revoked key cannot be rotated: start and a pending confirm get FAILED_PRECONDITION")
    func revokedKeyCannotBeRotated() async throws {
        try await Harness.with { harness in
            let tenantID = try await harness.makeTenant()
            let created = try await harness.makeTenantKey(tenantID: tenantID)
            var start = Metachat_V1_StartTenantApiKeyRotationRequest()
            start.tenantID = tenantID
            start.keyID = created.id
            let started = try await harness.handler.startTenantApiKeyRotation(
                request: start, context: Harness.context(.bootstrap))
            var revoke = Metachat_V1_RevokeTenantApiKeyRequest()
            revoke.tenantID = tenantID
            revoke.keyID = created.id
            let revoked = try await harness.handler.revokeTenantApiKey(
                request: revoke, context: Harness.context(.bootstrap))
            var confirm = Metachat_V1_ConfirmTenantApiKeyRotationRequest()
            confirm.tenantID = tenantID
            confirm.keyID = created.id
            confirm.token = started.rotationToken

            #expect(!revoked.active)
            await expectRPCError(.failedPrecondition, "revoked") {
                try await harness.handler.confirmTenantApiKeyRotation(
                    request: confirm, context: Harness.context(.bootstrap))
            }
            await expectRPCError(.failedPrecondition, "revoked") {
                try await harness.handler.startTenantApiKeyRotation(
                    request: start, context: Harness.context(.bootstrap))
            }
        }
    }

    @Test("With a grace period the replaced secret's hash is kept until the period ends")
    func gracePeriodKeepsPreviousHash() async throws {
        try await Harness.with(rotationGracePeriod: .seconds(600)) { harness in
            let tenantID = try await harness.makeTenant()
            let created = try await harness.makeTenantKey(tenantID: tenantID)
            let oldHash = try await harness.storedKey(created.id).keyHash
            var start = Metachat_V1_StartTenantApiKeyRotationRequest()
            start.tenantID = tenantID
            start.keyID = created.id
            let started = try await harness.handler.startTenantApiKeyRotation(
                request: start, context: Harness.context(.bootstrap))
            var confirm = Metachat_V1_ConfirmTenantApiKeyRotationRequest()
            confirm.tenantID = tenantID
            confirm.keyID = created.id
            confirm.token = started.rotationToken
            _ = try await harness.handler.confirmTenantApiKeyRotation(
                request: confirm, context: Harness.context(.bootstrap))

            let stored = try await harness.storedKey(created.id)
            #expect(stored.previousKeyHash == oldHash)
            let validFor = try #require(stored.previousKeyValidUntil).timeIntervalSinceNow
            #expect(validFor > 590 && validFor <= 600)
        }
    }
}
