internal import Glibc
internal import Logging
internal import Synchronization

/// The subscriber's state and the loop that owns its connection, run on one dedicated thread.
///
/// The loop `poll`s the Redis socket and a wake-up pipe. Callers never touch the connection: they
/// change the state under its lock, queue `SUBSCRIBE` / `UNSUBSCRIBE` commands in the outbox and
/// write a byte to the pipe; the loop sends the outbox, reads replies and delivers messages. When
/// the connection breaks the loop reconnects with a doubling delay and subscribes again to every
/// channel that still has subscribers.
final class RedisSubscriberLoop: Sendable {
    typealias MessageContinuation = AsyncStream<RedisPubSubMessage>.Continuation
    typealias Confirmation = CheckedContinuation<Void, any Error>

    private struct State {
        /// Subscribers by channel; a channel is subscribed while it has any.
        var subscribers: [String: [UInt64: MessageContinuation]] = [:]
        /// Channels Redis confirmed on the current connection.
        var confirmed: Set<String> = []
        /// `subscribe` confirmations still to come per channel on the current connection.
        var expectedConfirmations: [String: Int] = [:]
        /// Callers of `subscribe(to:)` waiting for their channel's confirmation.
        var confirmationWaiters: [String: [UInt64: Confirmation]] = [:]
        /// Commands for the loop to send.
        var outbox: [[[UInt8]]] = []
        var isConnected = false
        var isStopping = false
        var nextID: UInt64 = 0
        /// Set when a connection with subscriptions broke: messages may have been lost until every
        /// channel is confirmed again on a new connection.
        var messagesMayBeLost = false
        /// Callers of `resubscriptions()`.
        var resubscriptionObservers: [UInt64: AsyncStream<Void>.Continuation] = [:]
    }

    private let state = Mutex(State())
    private let wakeReader: Int32
    private let wakeWriter: Int32
    private let configuration: RedisSubscriber.Configuration
    private let logger: Logger

    /// Creates the state and the wake-up pipe.
    ///
    /// - Throws: ``RedisError`` with code ``RedisError/Code/connectionFailed`` when the process is
    ///   out of file descriptors.
    init(configuration: RedisSubscriber.Configuration, logger: Logger) throws(RedisError) {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else {
            throw RedisError(code: .connectionFailed, message: "could not create the Redis subscriber's wake-up pipe")
        }
        for descriptor in descriptors {
            // Cannot fail on a descriptor just created.
            _ = fcntl(descriptor, F_SETFL, O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        self.wakeReader = descriptors[0]
        self.wakeWriter = descriptors[1]
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        close(self.wakeReader)
        close(self.wakeWriter)
    }

    // MARK: Called by RedisSubscriber

    func subscribe(to channel: String) async throws -> RedisSubscription {
        let (stream, continuation) = AsyncStream.makeStream(
            of: RedisPubSubMessage.self,
            bufferingPolicy: .bufferingNewest(max(1, self.configuration.bufferedMessagesPerSubscription))
        )
        let id = self.state.withLock { state in
            state.nextID &+= 1
            return state.nextID
        }
        continuation.onTermination = { _ in
            self.removeSubscriber(id, from: channel)
        }
        let timeout = self.configuration.subscribeTimeout
        let timer = Task {
            do {
                try await Task.sleep(for: timeout)
            } catch {
                return
            }
            self.failConfirmation(
                id,
                channel: channel,
                with: RedisError(code: .timeout, message: "Redis did not confirm a subscription within the timeout")
            )
        }
        defer { timer.cancel() }
        do {
            try await withTaskCancellationHandler {
                try await self.register(id, channel: channel, continuation: continuation)
            } onCancel: {
                self.failConfirmation(id, channel: channel, with: CancellationError())
            }
        } catch {
            continuation.finish()
            throw error
        }
        return RedisSubscription(channel: channel, stream: stream, continuation: continuation)
    }

    /// Whether the loop has a connection to Redis now.
    var isConnected: Bool { self.state.withLock { $0.isConnected } }

    /// A stream that yields each time every channel is subscribed again after the connection
    /// broke; messages published meanwhile were lost.
    func resubscriptions() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let registered = self.state.withLock { state -> UInt64? in
            guard !state.isStopping else { return nil }
            state.nextID &+= 1
            state.resubscriptionObservers[state.nextID] = continuation
            return state.nextID
        }
        guard let id = registered else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { _ in
            _ = self.state.withLock { $0.resubscriptionObservers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Asks the loop to stop and ends every subscription.
    func stop() {
        let (subscribers, waiters, observers) = self.state.withLock { state in
            state.isStopping = true
            let subscribers = state.subscribers.values.flatMap(\.values)
            let waiters = state.confirmationWaiters.values.flatMap(\.values)
            let observers = Array(state.resubscriptionObservers.values)
            state.subscribers = [:]
            state.confirmationWaiters = [:]
            state.resubscriptionObservers = [:]
            return (subscribers, waiters, observers)
        }
        for observer in observers {
            observer.finish()
        }
        self.wake()
        for waiter in waiters {
            waiter.resume(throwing: RedisError(code: .shutDown, message: "the Redis subscriber is shut down"))
        }
        for subscriber in subscribers {
            subscriber.finish()
        }
    }

    private func register(_ id: UInt64, channel: String, continuation: MessageContinuation) async throws {
        enum Outcome {
            case confirmed
            case stopping
            case waiting
        }
        try await withCheckedThrowingContinuation { (confirmation: Confirmation) in
            let outcome = self.state.withLock { state -> Outcome in
                if state.isStopping {
                    return .stopping
                }
                let isNewChannel = state.subscribers[channel] == nil
                state.subscribers[channel, default: [:]][id] = continuation
                if state.confirmed.contains(channel) {
                    return .confirmed
                }
                state.confirmationWaiters[channel, default: [:]][id] = confirmation
                if isNewChannel, state.isConnected {
                    state.outbox.append([Array("SUBSCRIBE".utf8), Array(channel.utf8)])
                    state.expectedConfirmations[channel, default: 0] += 1
                }
                return .waiting
            }
            switch outcome {
            case .confirmed:
                confirmation.resume()
            case .stopping:
                confirmation.resume(throwing: RedisError(code: .shutDown, message: "the Redis subscriber is shut down"))
            case .waiting:
                // Also ends a reconnect delay, so a subscription made while Redis is down is tried at once.
                self.wake()
            }
        }
    }

    private func failConfirmation(_ id: UInt64, channel: String, with error: any Error) {
        let waiter = self.state.withLock { state in
            state.confirmationWaiters[channel]?.removeValue(forKey: id)
        }
        waiter?.resume(throwing: error)
    }

    private func removeSubscriber(_ id: UInt64, from channel: String) {
        let shouldWake = self.state.withLock { state -> Bool in
            state.subscribers[channel]?.removeValue(forKey: id)
            guard state.subscribers[channel]?.isEmpty == true else { return false }
            state.subscribers[channel] = nil
            state.confirmed.remove(channel)
            guard state.isConnected, !state.isStopping else { return false }
            state.outbox.append([Array("UNSUBSCRIBE".utf8), Array(channel.utf8)])
            return true
        }
        if shouldWake {
            self.wake()
        }
    }

    // MARK: The loop (blocking, on the subscriber's thread)

    /// Runs until ``stop()``.
    func run() {
        var connection: HiredisConnection?
        var delay = self.configuration.initialReconnectDelay
        while !self.state.withLock({ $0.isStopping }) {
            guard let current = connection else {
                do {
                    connection = try self.connect()
                    delay = self.configuration.initialReconnectDelay
                } catch {
                    self.waitForWake(timeout: delay)
                    delay = min(delay * 2, self.configuration.maximumReconnectDelay)
                }
                continue
            }
            do {
                try self.serve(current)
            } catch {
                self.logger.warning("the Redis subscriber connection broke; reconnecting")
                self.markDisconnected()
                current.close()
                connection = nil
            }
        }
        connection?.close()
    }

    private func connect() throws(RedisError) -> HiredisConnection {
        let connection = try HiredisConnection.connect(
            url: self.configuration.url, connectTimeout: self.configuration.connectTimeout, commandTimeout: nil)
        let channels = self.state.withLock { state in
            state.isConnected = true
            state.outbox = []
            state.confirmed = []
            state.expectedConfirmations = [:]
            for channel in state.subscribers.keys {
                state.expectedConfirmations[channel] = 1
            }
            return Array(state.subscribers.keys)
        }
        if !channels.isEmpty {
            do {
                try connection.append([Array("SUBSCRIBE".utf8)] + channels.map { Array($0.utf8) })
                try connection.flush()
            } catch {
                self.markDisconnected()
                connection.close()
                throw error
            }
        }
        self.logger.debug("the Redis subscriber connected", metadata: ["channels": "\(channels.count)"])
        return connection
    }

    /// One round: wait until the socket or the pipe is readable, then send the outbox and handle
    /// the replies that arrived.
    private func serve(_ connection: HiredisConnection) throws(RedisError) {
        var descriptors = [
            pollfd(fd: connection.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: self.wakeReader, events: Int16(POLLIN), revents: 0),
        ]
        guard poll(&descriptors, 2, -1) >= 0 else {
            if errno == EINTR {
                return
            }
            throw RedisError(code: .connectionLost, message: "poll failed on the Redis subscriber connection")
        }
        if descriptors[1].revents != 0 {
            self.drainWake()
            let outbox = self.state.withLock { state in
                defer { state.outbox = [] }
                return state.outbox
            }
            for command in outbox {
                try connection.append(command)
            }
            if !outbox.isEmpty {
                try connection.flush()
            }
        }
        if descriptors[0].revents != 0 {
            try connection.readAvailable()
            while let reply = try connection.nextReply() {
                self.handle(reply)
            }
        }
    }

    private func handle(_ reply: RedisReply) {
        guard let parts = reply.arrayValue, parts.count >= 3, let kind = parts[0].stringValue,
            let channel = parts[1].stringValue
        else { return }
        switch kind {
        case "message":
            let message = RedisPubSubMessage(channel: channel, payload: parts[2].bytesValue ?? [])
            let subscribers = self.state.withLock { Array(($0.subscribers[channel] ?? [:]).values) }
            for subscriber in subscribers {
                subscriber.yield(message)
            }
        case "subscribe":
            let (waiters, observers) = self.state.withLock {
                state -> ([Confirmation], [AsyncStream<Void>.Continuation]) in
                let remaining = (state.expectedConfirmations[channel] ?? 1) - 1
                state.expectedConfirmations[channel] = remaining > 0 ? remaining : nil
                var observers: [AsyncStream<Void>.Continuation] = []
                if state.messagesMayBeLost, state.expectedConfirmations.isEmpty {
                    state.messagesMayBeLost = false
                    observers = Array(state.resubscriptionObservers.values)
                }
                guard remaining <= 0, state.subscribers[channel] != nil else { return ([], observers) }
                state.confirmed.insert(channel)
                return (Array((state.confirmationWaiters.removeValue(forKey: channel) ?? [:]).values), observers)
            }
            for waiter in waiters {
                waiter.resume()
            }
            for observer in observers {
                observer.yield()
            }
        default:
            break  // unsubscribe confirmations
        }
    }

    private func markDisconnected() {
        self.state.withLock { state in
            if !state.subscribers.isEmpty {
                state.messagesMayBeLost = true
            }
            state.isConnected = false
            state.confirmed = []
            state.expectedConfirmations = [:]
            state.outbox = []
        }
    }

    // MARK: Wake-up pipe

    private func wake() {
        var byte: UInt8 = 1
        // EAGAIN means the pipe is full, so the loop is woken already.
        _ = write(self.wakeWriter, &byte, 1)
    }

    private func drainWake() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(self.wakeReader, &buffer, buffer.count) > 0 {}
    }

    private func waitForWake(timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        var descriptor = pollfd(fd: self.wakeReader, events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, milliseconds) > 0 {
            self.drainWake()
        }
    }
}
