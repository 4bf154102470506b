internal import CRabbitMQ

#if canImport(Glibc)
    internal import Glibc
#endif

/// One blocking AMQP 0-9-1 connection (librabbitmq) with one channel in publisher-confirm mode,
/// publishing to one durable topic exchange. It owns the `amqp_connection_state_t`: it creates it,
/// frees it in ``close()`` (or `deinit`), and is used by one thread at a time (its owner, the
/// ``RabbitMQPublisher``, calls it from a thread-pool thread, never concurrently).
final class RabbitMQConnection {
    private var state: amqp_connection_state_t?
    /// The delivery tag the next publish gets (1 after `confirm.select`).
    private var nextDeliveryTag: UInt64 = 1
    private let exchange: [UInt8]
    private let channel: amqp_channel_t = 1

    /// Connects, logs in, opens the channel, declares the exchange (durable topic) and enables
    /// publisher confirms.
    ///
    /// - Throws: ``RabbitMQError`` naming the step that failed.
    init(url: RabbitMQURL, exchange: String, timeout: Duration) throws {
        self.exchange = Array(exchange.utf8)
        guard let state = amqp_new_connection() else { throw RabbitMQError("out of memory") }
        self.state = state
        guard let socket = amqp_tcp_socket_new(state) else {
            self.close()
            throw RabbitMQError("could not create a socket")
        }
        var limit = Self.timeval(timeout)
        // Possible return codes: AMQP_STATUS_OK, or a negative amqp_status_enum (socket,
        // resolve, timeout errors).
        let opened = amqp_socket_open_noblock(socket, url.host, Int32(url.port), &limit)
        guard opened == AMQP_STATUS_OK.rawValue else {
            self.close()
            throw RabbitMQError("could not connect to \(url): \(String(cString: amqp_error_string2(opened)))")
        }
        let login = CRabbitMQ_loginPlain(
            state, url.virtualHost, 1, Int32(AMQP_DEFAULT_FRAME_SIZE), 0, url.username, url.password)
        guard login.reply_type == AMQP_RESPONSE_NORMAL else {
            self.close()
            throw RabbitMQError("the broker at \(url) refused the login (user, password or virtual host)")
        }
        amqp_channel_open(state, self.channel)
        try self.check("opening a channel")
        let declared = self.withBytes(self.exchange) { exchange in
            self.withBytes(Array("topic".utf8)) { type in
                amqp_exchange_declare(state, self.channel, exchange, type, 0, 1, 0, 0, amqp_empty_table)
            }
        }
        guard declared != nil else {
            try self.check("declaring the exchange")
            throw RabbitMQError("declaring the exchange failed")
        }
        amqp_confirm_select(state, self.channel)
        try self.check("enabling publisher confirms")
    }

    deinit {
        self.close()
    }

    /// Publishes `messages` (persistent) and waits until the broker confirmed every one.
    ///
    /// - Throws: ``RabbitMQError`` when a publish fails, the broker nacks one, or the confirms do
    ///   not all arrive within `timeout`; the connection is then unusable.
    func publish(_ messages: [RabbitMQMessage], timeout: Duration) throws {
        guard let state = self.state else { throw RabbitMQError("the connection is closed") }
        let first = self.nextDeliveryTag
        for message in messages {
            let status = self.withBytes(Array(message.routingKey.utf8)) { routingKey in
                self.withBytes(Array(message.messageID.utf8)) { messageID in
                    self.withBytes(Array(message.type.utf8)) { type in
                        self.withBytes(Array("application/json".utf8)) { contentType in
                            self.withBytes(self.exchange) { exchange in
                                self.withBytes(message.body) { body in
                                    var properties = amqp_basic_properties_t()
                                    properties._flags =
                                        amqp_flags_t(AMQP_BASIC_CONTENT_TYPE_FLAG)
                                        | amqp_flags_t(AMQP_BASIC_DELIVERY_MODE_FLAG)
                                        | amqp_flags_t(AMQP_BASIC_MESSAGE_ID_FLAG) | amqp_flags_t(AMQP_BASIC_TYPE_FLAG)
                                        | amqp_flags_t(AMQP_BASIC_TIMESTAMP_FLAG)
                                    properties.content_type = contentType
                                    properties.delivery_mode = 2  // persistent
                                    properties.message_id = messageID
                                    properties.type = type
                                    properties.timestamp = message.timestamp
                                    return amqp_basic_publish(
                                        state, self.channel, exchange, routingKey, 0, 0, &properties, body)
                                }
                            }
                        }
                    }
                }
            }
            // Possible return codes: AMQP_STATUS_OK, or a negative amqp_status_enum (socket
            // errors, a closed connection).
            guard status == AMQP_STATUS_OK.rawValue else {
                throw RabbitMQError("publishing failed: \(String(cString: amqp_error_string2(status)))")
            }
            self.nextDeliveryTag += 1
        }
        try self.awaitConfirms(from: first, through: self.nextDeliveryTag - 1, timeout: timeout)
    }

    /// Reads frames until `basic.ack` covered every tag in `first...last`.
    private func awaitConfirms(from first: UInt64, through last: UInt64, timeout: Duration) throws {
        guard let state = self.state, last >= first else { return }
        var confirmed = first - 1
        var pending = Set<UInt64>()
        let deadline = ContinuousClock.now + timeout
        while confirmed < last {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw RabbitMQError("the broker did not confirm in time") }
            var limit = Self.timeval(remaining)
            var frame = amqp_frame_t()
            // Possible return codes: AMQP_STATUS_OK, AMQP_STATUS_TIMEOUT, or another negative
            // amqp_status_enum (the connection failed).
            let status = amqp_simple_wait_frame_noblock(state, &frame, &limit)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw RabbitMQError(
                    status == AMQP_STATUS_TIMEOUT.rawValue
                        ? "the broker did not confirm in time"
                        : "the connection failed: \(String(cString: amqp_error_string2(status)))")
            }
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { continue }
            switch frame.payload.method.id {
            case amqp_method_number_t(AMQP_BASIC_ACK_METHOD):
                guard let decoded = frame.payload.method.decoded else { continue }
                let ack = decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                if ack.multiple != 0 {
                    confirmed = max(confirmed, ack.delivery_tag)
                } else {
                    pending.insert(ack.delivery_tag)
                }
                while pending.remove(confirmed + 1) != nil { confirmed += 1 }
            case amqp_method_number_t(AMQP_BASIC_NACK_METHOD):
                throw RabbitMQError("the broker refused a message (basic.nack)")
            case amqp_method_number_t(AMQP_CHANNEL_CLOSE_METHOD), amqp_method_number_t(AMQP_CONNECTION_CLOSE_METHOD):
                throw RabbitMQError("the broker closed the channel")
            default:
                continue
            }
            amqp_maybe_release_buffers(state)
        }
    }

    /// Closes the channel and the connection and frees the state.
    func close() {
        guard let state = self.state else { return }
        self.state = nil
        amqp_channel_close(state, self.channel, AMQP_REPLY_SUCCESS)
        amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        amqp_destroy_connection(state)
    }

    /// Throws unless the last RPC on the connection succeeded.
    private func check(_ step: String) throws {
        guard let state = self.state else { throw RabbitMQError("the connection is closed") }
        let reply = amqp_get_rpc_reply(state)
        guard reply.reply_type == AMQP_RESPONSE_NORMAL else {
            throw RabbitMQError("\(step) failed")
        }
    }

    /// Runs `body` with `bytes` as an `amqp_bytes_t` valid for its duration.
    private func withBytes<Result>(_ bytes: [UInt8], _ body: (amqp_bytes_t) -> Result) -> Result {
        var copy = bytes
        return copy.withUnsafeMutableBytes { buffer in
            body(amqp_bytes_t(len: buffer.count, bytes: buffer.baseAddress))
        }
    }

    private static func timeval(_ duration: Duration) -> Glibc.timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(max(0, seconds)), tv_usec: Int(max(0, attoseconds / 1_000_000_000_000)))
    }
}
