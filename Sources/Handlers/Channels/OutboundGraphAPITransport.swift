internal import AsyncHTTPClient
internal import FoundationEssentials
internal import NIOCore
internal import NIOHTTP1

/// The ``GraphAPITransport`` `serve` uses: the ``OutboundHTTPClient`` to the operator-configured
/// `META_GRAPH_BASE_URL` (trusted: not egress-checked), each request under one deadline.
package struct OutboundGraphAPITransport: GraphAPITransport {
    let client: OutboundHTTPClient
    let baseURL: String
    let version: String
    let timeout: Duration

    /// Creates the transport.
    ///
    /// - Parameters:
    ///   - client: The server's outbound client.
    ///   - baseURL: `META_GRAPH_BASE_URL`, e.g. `https://graph.facebook.com`.
    ///   - version: `META_GRAPH_API_VERSION`, e.g. `v21.0`.
    ///   - timeout: The deadline of one request, body included.
    package init(client: OutboundHTTPClient, baseURL: String, version: String, timeout: Duration = .seconds(15)) {
        self.client = client
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.version = version
        self.timeout = timeout
    }

    package func send(method: String, path: String, accessToken: String, body: [UInt8]?) async throws
        -> GraphAPIResponse
    {
        var request = HTTPClientRequest(url: "\(self.baseURL)/\(self.version)/\(path)")
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "authorization", value: "Bearer \(accessToken)")
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await self.client.execute(
                request, destination: .operatorConfigured, timeout: self.timeout)
            var kept: [UInt8] = []
            for try await chunk in response.body {
                let room = GraphAPIResponse.maximumBodyBytes - kept.count
                if room > 0 { kept += chunk.readableBytesView.prefix(room) }
            }
            let waitHint = GraphRateLimitHint.delay(
                retryAfter: response.headers.first(name: "retry-after"),
                businessUseCaseUsage: response.headers.first(name: "x-business-use-case-usage"),
                nowSeconds: Int64(Date().timeIntervalSince1970))
            return GraphAPIResponse(statusCode: Int(response.status.code), body: kept, retryAfter: waitHint)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw GraphAPIFailure("timeout after \(self.timeout)")
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw GraphAPIFailure("connect timeout")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw GraphAPIFailure("request failed: \(String(String(describing: error).prefix(200)))")
        }
    }
}
