private import CNGHTTP2
internal import NIOCore

/// The only owner of an `nghttp2_session*`: a server- or client-side HTTP/2 session driven
/// with `mem_recv`/`mem_send`.
///
/// Callbacks reach the ``NGHTTP2SessionDelegate`` through `user_data` (an unretained pointer to
/// this object), never through globals. The session is deleted in ``close()`` or `deinit`.
final class NGHTTP2Session {
    /// What the response body provider produced for one read.
    enum BodyChunk {
        /// This many bytes were written into the buffer.
        case bytes(Int)
        /// Nothing is ready yet; call ``resumeBody(streamID:)`` when there is.
        case deferred
        /// The body is complete; `trailers` (if any) end the stream.
        case end(bytesWritten: Int, trailers: [(name: String, value: String)])
    }

    /// Why a session call failed.
    struct SessionError: Error, CustomStringConvertible {
        /// nghttp2's error code.
        var code: Int
        /// Which call failed.
        var operation: String

        var description: String {
            "\(self.operation) failed: \(String(cString: nghttp2_strerror(Int32(self.code))))"
        }
    }

    private var session: OpaquePointer?
    /// Strings of the header fields this connection repeats.
    fileprivate var headerFields = HeaderFieldCache()
    /// The delegate, unretained (it owns the session and outlives it), by its concrete type:
    /// the callbacks reach it without the reference counting an existential or `unowned`
    /// reference costs on every call (a dozen callbacks per gRPC call).
    private let delegate: DelegateReference

    /// The delegate of a server or of a client session, or another delegate (tests' raw
    /// clients), reached through an existential.
    private enum DelegateReference {
        case server(Unmanaged<HTTP2ConnectionHandler>)
        case client(Unmanaged<HTTP2ClientConnectionHandler>)
        case other(OtherDelegate)
    }

    /// A delegate of no type the session knows, unretained.
    private struct OtherDelegate {
        unowned(unsafe) let delegate: any NGHTTP2SessionDelegate
    }

    /// Creates a server session and queues the server's SETTINGS.
    ///
    /// - Parameters:
    ///   - limits: The HTTP/2 limits to enforce and announce.
    ///   - delegate: Receives parsed events; must outlive the session.
    init(limits: RPCServerConfiguration.HTTP2Limits, delegate: HTTP2ConnectionHandler) throws {
        self.delegate = .server(Unmanaged.passUnretained(delegate))
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else {
            throw SessionError(code: Int(NGHTTP2_ERR_NOMEM.rawValue), operation: "nghttp2_session_callbacks_new")
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        NGHTTP2Callbacks.install(into: callbacks)

        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else {
            throw SessionError(code: Int(NGHTTP2_ERR_NOMEM.rawValue), operation: "nghttp2_option_new")
        }
        defer { nghttp2_option_del(option) }
        // The application consumes flow-control window as handlers take messages, so a slow
        // handler cannot make the server buffer without bound.
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_max_settings(option, limits.maxSettingsEntries)
        nghttp2_option_set_stream_reset_rate_limit(option, limits.streamResetBurst, limits.streamResetRatePerSecond)
        nghttp2_option_set_max_continuations(option, limits.maxContinuations)
        nghttp2_option_set_max_outbound_ack(option, limits.maxOutboundAcks)
        // gRPC has no use for RFC 7540 stream priorities (RFC 9113 deprecates them): closed
        // streams are dropped at once instead of being kept for a priority tree.
        nghttp2_option_set_no_closed_streams(option, 1)

        let userData = Unmanaged.passUnretained(self).toOpaque()
        var session: OpaquePointer?
        let created = nghttp2_session_server_new2(&session, callbacks, userData, option)
        guard created == 0, let session else {
            throw SessionError(code: Int(created), operation: "nghttp2_session_server_new2")
        }
        self.session = session

        var settings = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: limits.maxConcurrentStreams
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: limits.initialStreamWindowBytes
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: limits.maxHeaderListBytes
            ),
            // RFC 9218: this server ignores RFC 7540 priority signals.
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES.rawValue),
                value: 1
            ),
        ]
        let submitted = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        guard submitted == 0 else {
            throw SessionError(code: Int(submitted), operation: "nghttp2_submit_settings")
        }
        let window = nghttp2_session_set_local_window_size(
            session,
            UInt8(NGHTTP2_FLAG_NONE.rawValue),
            0,
            Int32(clamping: limits.connectionWindowBytes)
        )
        guard window == 0 else {
            throw SessionError(code: Int(window), operation: "nghttp2_session_set_local_window_size")
        }
    }

    /// Creates a client session (its connection preface and SETTINGS go out with the first
    /// ``send(_:)``); flow-control window is returned automatically.
    ///
    /// - Parameters:
    ///   - windowBytes: The stream and connection receive windows to announce.
    ///   - delegate: Receives parsed events; must outlive the session.
    init(clientWithWindowBytes windowBytes: UInt32, delegate: any NGHTTP2SessionDelegate) throws {
        if let client = delegate as? HTTP2ClientConnectionHandler {
            self.delegate = .client(Unmanaged.passUnretained(client))
        } else {
            self.delegate = .other(OtherDelegate(delegate: delegate))
        }
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else {
            throw SessionError(code: Int(NGHTTP2_ERR_NOMEM.rawValue), operation: "nghttp2_session_callbacks_new")
        }
        defer { nghttp2_session_callbacks_del(callbacks) }
        NGHTTP2Callbacks.install(into: callbacks)
        let userData = Unmanaged.passUnretained(self).toOpaque()
        var session: OpaquePointer?
        let created = nghttp2_session_client_new(&session, callbacks, userData)
        guard created == 0, let session else {
            throw SessionError(code: Int(created), operation: "nghttp2_session_client_new")
        }
        self.session = session
        var settings = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: windowBytes
            )
        ]
        let submitted = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        guard submitted == 0 else {
            throw SessionError(code: Int(submitted), operation: "nghttp2_submit_settings")
        }
        _ = nghttp2_session_set_local_window_size(
            session,
            UInt8(NGHTTP2_FLAG_NONE.rawValue),
            0,
            Int32(clamping: Int(windowBytes) * 4)
        )
    }

    deinit {
        self.close()
    }

    /// Starts a request whose body comes from the delegate's
    /// ``NGHTTP2SessionDelegate/sessionReadOutgoingBody(streamID:into:)``; clients only.
    ///
    /// - Parameter headers: The pseudo-headers first, then the request headers.
    /// - Returns: The new stream's id.
    func submitRequest(headers: [(name: String, value: String)]) throws -> Int32 {
        guard let session = self.session else {
            throw SessionError(code: Int(NGHTTP2_ERR_INVALID_STATE.rawValue), operation: "nghttp2_submit_request")
        }
        let streamID = HeaderBlock.withNameValuePairs(headers) { pairs, count in
            var provider = nghttp2_data_provider(
                source: nghttp2_data_source(ptr: nil),
                read_callback: NGHTTP2Callbacks.readResponseBody
            )
            return nghttp2_submit_request(session, nil, pairs, count, &provider, nil)
        }
        guard streamID > 0 else {
            throw SessionError(code: Int(streamID), operation: "nghttp2_submit_request")
        }
        return streamID
    }

    /// Deletes the session; later calls do nothing.
    func close() {
        if let session = self.session {
            nghttp2_session_del(session)
            self.session = nil
        }
    }

    /// Whether the session still exists.
    var isOpen: Bool { self.session != nil }

    /// Whether the session wants to read or write more; when neither, the connection can close.
    var wantsIO: Bool {
        guard let session = self.session else { return false }
        return nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }

    /// Feeds received bytes to the parser, which calls the delegate.
    ///
    /// - Parameter bytes: Bytes read from the socket.
    /// - Throws: ``SessionError`` on a connection-level protocol error (the connection should
    ///   be flushed, to send GOAWAY, and closed).
    func receive(_ bytes: UnsafeRawBufferPointer) throws {
        guard let session = self.session, let base = bytes.baseAddress else { return }
        let consumed = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        if consumed < 0 {
            throw SessionError(code: consumed, operation: "nghttp2_session_mem_recv")
        }
    }

    /// Serialises every pending frame.
    ///
    /// - Parameter append: Called with each chunk; the pointer is valid only during the call.
    /// - Throws: ``SessionError`` when the session fails.
    func send(_ append: (UnsafeRawBufferPointer) -> Void) throws {
        guard let session = self.session else { return }
        while true {
            var pointer: UnsafePointer<UInt8>?
            let length = nghttp2_session_mem_send(session, &pointer)
            if length < 0 {
                throw SessionError(code: length, operation: "nghttp2_session_mem_send")
            }
            guard length > 0, let pointer else { return }
            append(UnsafeRawBufferPointer(start: pointer, count: length))
        }
    }

    /// Serialises every pending frame into one buffer, for one write.
    ///
    /// - Parameter allocator: Allocates the buffer.
    /// - Returns: The frames, or `nil` when nothing is pending.
    /// - Throws: ``SessionError`` when the session fails.
    func pendingOutput(allocator: ByteBufferAllocator) throws -> ByteBuffer? {
        var output: ByteBuffer?
        try self.send { chunk in
            if output == nil {
                output = allocator.buffer(capacity: chunk.count)
            }
            output?.writeBytes(chunk)
        }
        return output
    }

    /// Moves up to `destination.count` queued body bytes into nghttp2's buffer.
    ///
    /// - Parameters:
    ///   - source: The stream's queued body bytes; what was copied is consumed.
    ///   - destination: nghttp2's frame buffer.
    /// - Returns: How many bytes were copied.
    static func copyBody(from source: inout ByteBuffer, into destination: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(destination.count, source.readableBytes)
        guard count > 0 else { return 0 }
        source.withUnsafeReadableBytes { bytes in
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes.prefix(count)))
        }
        source.moveReaderIndex(forwardBy: count)
        if source.readableBytes == 0 {
            source.clear()
        }
        return count
    }

    /// Starts a response whose body comes from the delegate's
    /// ``NGHTTP2SessionDelegate/sessionReadResponseBody(streamID:into:)``.
    ///
    /// - Parameters:
    ///   - streamID: The request's stream.
    ///   - headers: `:status` first, then the response headers.
    ///   - hasBody: `false` ends the stream with the headers (a trailers-only response).
    func submitResponse(streamID: Int32, headers: [(name: String, value: String)], hasBody: Bool) throws {
        guard let session = self.session else { return }
        let result = HeaderBlock.withNameValuePairs(headers) { pairs, count in
            if hasBody {
                var provider = nghttp2_data_provider(
                    source: nghttp2_data_source(ptr: nil),
                    read_callback: NGHTTP2Callbacks.readResponseBody
                )
                return nghttp2_submit_response(session, streamID, pairs, count, &provider)
            }
            return nghttp2_submit_response(session, streamID, pairs, count, nil)
        }
        guard result == 0 else {
            throw SessionError(code: Int(result), operation: "nghttp2_submit_response")
        }
    }

    /// Tells the session that a deferred body has bytes (or its end) ready.
    ///
    /// - Parameter streamID: The stream.
    func resumeBody(streamID: Int32) {
        guard let session = self.session else { return }
        // Fails only when the stream is gone or not deferred, both harmless here.
        _ = nghttp2_session_resume_data(session, streamID)
    }

    /// Resets a stream.
    ///
    /// - Parameters:
    ///   - streamID: The stream.
    ///   - errorCode: The HTTP/2 error code (e.g. 0x8 CANCEL).
    func resetStream(streamID: Int32, errorCode: UInt32) {
        guard let session = self.session else { return }
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode)
    }

    /// Returns flow-control window for bytes the application has taken.
    ///
    /// - Parameters:
    ///   - streamID: The stream the bytes arrived on.
    ///   - bytes: How many bytes of DATA payload were taken.
    func consume(streamID: Int32, bytes: Int) {
        guard let session = self.session, bytes > 0 else { return }
        if nghttp2_session_consume(session, streamID, bytes) != 0 {
            // The stream is gone: still return the connection-level window.
            _ = nghttp2_session_consume_connection(session, bytes)
        }
    }

    /// Queues GOAWAY with the last stream id seen, so in-flight streams may finish.
    ///
    /// - Parameter errorCode: The HTTP/2 error code (0 for a graceful shutdown).
    func goAway(errorCode: UInt32) {
        guard let session = self.session else { return }
        let lastStreamID = nghttp2_session_get_last_proc_stream_id(session)
        _ = nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID, errorCode, nil, 0)
    }

    /// Ends the session with GOAWAY and the given error; nothing more is read.
    ///
    /// - Parameter errorCode: The HTTP/2 error code.
    func terminate(errorCode: UInt32) {
        guard let session = self.session else { return }
        _ = nghttp2_session_terminate_session(session, errorCode)
    }

    // MARK: Callback entry points (called by NGHTTP2Callbacks)

    /// Calls `body` with the delegate, without retaining it.
    @inline(__always)
    fileprivate func withDelegate<Result>(_ body: (any NGHTTP2SessionDelegate) -> Result) -> Result {
        switch self.delegate {
        case .server(let handler): handler._withUnsafeGuaranteedRef { body($0) }
        case .client(let handler): handler._withUnsafeGuaranteedRef { body($0) }
        case .other(let other): body(other.delegate)
        }
    }

    /// Calls `body` with the session whose `user_data` this is, without retaining it (the
    /// session exists while nghttp2 calls back), or returns `failure` for a null pointer.
    @inline(__always)
    static func with<Result>(
        _ userData: UnsafeMutableRawPointer?,
        orElse failure: Result,
        _ body: (NGHTTP2Session) -> Result
    ) -> Result {
        guard let userData else { return failure }
        return Unmanaged<NGHTTP2Session>.fromOpaque(userData)._withUnsafeGuaranteedRef(body)
    }

    func submitTrailers(streamID: Int32, trailers: [(name: String, value: String)]) -> Int32 {
        guard let session = self.session else { return -1 }
        return HeaderBlock.withNameValuePairs(trailers) { pairs, count in
            nghttp2_submit_trailer(session, streamID, pairs, count)
        }
    }
}

/// The `@convention(c)` callbacks of every session; each finds its session through
/// `user_data`.
private enum NGHTTP2Callbacks {
    static func install(into callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            return NGHTTP2Session.with(userData, orElse: 0) { session in
                if frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
                    frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
                {
                    session.withDelegate { $0.sessionDidBeginRequest(streamID: frame.pointee.hd.stream_id) }
                }
                return 0
            }
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) {
            _,
            frame,
            name,
            nameLength,
            value,
            valueLength,
            _,
            userData in
            guard let frame, let name, let value, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) else {
                return 0
            }
            return NGHTTP2Session.with(userData, orElse: 0) { session in
                let field = session.headerFields.field(
                    name: UnsafeBufferPointer(start: name, count: nameLength),
                    value: UnsafeBufferPointer(start: value, count: valueLength)
                )
                session.withDelegate {
                    $0.sessionDidReceiveHeader(streamID: frame.pointee.hd.stream_id, field: field)
                }
                return 0
            }
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            guard let frame else { return 0 }
            return NGHTTP2Session.with(userData, orElse: 0) { session in
                session.withDelegate { NGHTTP2Callbacks.frameReceived(frame, delegate: $0) }
                return 0
            }
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            guard let data else { return 0 }
            return NGHTTP2Session.with(userData, orElse: 0) { session in
                session.withDelegate {
                    $0.sessionDidReceiveData(
                        streamID: streamID, bytes: UnsafeRawBufferPointer(start: data, count: length))
                }
                return 0
            }
        }
        nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks) { _, frame, _, userData in
            guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) else { return 0 }
            return NGHTTP2Session.with(userData, orElse: 0) { session in
                session.withDelegate { $0.sessionCouldNotSendHeaders(streamID: frame.pointee.hd.stream_id) }
                return 0
            }
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            NGHTTP2Session.with(userData, orElse: 0) { session in
                session.withDelegate { $0.sessionDidCloseStream(streamID: streamID, errorCode: errorCode) }
                return 0
            }
        }
    }

    /// A whole frame arrived: tells the delegate what it completes.
    @inline(__always)
    private static func frameReceived(_ frame: UnsafePointer<nghttp2_frame>, delegate: any NGHTTP2SessionDelegate) {
        let header = frame.pointee.hd
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(header.type) {
        case NGHTTP2_HEADERS.rawValue:
            if frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST {
                delegate.sessionDidFinishRequestHeaders(streamID: header.stream_id, endStream: endStream)
            } else {
                delegate.sessionDidFinishHeaders(streamID: header.stream_id, endStream: endStream)
            }
        case NGHTTP2_DATA.rawValue:
            if endStream {
                delegate.sessionDidReceiveEndStream(streamID: header.stream_id)
            }
        case NGHTTP2_PING.rawValue:
            if header.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0 {
                delegate.sessionDidReceivePing()
            }
        default:
            break
        }
    }

    /// The data provider's read callback: asks the delegate for body bytes; on the body's end,
    /// submits the trailers from inside the callback as nghttp2 requires.
    static let readResponseBody: nghttp2_data_source_read_callback = {
        _,
        streamID,
        buffer,
        length,
        flags,
        _,
        userData in
        let failure = Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue)
        guard let buffer, let flags else { return failure }
        return NGHTTP2Session.with(userData, orElse: failure) { session in
            let chunk = session.withDelegate {
                $0.sessionReadOutgoingBody(
                    streamID: streamID, into: UnsafeMutableRawBufferPointer(start: buffer, count: length))
            }
            switch chunk {
            case .bytes(let count):
                return count
            case .deferred:
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            case .end(let count, let trailers):
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                if !trailers.isEmpty {
                    flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                    if session.submitTrailers(streamID: streamID, trailers: trailers) != 0 {
                        return failure
                    }
                }
                return count
            }
        }
    }
}

/// Lays header names and values out for nghttp2, which copies them during the submit call.
///
/// Both the bytes and the `nghttp2_nv` array live in temporary (stack) storage for the call:
/// submitting headers allocates nothing on the heap.
private enum HeaderBlock {
    static func withNameValuePairs<Result>(
        _ headers: [(name: String, value: String)],
        _ body: (UnsafePointer<nghttp2_nv>, Int) -> Result
    ) -> Result {
        var byteCount = 1  // never empty, so the base address exists
        for (name, value) in headers {
            byteCount += name.utf8.count + value.utf8.count
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: byteCount) { bytes in
            withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(1, headers.count)) { pairs in
                guard let base = bytes.baseAddress, let pairBase = pairs.baseAddress else {
                    var empty = nghttp2_nv()
                    return body(&empty, 0)
                }
                var offset = 0
                for (index, (name, value)) in headers.enumerated() {
                    let nameStart = offset
                    offset = Self.copy(name, into: bytes, at: offset)
                    let valueStart = offset
                    offset = Self.copy(value, into: bytes, at: offset)
                    (pairBase + index).initialize(
                        to: nghttp2_nv(
                            name: base + nameStart,
                            value: base + valueStart,
                            namelen: valueStart - nameStart,
                            valuelen: offset - valueStart,
                            flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                        )
                    )
                }
                return body(pairBase, headers.count)
            }
        }
    }

    /// Copies a string's UTF-8 into `bytes` at `offset`; returns the offset after it.
    private static func copy(_ text: String, into bytes: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        let copied = text.utf8.withContiguousStorageIfAvailable { utf8 in
            UnsafeMutableBufferPointer(rebasing: bytes[offset..<(offset + utf8.count)]).update(fromContentsOf: utf8)
        }
        if let copied {
            return offset + copied
        }
        var end = offset
        for byte in text.utf8 {
            bytes[end] = byte
            end += 1
        }
        return end
    }
}
