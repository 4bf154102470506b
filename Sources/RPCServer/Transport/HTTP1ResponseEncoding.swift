internal import NIOCore
internal import NIOHTTP1

/// Writes HTTP/1.x responses as bytes: the status line, the header block and (for a whole
/// response) the body go into one buffer, so a response is one write through the pipeline and
/// one `writev`, instead of a head, a body and an end through NIO's encoder.
///
/// The connection handler decides framing and persistence; this type only lays the bytes out.
/// Header names and values are written as given except that CR, LF and NUL become spaces: a
/// value that reached a header from a client can never end the header block early.
enum HTTP1ResponseEncoding {
    /// How the body of a response is delimited.
    enum Framing {
        /// `content-length` with this many bytes (a whole body; 0 for none).
        case contentLength(Int)
        /// `transfer-encoding: chunked` (a streamed body to an HTTP/1.1 client).
        case chunked
        /// Neither: the body ends when the connection closes (a streamed body to HTTP/1.0).
        case closeDelimited
    }

    /// Hop-by-hop and framing headers the connection writes itself; a response's own values
    /// for them are dropped.
    private static let managedHeaders: Set<String> = [
        "connection", "keep-alive", "transfer-encoding", "content-length", "upgrade",
    ]

    /// Appends a response head: status line, the response's headers, framing and persistence.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - headers: The response's headers (names in any case).
    ///   - framing: How the body is delimited.
    ///   - keepAlive: Whether the connection stays open after the response.
    ///   - version: The request's HTTP version (the response answers in kind).
    ///   - extraHeaders: Headers written as they are, after the others (e.g. `upgrade` on a
    ///     `101`); not filtered.
    ///   - buffer: Receives the bytes.
    static func writeHead(
        status: Int,
        headers: [(name: String, value: String)],
        framing: Framing,
        keepAlive: Bool,
        version: HTTPVersion,
        extraHeaders: [(name: String, value: String)] = [],
        into buffer: inout ByteBuffer
    ) {
        Self.writeStatusLine(status, version: version, into: &buffer)
        for (name, value) in headers where !Self.isManaged(name) {
            Self.writeField(name, value, into: &buffer)
        }
        for (name, value) in extraHeaders {
            Self.writeField(name, value, into: &buffer)
        }
        switch framing {
        case .contentLength(let length):
            buffer.writeStaticString("content-length: ")
            buffer.writeString(String(length))
            buffer.writeStaticString("\r\n")
        case .chunked:
            buffer.writeStaticString("transfer-encoding: chunked\r\n")
        case .closeDelimited:
            break
        }
        if !keepAlive {
            buffer.writeStaticString("connection: close\r\n")
        } else if version.minor == 0 {
            buffer.writeStaticString("connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
    }

    /// Appends one chunk of a chunked body (nothing for an empty chunk, which would end it).
    static func writeChunk(_ bytes: [UInt8], into buffer: inout ByteBuffer) {
        guard !bytes.isEmpty else { return }
        buffer.writeString(String(bytes.count, radix: 16))
        buffer.writeStaticString("\r\n")
        buffer.writeBytes(bytes)
        buffer.writeStaticString("\r\n")
    }

    /// Appends the end of a chunked body.
    static func writeLastChunk(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("0\r\n\r\n")
    }

    private static func isManaged(_ name: String) -> Bool {
        // Most names are not: the length check skips the set lookup for them.
        switch name.utf8.count {
        case 7, 10, 17, 14: Self.managedHeaders.contains(name.lowercased())
        default: false
        }
    }

    private static func writeField(_ name: String, _ value: String, into buffer: inout ByteBuffer) {
        Self.writeSafely(name, into: &buffer)
        buffer.writeStaticString(": ")
        Self.writeSafely(value, into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    /// Writes text, with CR, LF and NUL turned into spaces.
    private static func writeSafely(_ text: String, into buffer: inout ByteBuffer) {
        let from = buffer.writerIndex - buffer.readerIndex
        let written = buffer.writeString(text)
        buffer.withUnsafeMutableReadableBytes { bytes in
            for index in from..<(from + written) where bytes[index] == 0x0D || bytes[index] == 0x0A || bytes[index] == 0
            {
                bytes[index] = 0x20
            }
        }
    }

    private static func writeStatusLine(_ status: Int, version: HTTPVersion, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        switch status {
        case 200: buffer.writeStaticString("200 OK\r\n")
        case 201: buffer.writeStaticString("201 Created\r\n")
        case 204: buffer.writeStaticString("204 No Content\r\n")
        case 400: buffer.writeStaticString("400 Bad Request\r\n")
        case 401: buffer.writeStaticString("401 Unauthorized\r\n")
        case 403: buffer.writeStaticString("403 Forbidden\r\n")
        case 404: buffer.writeStaticString("404 Not Found\r\n")
        case 429: buffer.writeStaticString("429 Too Many Requests\r\n")
        default:
            buffer.writeString(String(status))
            buffer.writeStaticString(" ")
            buffer.writeString(HTTPResponseStatus(statusCode: status).reasonPhrase)
            buffer.writeStaticString("\r\n")
        }
    }
}
