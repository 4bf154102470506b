internal import CPostgres
internal import Synchronization

#if canImport(Glibc)
    internal import Glibc
#endif

/// Waits for PostgreSQL notifications (`LISTEN`/`NOTIFY`) on one channel, over a connection of
/// its own (a pooled connection cannot wait: it is lent to one statement at a time).
///
/// ``wait(timeout:)`` returns when a notification arrived or the timeout passed, so a worker
/// that also has timed work (retries with backoff) needs no second timer. A lost connection is
/// reopened on the next wait (notifications sent meanwhile are lost: waiters must treat a wake-up
/// as "look again", never as a message).
///
/// ```swift
/// let listener = PostgresNotificationListener(configuration: pool.configuration, channel: "document_ingest")
/// while !Task.isCancelled {
///     _ = try await listener.wait(timeout: .seconds(5))
///     // claim work…
/// }
/// listener.close()
/// ```
package final class PostgresNotificationListener: Sendable {
    private let settings: LibpqSettings
    private let channel: String
    /// The `PGconn *` as its address (0: none), so the lock holds a `Sendable` value; only this
    /// class creates, uses and frees it.
    private let state = Mutex<UInt>(0)

    /// Creates a listener; it connects on the first wait.
    ///
    /// - Parameters:
    ///   - configuration: Where PostgreSQL is (a pool's configuration).
    ///   - channel: The channel name: lowercase letters, digits and `_` only.
    package init(configuration: PostgresPool.Configuration, channel: String) {
        precondition(
            !channel.isEmpty
                && channel.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 },
            "channel names are lowercase identifiers")
        self.settings = LibpqSettings(configuration: configuration)
        self.channel = channel
    }

    /// Waits up to `timeout` for a notification on the channel; `true` when one (or more) came.
    ///
    /// Runs the blocking `poll(2)` on a thread of its own in slices of at most 250 ms, so
    /// cancelling the calling task ends the wait within that time.
    ///
    /// - Throws: ``PostgresError`` when PostgreSQL cannot be reached (callers retry later).
    package func wait(timeout: Duration) async throws -> Bool {
        let connection = try self.connection()
        let deadline = ContinuousClock.now + timeout
        while !Task.isCancelled {
            if Self.drain(connection) { return true }
            guard PQstatus(connection) == CONNECTION_OK else {
                self.reset()
                throw PostgresError(code: .connectionFailed, message: "the LISTEN connection was lost")
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return false }
            let slice = min(remaining, .milliseconds(250))
            let milliseconds = Int32(
                max(1, slice.components.seconds * 1000 + slice.components.attoseconds / 1_000_000_000_000_000))
            let socket = PQsocket(connection)
            let ready = await Self.poll(socket: socket, milliseconds: milliseconds)
            if ready, PQconsumeInput(connection) == 0 {
                self.reset()
                throw PostgresError(code: .connectionFailed, message: "the LISTEN connection was lost")
            }
        }
        return false
    }

    /// Closes the connection.
    package func close() {
        self.reset()
    }

    deinit {
        self.reset()
    }

    private func reset() {
        let address = self.state.withLock { state -> UInt in
            let old = state
            state = 0
            return old
        }
        if let connection = OpaquePointer(bitPattern: address) { PQfinish(connection) }
    }

    private func connection() throws -> OpaquePointer {
        if let connection = OpaquePointer(bitPattern: self.state.withLock { $0 }) { return connection }
        let connection = CStringArray(self.settings.keywords).withPointers { keywords in
            CStringArray(self.settings.values).withPointers { values in
                PQconnectdbParams(keywords, values, 1)
            }
        }
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            if let connection { PQfinish(connection) }
            throw PostgresError(code: .connectionFailed, message: "could not connect to PostgreSQL to LISTEN")
        }
        // The channel is a checked identifier (see init).
        let result = PQexec(connection, "LISTEN \(self.channel)")
        defer { PQclear(result) }
        guard let result, PQresultStatus(result) == PGRES_COMMAND_OK else {
            PQfinish(connection)
            throw PostgresError(code: .connectionFailed, message: "LISTEN failed")
        }
        let address = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(connection)))
        self.state.withLock { $0 = address }
        return connection
    }

    /// Takes every queued notification; `true` when there was one.
    private static func drain(_ connection: OpaquePointer) -> Bool {
        var found = false
        while let notification = PQnotifies(connection) {
            found = true
            PQfreemem(notification)
        }
        return found
    }

    /// Whether `socket` became readable within `milliseconds`, polled off the cooperative pool.
    private static func poll(socket: Int32, milliseconds: Int32) async -> Bool {
        await withCheckedContinuation { continuation in
            let thread = PollThread(socket: socket, milliseconds: milliseconds, continuation: continuation)
            thread.start()
        }
    }
}

/// One `poll(2)` on a detached POSIX thread, resuming a continuation with its result.
private final class PollThread: Sendable {
    let socket: Int32
    let milliseconds: Int32
    let continuation: CheckedContinuation<Bool, Never>

    init(socket: Int32, milliseconds: Int32, continuation: CheckedContinuation<Bool, Never>) {
        self.socket = socket
        self.milliseconds = milliseconds
        self.continuation = continuation
    }

    func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(
            &thread, nil,
            { argument in
                guard let argument else { return nil }
                let this = Unmanaged<PollThread>.fromOpaque(argument).takeRetainedValue()
                var descriptor = pollfd(fd: this.socket, events: Int16(POLLIN), revents: 0)
                let result = Glibc.poll(&descriptor, 1, this.milliseconds)
                this.continuation.resume(returning: result > 0)
                return nil
            }, box)
        if created == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<PollThread>.fromOpaque(box).release()
            self.continuation.resume(returning: false)
        }
    }
}
