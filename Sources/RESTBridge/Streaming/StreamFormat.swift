internal import RPCServer

/// How a server-streaming route writes its messages over HTTP: Server-Sent Events when the
/// client accepts `text/event-stream`, newline-delimited JSON otherwise.
enum StreamFormat: Sendable {
    /// `text/event-stream`.
    case serverSentEvents
    /// `application/x-ndjson`.
    case ndjson

    /// Picks the format from the `Accept` header.
    ///
    /// - Parameter accept: The header, if any.
    init(accept: String?) {
        self = accept?.lowercased().contains("text/event-stream") == true ? .serverSentEvents : .ndjson
    }

    var contentType: String {
        switch self {
        case .serverSentEvents: "text/event-stream; charset=utf-8"
        case .ndjson: "application/x-ndjson"
        }
    }

    /// One message.
    ///
    /// - Parameters:
    ///   - json: The message as one line of JSON.
    ///   - id: The SSE event id (the message's `eventId`), if any.
    ///   - name: The SSE event name.
    func message(_ json: [UInt8], id: String?, name: String) -> [UInt8] {
        switch self {
        case .serverSentEvents:
            var event = ""
            if let id, !id.isEmpty, !id.contains(where: \.isNewline) {
                event += "id: \(id)\n"
            }
            event += "event: \(name)\ndata: "
            return Array(event.utf8) + json + Array("\n\n".utf8)
        case .ndjson:
            return json + [UInt8(ascii: "\n")]
        }
    }

    /// The error that ended a stream after it started, in the one error shape.
    ///
    /// - Parameter error: The error.
    func error(_ error: RPCError) -> [UInt8] {
        let body = ErrorBody.response(for: error).body
        switch self {
        case .serverSentEvents: return Array("event: error\ndata: ".utf8) + body + Array("\n\n".utf8)
        case .ndjson: return body + [UInt8(ascii: "\n")]
        }
    }

    /// A keep-alive comment (SSE only).
    var heartbeat: [UInt8]? {
        switch self {
        case .serverSentEvents: Array(": heartbeat\n\n".utf8)
        case .ndjson: nil
        }
    }
}
