package import NIOPosix
internal import Synchronization

/// Publishes batches of persistent messages to the event bus with publisher confirms, connecting
/// on first use and again after any failure (the failed batch's messages were not all confirmed,
/// so the caller publishes them again: at-least-once, same message IDs).
///
/// librabbitmq blocks, so every call runs on the given thread pool. The connection is used by one
/// batch at a time: ``publish(_:)`` holds a lock for the whole batch.
package final class RabbitMQPublisher: Sendable {
    private let url: RabbitMQURL
    private let exchange: String
    private let threadPool: NIOThreadPool
    private let timeout: Duration
    /// The connection, when one is open; locked for a whole batch.
    private let connection: Mutex<ConnectionBox>

    /// Creates a publisher; it connects on the first batch.
    ///
    /// - Parameters:
    ///   - url: Where the broker is.
    ///   - exchange: The durable topic exchange (declared on connect).
    ///   - threadPool: Runs the blocking calls.
    ///   - timeout: Limit of connecting, and of waiting for a batch's confirms. Default 10 s.
    package init(url: RabbitMQURL, exchange: String, threadPool: NIOThreadPool, timeout: Duration = .seconds(10)) {
        self.url = url
        self.exchange = exchange
        self.threadPool = threadPool
        self.timeout = timeout
        self.connection = Mutex(ConnectionBox())
    }

    /// Publishes `messages` and returns once the broker confirmed every one.
    ///
    /// - Throws: ``RabbitMQError``; the connection is closed then and reopened by the next call.
    package func publish(_ messages: [RabbitMQMessage]) async throws {
        try await self.threadPool.runIfActive {
            try self.connection.withLock { box in
                do {
                    let connection: RabbitMQConnection
                    if let open = box.connection {
                        connection = open
                    } else {
                        connection = try RabbitMQConnection(
                            url: self.url, exchange: self.exchange, timeout: self.timeout)
                        box.connection = connection
                    }
                    try connection.publish(messages, timeout: self.timeout)
                } catch {
                    box.connection?.close()
                    box.connection = nil
                    throw error
                }
            }
        }
    }

    /// Closes the connection, if one is open.
    package func close() {
        self.connection.withLock { box in
            box.connection?.close()
            box.connection = nil
        }
    }
}

/// The publisher's connection slot. `@unchecked Sendable`: it is only reached inside the
/// publisher's `Mutex`, so one thread at a time uses the connection.
private struct ConnectionBox: @unchecked Sendable {
    var connection: RabbitMQConnection?
}
