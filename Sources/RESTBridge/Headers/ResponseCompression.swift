internal import RPCServer

/// gzip for whole (not streamed) text responses when `Accept-Encoding` allows it.
enum ResponseCompression {
    /// Compresses the body in place and sets `content-encoding` and `vary`.
    ///
    /// - Parameters:
    ///   - response: The response.
    ///   - acceptEncoding: The request's `Accept-Encoding`.
    ///   - minimumBytes: Smaller bodies are left alone.
    static func apply(to response: inout HTTPResponse, acceptEncoding: String?, minimumBytes: Int) {
        guard response.bodyStream == nil, response.body.count >= minimumBytes, let acceptEncoding,
            Self.acceptsGzip(acceptEncoding),
            !response.headers.contains(where: { HeaderName.matches($0.name, "content-encoding") }),
            let contentType = response.headers.first(where: { HeaderName.matches($0.name, "content-type") })?.value,
            contentType.hasPrefix("application/json") || contentType.hasPrefix("text/")
                || contentType.hasPrefix("application/x-ndjson")
        else { return }
        guard let compressed = try? Gzip.compress(response.body) else { return }
        response.body = compressed
        response.headers.append(("content-encoding", "gzip"))
        response.headers.append(("vary", "accept-encoding"))
    }

    /// Whether the header lists `gzip` (or `*`) without `q=0`.
    static func acceptsGzip(_ header: String) -> Bool {
        for item in header.lowercased().split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.filter { !$0.isWhitespace } }
            guard let coding = parts.first, coding == "gzip" || coding == "*" else { continue }
            let zeroQuality = parts.dropFirst().contains {
                $0 == "q=0" || $0 == "q=0.0" || $0 == "q=0.00" || $0 == "q=0.000"
            }
            return !zeroQuality
        }
        return false
    }
}
