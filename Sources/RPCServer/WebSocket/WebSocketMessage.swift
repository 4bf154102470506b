/// One complete WebSocket data message, its fragments already joined.
///
/// RFC 6455 defines exactly these two data types; control frames (ping, pong, close) are
/// handled by the server and never surface as messages.
package enum WebSocketMessage: Sendable, Hashable {
    /// A text message, valid UTF-8 by the time it is delivered.
    case text(String)
    /// A binary message.
    case binary([UInt8])
}
