/// The status code of a WebSocket close frame (RFC 6455 §7.4).
///
/// Only codes that may appear on the wire can be made: 1000–1003, 1007–1014 and 3000–4999
/// (3000–3999 are registered with IANA, 4000–4999 are for applications).
///
/// ```swift
/// await session.close(code: .policyViolation, reason: "unknown tenant")
/// ```
package struct WebSocketCloseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The code as sent, e.g. 1000.
    package let rawValue: UInt16

    /// Wraps a code, or returns `nil` for a code that must not be sent in a close frame (below
    /// 1000, 1004–1006, 1015–2999, 5000 and above).
    ///
    /// - Parameter rawValue: The code.
    package init?(rawValue: UInt16) {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999:
            self.rawValue = rawValue
        default:
            return nil
        }
    }

    private init(known rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// 1000: the purpose of the connection has been fulfilled.
    package static let normalClosure = WebSocketCloseCode(known: 1000)
    /// 1001: the endpoint is going away (the server shuts down, or the connection idled out).
    package static let goingAway = WebSocketCloseCode(known: 1001)
    /// 1002: the peer broke the protocol.
    package static let protocolError = WebSocketCloseCode(known: 1002)
    /// 1003: the endpoint cannot accept this type of data.
    package static let unsupportedData = WebSocketCloseCode(known: 1003)
    /// 1007: a message's data is inconsistent with its type (text that is not UTF-8).
    package static let invalidPayloadData = WebSocketCloseCode(known: 1007)
    /// 1008: a message violates the endpoint's policy.
    package static let policyViolation = WebSocketCloseCode(known: 1008)
    /// 1009: a frame or message is larger than the endpoint accepts.
    package static let messageTooBig = WebSocketCloseCode(known: 1009)
    /// 1011: the server met a condition that prevented it from going on (a handler threw, or
    /// the peer stopped answering pings).
    package static let internalError = WebSocketCloseCode(known: 1011)

    package var description: String {
        String(self.rawValue)
    }
}
