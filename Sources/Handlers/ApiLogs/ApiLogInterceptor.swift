internal import FoundationEssentials
package import RPCServer
internal import Storage

/// Records every authenticated call in the API log with its tenant, key, status and latency.
///
/// It runs after authentication (it needs the caller) and before rate limiting (refused calls are
/// logged too), so calls refused by authentication itself are not in the log: they act for no
/// tenant, and the metrics count them. Its cost on the request path is two clock reads and one
/// append under a lock (``ApiLogRecorder/record(_:)``).
package struct ApiLogInterceptor: ServerInterceptor {
    private let recorder: ApiLogRecorder

    /// An interceptor writing to `recorder`.
    ///
    /// - Parameter recorder: The API log.
    package init(recorder: ApiLogRecorder) {
        self.recorder = recorder
    }

    package func intercept(
        context: ServerContext,
        next: nonisolated(nonsending) (ServerContext) async throws -> Void
    ) async throws {
        let occurredAt = ApiLogRecorder.nowMicros()
        let started = ContinuousClock.now
        var code = RPCError.Code.ok
        defer {
            var tenantID: String?
            var keyID: String?
            switch context.principal {
            case .tenant(let tenant, let key):
                tenantID = tenant
                keyID = key
            case .admin(_, let key, _):
                keyID = key
                if let named = context.requestMetadata.firstString(forKey: TenantAccessResolver.tenantHeader),
                    let id = UUID(canonicalText: named)
                {
                    tenantID = id.lowercasedString
                }
            case .bootstrap, nil:
                break
            }
            self.recorder.record(
                ApiLogEntry(
                    occurredAtMicros: occurredAt, tenantID: tenantID, keyID: keyID.flatMap(Self.uuidText),
                    method: context.descriptor.path, transport: context.transport, code: code,
                    latency: ContinuousClock.now - started, requestID: context.requestID,
                    clientAddress: context.clientAddress))
        }
        do {
            try await next(context)
        } catch {
            code = RPCError.from(error).code
            throw error
        }
    }

    /// A key id as stored (a UUID's text), or `nil` for the bootstrap key's name.
    private static func uuidText(_ key: String) -> String? {
        guard let id = UUID(canonicalText: key) else { return nil }
        // Key ids come from the database in the lower-case form already: kept as they are.
        let lowerCase =
            key.utf8.withContiguousStorageIfAvailable { bytes in
                !bytes.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "F") }
            } ?? false
        return lowerCase ? key : id.lowercasedString
    }
}
