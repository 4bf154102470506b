package import Logging
package import RPCServer
package import Storage
internal import Synchronization

#if canImport(Glibc)
    internal import Glibc
#endif

/// Keeps the API log: calls are recorded in memory on the request path (an append under a lock)
/// and written to `api_logs` in batches with `COPY` by ``run()``, every second or as soon as a batch
/// is full.
///
/// Memory is bounded: beyond ``Configuration/capacity`` waiting entries (PostgreSQL away, say) new
/// ones are dropped and counted (``droppedCount``), so the log can never take the server's memory.
package final class ApiLogRecorder: Sendable {
    /// Batching and bounds.
    package struct Configuration: Sendable {
        /// Entries written per `COPY`; reaching it wakes the writer.
        package var batchSize = 2000
        /// Entries kept waiting at most.
        package var capacity = 100_000
        /// How often the writer writes what is waiting.
        package var flushInterval: Duration = .seconds(1)

        /// The defaults.
        package init() {}
    }

    private struct State {
        var waiting: [ApiLogEntry] = []
        var dropped = 0
        var wakeRequested = false
        var wake: AsyncStream<Void>.Continuation?
    }

    private let pool: PostgresPool
    private let configuration: Configuration
    /// REST route templates by method path, e.g. `GET /api/tenants/{tenant_id}`.
    private let routes: [String: String]
    /// The HTTP status the REST face answers with for a code.
    private let httpStatus: @Sendable (RPCError.Code) -> Int
    private let logger: Logger
    private let state = Mutex(State())

    /// A recorder; nothing is written until ``run()`` runs.
    ///
    /// - Parameters:
    ///   - pool: Where `api_logs` lives.
    ///   - routes: The REST route template of each method path.
    ///   - httpStatus: The REST face's status for each code.
    ///   - configuration: Batching and bounds.
    ///   - logger: For write failures.
    package init(
        pool: PostgresPool, routes: [String: String], httpStatus: @escaping @Sendable (RPCError.Code) -> Int,
        configuration: Configuration = .init(), logger: Logger
    ) {
        self.pool = pool
        self.routes = routes
        self.httpStatus = httpStatus
        self.configuration = configuration
        self.logger = logger
    }

    /// Records a call; never blocks on I/O.
    ///
    /// - Parameter entry: The call.
    package func record(_ entry: consuming ApiLogEntry) {
        // Moved into the buffer, not copied: a copy retains each of the entry's strings.
        var pending = Optional(entry)
        let wake = self.state.withLock { state -> AsyncStream<Void>.Continuation? in
            guard state.waiting.count < self.configuration.capacity, let entry = pending.take() else {
                state.dropped += 1
                return nil
            }
            state.waiting.append(entry)
            guard state.waiting.count >= self.configuration.batchSize, !state.wakeRequested else { return nil }
            state.wakeRequested = true
            return state.wake
        }
        wake?.yield()
    }

    /// Takes the oldest waiting entries, at most a batch: the writer's step before its `COPY`.
    ///
    /// - Returns: The entries, oldest first; empty when none wait.
    package func takeWaitingBatch() -> [ApiLogEntry] {
        self.state.withLock { state -> [ApiLogEntry] in
            state.wakeRequested = false
            guard state.waiting.count > self.configuration.batchSize else {
                // The usual case: everything waiting is one batch, handed over without a copy.
                var batch: [ApiLogEntry] = []
                swap(&batch, &state.waiting)
                return batch
            }
            defer { state.waiting.removeFirst(self.configuration.batchSize) }
            return Array(state.waiting.prefix(self.configuration.batchSize))
        }
    }

    /// Entries dropped because too many were waiting.
    package var droppedCount: Int { self.state.withLock { $0.dropped } }

    /// Entries waiting to be written.
    package var waitingCount: Int { self.state.withLock { $0.waiting.count } }

    /// Writes every waiting entry now.
    ///
    /// - Returns: How many rows were written.
    /// - Throws: The database's error; the entries are kept for the next attempt (within capacity).
    @discardableResult
    package func flush() async throws -> Int {
        var written = 0
        while true {
            let batch = self.takeWaitingBatch()
            guard !batch.isEmpty else { return written }
            var rows = PostgresCopyText()
            for entry in batch { rows.appendRow(self.columns(of: entry)) }
            do {
                written += try await self.pool.withAdminTransaction { connection in
                    // COPY cannot write into a table under row-level security: the rows land in a
                    // session-local table first (kept per connection, emptied at commit) and move
                    // over in one INSERT, where the policies apply as for any insert.
                    try await connection.execute(
                        """
                        CREATE TEMP TABLE IF NOT EXISTS api_logs_incoming (
                            occurred_at timestamptz, tenant_id uuid, key_id uuid, method text, route text,
                            protocol text, grpc_code smallint, http_status smallint, latency_us bigint,
                            request_id text, client_address text) ON COMMIT DELETE ROWS
                        """, [])
                    try await connection.copy(
                        """
                        COPY api_logs_incoming (occurred_at, tenant_id, key_id, method, route, protocol, grpc_code,
                            http_status, latency_us, request_id, client_address) FROM STDIN
                        """, rows)
                    return try await connection.execute(
                        """
                        INSERT INTO api_logs (occurred_at, tenant_id, key_id, method, route, protocol, grpc_code,
                            http_status, latency_us, request_id, client_address)
                        SELECT occurred_at, tenant_id, key_id, method, route, protocol, grpc_code, http_status,
                            latency_us, request_id, client_address
                        FROM api_logs_incoming
                        """, [])
                }
            } catch {
                self.state.withLock { state in
                    let room = max(0, self.configuration.capacity - state.waiting.count)
                    state.dropped += max(0, batch.count - room)
                    state.waiting.insert(contentsOf: batch.prefix(room), at: 0)
                }
                throw error
            }
        }
    }

    private func columns(of entry: ApiLogEntry) -> [String?] {
        let (latencySeconds, latencyAttoseconds) = entry.latency.components
        let latencyMicros = max(0, latencySeconds * 1_000_000 + latencyAttoseconds / 1_000_000_000_000)
        let route: String
        let protocolName: String
        switch entry.transport {
        case .http:
            route = self.routes[entry.method] ?? entry.method
            protocolName = "rest"
        case .grpcWeb:
            route = entry.method
            protocolName = "grpc-web"
        case .grpc, .inProcess:
            route = entry.method
            protocolName = "grpc"
        }
        return [
            PostgresTimestampText.utc(microsSince1970: entry.occurredAtMicros), entry.tenantID, entry.keyID,
            String(entry.method.prefix(256)), String(route.prefix(256)), protocolName, String(entry.code.rawValue),
            String(self.httpStatus(entry.code)), String(latencyMicros), String(entry.requestID.prefix(128)),
            entry.clientAddress.isKnown ? String(entry.clientAddress.description.prefix(64)) : nil,
        ]
    }

    /// How often ``run()`` writes.
    var flushInterval: Duration { self.configuration.flushInterval }

    /// Wakes the writer.
    func wake() {
        let wake = self.state.withLock { $0.wake }
        wake?.yield()
    }

    /// Starts the writer's wake-ups; used by ``run()``.
    func wakeUps() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.state.withLock { $0.wake = continuation }
        return stream
    }

    /// Logs a failed write.
    func reportFailure(_ error: any Error) {
        self.logger.warning(
            "API log batch not written; kept for the next attempt",
            metadata: ["error": "\(String(reflecting: error))", "waiting": "\(self.waitingCount)"])
    }

    /// The current time in microseconds since 1970, for ``ApiLogEntry/occurredAtMicros``.
    package static func nowMicros() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}
