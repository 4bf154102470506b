package import AsyncHTTPClient
internal import FoundationEssentials
internal import NIOCore
internal import NIOHTTP1

/// An OpenAI-compatible `/v1/embeddings` client (OpenAI, Ollama, vLLM, TEI, the offline model
/// server `scripts/embedding-server.py`): inputs in batches of ``Configuration/batchSize``,
/// transient failures (connection errors, timeouts, 429, 5xx) retried with jittered exponential
/// backoff, every answer checked (one vector per input, one dimension).
///
/// ```swift
/// let client = OpenAIEmbeddingClient(
///     configuration: .init(baseURL: "http://127.0.0.1:8089/v1", model: "all-MiniLM-L6-v2"), http: http)
/// let vectors = try await client.embed(["first passage", "second passage"])
/// ```
package struct OpenAIEmbeddingClient: TextEmbedder {
    /// Where the service is and how to call it.
    package struct Configuration: Sendable {
        /// Base URL including the version path, e.g. `https://api.openai.com/v1`.
        package var baseURL: String
        /// Bearer token; empty: none sent.
        package var apiKey: String
        /// Model name sent with every request.
        package var model: String
        /// The `dimensions` asked for (models that can shorten their vectors, like
        /// text-embedding-3-*); `nil`: not sent, the model's own size.
        package var dimensions: Int?
        /// Inputs per request (default 64; at least 32 unless fewer are asked for).
        package var batchSize: Int
        /// Attempts per batch, the first included (default 4).
        package var attempts: Int
        /// Time one request may take (default 60 s).
        package var requestTimeout: Duration
        /// Delay before the first retry, doubled each time, with jitter (default 0.5 s).
        package var initialBackoff: Duration

        /// A configuration with the defaults above.
        package init(
            baseURL: String, apiKey: String = "", model: String, dimensions: Int? = nil, batchSize: Int = 64,
            attempts: Int = 4, requestTimeout: Duration = .seconds(60), initialBackoff: Duration = .milliseconds(500)
        ) {
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
            self.apiKey = apiKey
            self.model = model
            self.dimensions = dimensions
            self.batchSize = batchSize
            self.attempts = attempts
            self.requestTimeout = requestTimeout
            self.initialBackoff = initialBackoff
        }
    }

    /// The configuration.
    package let configuration: Configuration
    private let transport: any ModelHTTPTransport
    /// Whether the base URL came from a tenant's settings: then every connection goes through the
    /// egress check of the transport, as for a tenant's LLM base URL.
    private let tenantSupplied: Bool

    /// Creates a client for the server's own (operator-configured) service.
    ///
    /// - Parameters:
    ///   - configuration: The service.
    ///   - http: The HTTP client (owned by the caller, shut down by it).
    package init(configuration: Configuration, http: HTTPClient) {
        self.init(configuration: configuration, transport: DirectModelHTTPTransport(http: http), tenantSupplied: false)
    }

    /// Creates a client sending through `transport`.
    ///
    /// - Parameters:
    ///   - configuration: The service.
    ///   - transport: Sends the requests (the outbound client checks tenant-supplied hosts).
    ///   - tenantSupplied: Whether the base URL is a tenant's.
    package init(configuration: Configuration, transport: any ModelHTTPTransport, tenantSupplied: Bool) {
        self.configuration = configuration
        self.transport = transport
        self.tenantSupplied = tenantSupplied
    }

    package var model: String { self.configuration.model }

    package func embed(_ texts: [String]) async throws -> [[Float]] {
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        let size = max(1, self.configuration.batchSize)
        var start = 0
        while start < texts.count {
            let batch = Array(texts[start..<min(texts.count, start + size)])
            vectors += try await self.embedWithRetries(batch)
            start += size
        }
        if let dimension = vectors.first?.count, vectors.contains(where: { $0.count != dimension }) {
            throw EmbeddingError("the embedding service answered vectors of different dimensions", isTransient: false)
        }
        return vectors
    }

    private func embedWithRetries(_ batch: [String]) async throws -> [[Float]] {
        var delay = self.configuration.initialBackoff
        var attempt = 1
        while true {
            do {
                return try await self.request(batch)
            } catch let error as EmbeddingError where error.isTransient && attempt < self.configuration.attempts {
                let jitter = Double.random(in: 0.5...1.5)
                try await Task.sleep(for: delay * jitter)
                delay *= 2
                attempt += 1
            }
        }
    }

    private struct RequestBody: Encodable {
        var model: String
        var input: [String]
        var dimensions: Int?
    }

    private struct ResponseBody: Decodable {
        struct Item: Decodable {
            var embedding: [Float]
            var index: Int?
        }
        var data: [Item]
    }

    private func request(_ batch: [String]) async throws -> [[Float]] {
        var request = HTTPClientRequest(url: self.configuration.baseURL + "/embeddings")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if !self.configuration.apiKey.isEmpty {
            request.headers.add(name: "authorization", value: "Bearer \(self.configuration.apiKey)")
        }
        let body = try JSONEncoder().encode(
            RequestBody(model: self.configuration.model, input: batch, dimensions: self.configuration.dimensions))
        request.body = .bytes(ByteBuffer(bytes: body))
        let seconds = self.configuration.requestTimeout.components.seconds
        let response: HTTPClientResponse
        do {
            response = try await self.transport.execute(
                request, tenantSupplied: self.tenantSupplied, timeout: .seconds(max(1, seconds)))
        } catch let refusal as EgressRefusal {
            throw EmbeddingError("the embedding service's address is refused: \(refusal)", isTransient: false)
        } catch let error as HTTPClientError {
            throw EmbeddingError("the embedding service could not be reached (\(error))", isTransient: true)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw EmbeddingError("the embedding service could not be reached", isTransient: true)
        }
        let status = response.status.code
        let bytes: ByteBuffer
        do {
            bytes = try await response.body.collect(upTo: 256 << 20)
        } catch {
            throw EmbeddingError("the embedding service's answer could not be read", isTransient: true)
        }
        guard status == 200 else {
            let transient = status == 429 || status == 408 || status >= 500
            throw EmbeddingError("the embedding service answered HTTP \(status)", isTransient: transient)
        }
        guard let decoded = try? JSONDecoder().decode(ResponseBody.self, from: Data(bytes.readableBytesView)) else {
            throw EmbeddingError("the embedding service's answer is not an embeddings response", isTransient: false)
        }
        guard decoded.data.count == batch.count else {
            throw EmbeddingError(
                "the embedding service answered \(decoded.data.count) vectors for \(batch.count) inputs",
                isTransient: false)
        }
        let ordered = decoded.data.enumerated().sorted {
            ($0.element.index ?? $0.offset) < ($1.element.index ?? $1.offset)
        }
        let vectors = ordered.map(\.element.embedding)
        guard let first = vectors.first, (1...2000).contains(first.count),
            vectors.allSatisfy({ $0.count == first.count && $0.allSatisfy(\.isFinite) })
        else {
            throw EmbeddingError(
                "the embedding service answered vectors of unusable dimensions (1-2000 finite numbers needed)",
                isTransient: false)
        }
        return vectors
    }
}
