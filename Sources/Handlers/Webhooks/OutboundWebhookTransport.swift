internal import AsyncHTTPClient
internal import NIOCore
internal import NIOHTTP1

/// The ``WebhookTransport`` `serve` uses: the ``OutboundHTTPClient`` with its egress guard in
/// front (`.tenantSupplied(requireHTTPS: true)`: every connection checked after resolving, https
/// unless the address is inside `OUTBOUND_ALLOW_CIDRS`). A refused destination is a final failure
/// naming why; connect errors and timeouts are retried.
package struct OutboundWebhookTransport: WebhookTransport {
    let client: OutboundHTTPClient

    /// Creates the transport.
    ///
    /// - Parameter client: The server's outbound client, configured not to follow redirects.
    package init(client: OutboundHTTPClient) {
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
        do {
            let response = try await self.client.execute(
                request, destination: .tenantSupplied(requireHTTPS: true), timeout: timeout)
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
        } catch let refusal as EgressRefusal {
            throw WebhookTransportError("refused: \(refusal.description)", retryable: false)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw WebhookTransportError("timeout after \(timeout)", retryable: true)
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw WebhookTransportError("connect timeout", retryable: true)
        } catch {
            throw WebhookTransportError(
                "request failed: \(String(String(describing: error).prefix(200)))", retryable: true)
        }
    }
}

/// The egress guard deciding at save time whether a tenant may send webhooks to a URL.
package struct OutboundWebhookDestinations: WebhookDestinationCheck {
    let client: OutboundHTTPClient

    /// Creates the check.
    package init(client: OutboundHTTPClient) {
        self.client = client
    }

    package func check(url: String) async throws(WebhookDestinationRefusal) {
        do {
            try await self.client.check(url: url, requireHTTPS: true)
        } catch let refusal as EgressRefusal {
            throw WebhookDestinationRefusal(refusal.description)
        } catch {
            throw WebhookDestinationRefusal("\(url) could not be checked")
        }
    }
}
