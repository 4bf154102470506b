package import AsyncHTTPClient
internal import NIOCore
internal import NIOHTTP1

/// The ``WebhookTransport`` `serve` uses: async-http-client with the attempt's deadline.
package struct HTTPWebhookTransport: WebhookTransport {
    let client: HTTPClient

    /// Creates the transport.
    ///
    /// - Parameter client: The shared HTTP client (its lifecycle is the caller's).
    package init(client: HTTPClient) {
        self.client = client
    }

    package func post(url: String, headers: [(String, String)], body: [UInt8], timeout: Duration) async throws
        -> WebhookResponse
    {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = NIODeadline.now() + TimeAmount.nanoseconds(Self.nanoseconds(timeout))
        do {
            let response = try await self.client.execute(request, deadline: deadline)
            var kept: [UInt8] = []
            for try await chunk in response.body {
                let room = WebhookResponse.maximumBodyBytes - kept.count
                if room > 0 {
                    kept += chunk.readableBytesView.prefix(room)
                }
                if kept.count >= WebhookResponse.maximumBodyBytes { break }
            }
            return WebhookResponse(
                statusCode: Int(response.status.code), retryAfter: response.headers.first(name: "retry-after"),
                bodyPrefix: String(decoding: kept, as: UTF8.self))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw WebhookTransportError("timeout after \(timeout)", retryable: true)
        } catch let error as WebhookTransportError {
            throw error
        } catch {
            throw WebhookTransportError("request failed: \(Self.reason(error))", retryable: true)
        }
    }

    /// A short, secret-free reason for a failed request.
    private static func reason(_ error: any Error) -> String {
        String(String(describing: error).prefix(200))
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
