/// Receives what an ``NGHTTP2Session`` parses and supplies the body bytes it sends.
///
/// All methods are called on the connection's event loop, from inside `receive(_:)` or
/// `send(into:)`; they must not call back into the session except where noted.
protocol NGHTTP2SessionDelegate: AnyObject {
    /// A new request stream opened (its HEADERS started); servers only.
    func sessionDidBeginRequest(streamID: Int32)

    /// One header field arrived.
    func sessionDidReceiveHeader(streamID: Int32, field: HTTP2HeaderField)

    /// A request's header block is complete; servers only.
    func sessionDidFinishRequestHeaders(streamID: Int32, endStream: Bool)

    /// Body bytes arrived (one DATA frame's payload, padding excluded).
    func sessionDidReceiveData(streamID: Int32, bytes: UnsafeRawBufferPointer)

    /// A header block other than a request's completed: a response's headers or trailers (on a
    /// client), or a request's trailers (on a server).
    func sessionDidFinishHeaders(streamID: Int32, endStream: Bool)

    /// A PING (not an ACK) arrived; nghttp2 answers it by itself.
    func sessionDidReceivePing()

    /// The peer finished sending on the stream.
    func sessionDidReceiveEndStream(streamID: Int32)

    /// nghttp2 could not send a HEADERS frame for the stream (e.g. the header block exceeds
    /// the peer's limit); the stream must be reset or its peer waits forever.
    func sessionCouldNotSendHeaders(streamID: Int32)

    /// The stream closed (normally or by RST_STREAM); no more callbacks for it follow.
    func sessionDidCloseStream(streamID: Int32, errorCode: UInt32)

    /// Fills `buffer` with outgoing body bytes for the stream (the response on a server, the
    /// request on a client).
    func sessionReadOutgoingBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer)
        -> NGHTTP2Session.BodyChunk
}
