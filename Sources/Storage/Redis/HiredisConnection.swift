private import CHiredis
internal import Glibc

/// Owns one hiredis connection (`redisContext *`): the command pool's connections and the
/// subscriber's connection are both this type.
///
/// Every method blocks and runs on a thread the owner dedicates to libhiredis calls.
///
/// `@unchecked Sendable`: a connection is used by one leaseholder (or the subscriber's one
/// thread) at a time, and each blocking call is awaited before the next starts, so the context is
/// never touched concurrently.
final class HiredisConnection: @unchecked Sendable {
    private var context: UnsafeMutablePointer<redisContext>?
    private let url: RedisURL
    private let connectTimeout: Duration
    private let commandTimeout: Duration?
    private var isVerifiedForLease = true

    private init(url: RedisURL, connectTimeout: Duration, commandTimeout: Duration?) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
    }

    /// Connects, enables TCP keepalive, applies the command timeout, authenticates with the URL's
    /// credentials (`AUTH`) and selects the database.
    ///
    /// - Parameters:
    ///   - url: Where Redis listens.
    ///   - connectTimeout: How long connecting may take.
    ///   - commandTimeout: How long one reply may take; `nil` waits forever (the subscriber).
    /// - Throws: ``RedisError`` with code ``RedisError/Code/connectionFailed``, or
    ///   ``RedisError/Code/authenticationFailed`` when Redis refuses the credentials.
    static func connect(url: RedisURL, connectTimeout: Duration, commandTimeout: Duration?) throws(RedisError)
        -> HiredisConnection
    {
        let connection = HiredisConnection(url: url, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
        try connection.open()
        return connection
    }

    /// Whether the pool may hand the connection out again.
    var isReusable: Bool {
        guard let context = self.context else { return false }
        return context.pointee.err == 0
    }

    /// The socket, for `poll`.
    var fileDescriptor: Int32 { self.context?.pointee.fd ?? -1 }

    /// Marks the start of a lease: the first command of the lease checks the connection first.
    func beginLease() {
        self.isVerifiedForLease = false
    }

    /// Sends one command and waits for its reply.
    func command(_ arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        let context = try self.usableContext()
        let reply = Self.withArgv(arguments) { count, argv, lengths in
            redisCommandArgv(context, count, argv, lengths)
        }
        guard let reply else {
            throw self.connectionError()
        }
        defer { freeReplyObject(reply) }
        return Self.convert(reply.assumingMemoryBound(to: redisReply.self))
    }

    /// Queues a command in the output buffer without sending it.
    func append(_ arguments: [[UInt8]]) throws(RedisError) {
        guard let context = self.context else { throw self.connectionError() }
        let status = Self.withArgv(arguments) { count, argv, lengths in
            redisAppendCommandArgv(context, count, argv, lengths)
        }
        guard status == REDIS_OK else { throw self.connectionError() }
    }

    /// Writes the whole output buffer.
    func flush() throws(RedisError) {
        guard let context = self.context else { throw self.connectionError() }
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw self.connectionError() }
        }
    }

    /// Reads what the socket has (call when `poll` says it is readable) into the reply parser.
    func readAvailable() throws(RedisError) {
        guard let context = self.context, redisBufferRead(context) == REDIS_OK else {
            throw self.connectionError()
        }
    }

    /// The next complete reply already read, if any.
    func nextReply() throws(RedisError) -> RedisReply? {
        guard let context = self.context else { throw self.connectionError() }
        var reply: UnsafeMutableRawPointer?
        guard redisReaderGetReply(context.pointee.reader, &reply) == REDIS_OK else {
            throw RedisError(code: .connectionLost, message: "Redis sent a reply that does not parse")
        }
        guard let reply else { return nil }
        defer { freeReplyObject(reply) }
        return Self.convert(reply.assumingMemoryBound(to: redisReply.self))
    }

    /// Closes the connection.
    func close() {
        if let context = self.context {
            redisFree(context)
        }
        self.context = nil
    }

    deinit {
        self.close()
    }

    // MARK: Connecting

    private func open() throws(RedisError) {
        let (seconds, attoseconds) = self.connectTimeout.components
        let timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        guard let context = redisConnectWithTimeout(self.url.host, Int32(self.url.port), timeout) else {
            throw RedisError(code: .connectionFailed, message: "could not connect to Redis: out of memory")
        }
        guard context.pointee.err == 0 else {
            redisFree(context)
            throw RedisError(code: .connectionFailed, message: "could not connect to Redis")
        }
        // Programs the process starts must not inherit the connection (hiredis leaves the socket
        // inheritable); fcntl cannot fail on a descriptor just opened.
        _ = fcntl(context.pointee.fd, F_SETFD, FD_CLOEXEC)
        // Both return REDIS_ERR only when setsockopt fails on a valid socket, which does not happen.
        _ = redisEnableKeepAlive(context)
        if let commandTimeout = self.commandTimeout {
            let (seconds, attoseconds) = commandTimeout.components
            _ = redisSetTimeout(context, timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000)))
        }
        self.context = context
        if let auth = self.url.authCommand {
            let reply: RedisReply
            do {
                reply = try self.command(auth)
            } catch {
                self.close()
                throw error
            }
            guard case .status = reply else {
                self.close()
                // Redis' error text (`WRONGPASS invalid username-password pair …`) never repeats
                // the credentials; only its first word is kept all the same.
                var reason = ""
                if case .error(let text) = reply, let word = text.split(separator: " ").first {
                    reason = " (\(word))"
                }
                throw RedisError(
                    code: .authenticationFailed,
                    message: "Redis refused the credentials of the Redis URL\(reason)")
            }
        }
        if self.url.database != 0 {
            let reply: RedisReply
            do {
                reply = try self.command([Array("SELECT".utf8), Array(String(self.url.database).utf8)])
            } catch {
                self.close()
                throw error
            }
            guard case .status = reply else {
                self.close()
                throw RedisError(code: .connectionFailed, message: "Redis refused SELECT \(self.url.database)")
            }
        }
    }

    /// The context, checked once per lease: an idle connection whose server went away is replaced.
    private func usableContext() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        if !self.isVerifiedForLease {
            self.isVerifiedForLease = true
            if let context = self.context, context.pointee.err == 0, Self.isIdleSocketOpen(context.pointee.fd) {
                return context
            }
            self.close()
            try self.open()
        }
        guard let context = self.context else { throw self.connectionError() }
        return context
    }

    /// Whether an idle command connection's socket is still open: nothing may arrive on it
    /// unasked, so readable means closed by the server (or out of step) and either way unusable.
    private static func isIdleSocketOpen(_ socket: Int32) -> Bool {
        var byte: UInt8 = 0
        let peeked = recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return peeked < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    }

    private func connectionError() -> RedisError {
        guard let context = self.context else {
            return RedisError(code: .connectionLost, message: "connection to Redis lost")
        }
        let timedOut = context.pointee.err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)
        if timedOut {
            return RedisError(code: .timeout, message: "Redis did not answer within the command timeout")
        }
        return RedisError(code: .connectionLost, message: "connection to Redis lost")
    }

    // MARK: Replies and arguments

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STATUS:
            return .status(Self.string(value.str, length: value.len))
        case REDIS_REPLY_ERROR:
            return .error(Self.string(value.str, length: value.len))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(value.integer))
        case REDIS_REPLY_STRING:
            return .bulkString(Self.bytes(value.str, length: value.len))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(value.elements)
            for index in 0..<value.elements {
                if let element = value.element?[index] {
                    elements.append(Self.convert(element))
                }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, length: Int) -> [UInt8] {
        guard let pointer else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<CChar>?, length: Int) -> String {
        String(decoding: Self.bytes(pointer, length: length), as: UTF8.self)
    }

    /// Calls `body` with hiredis' `argc`, `argv` and `argvlen` for binary-safe arguments.
    private static func withArgv<R>(
        _ arguments: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int>?) -> R
    ) -> R {
        var buffer: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int] = []
        for argument in arguments {
            offsets.append(buffer.count)
            lengths.append(argument.count)
            buffer += argument
        }
        buffer.append(0)  // So that empty arguments still point into a real buffer.
        return buffer.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress)
            var pointers: [UnsafePointer<CChar>?] = offsets.map {
                base?.advanced(by: $0).assumingMemoryBound(to: CChar.self)
            }
            return pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    body(Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
                }
            }
        }
    }
}
