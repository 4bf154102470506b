/// Receives what an ``NGHTTP2Session`` parses and supplies the bytes it sends.
///
/// All methods are called on the connection's event loop, from inside `receive(_:)` or
/// `send(into:)`; they must not call back into the session except where noted.
protocol NGHTTP2SessionDelegate: AnyObject {
    /// A new request stream opened (its HEADERS started).
    func sessionDidBeginRequest(streamID: Int32)

    /// One request header field arrived.
    func sessionDidReceiveHeader(streamID: Int32, name: String, value: String)

    /// The request's header block is complete.
    func sessionDidFinishRequestHeaders(streamID: Int32, endStream: Bool)

    /// Request body bytes arrived (one DATA frame's payload, padding excluded).
    func sessionDidReceiveData(streamID: Int32, bytes: UnsafeRawBufferPointer)

    /// The client finished sending on the stream.
    func sessionDidReceiveEndStream(streamID: Int32)

    /// The stream closed (normally or by RST_STREAM); no more callbacks for it follow.
    func sessionDidCloseStream(streamID: Int32, errorCode: UInt32)

    /// Fills `buffer` with response body bytes for the stream.
    func sessionReadResponseBody(streamID: Int32, into buffer: UnsafeMutableRawBufferPointer)
        -> NGHTTP2Session.BodyChunk
}
