/// Turns texts into vectors: the OpenAI-compatible client (``OpenAIEmbeddingClient``), or a
/// test's own.
package protocol TextEmbedder: Sendable {
    /// The model name recorded with every vector.
    var model: String { get }

    /// One vector per text, in order, all of the same dimension.
    ///
    /// - Throws: ``EmbeddingError`` when the service fails or answers something unusable.
    func embed(_ texts: [String]) async throws -> [[Float]]
}

/// The embedding service failed or answered something unusable.
package struct EmbeddingError: Error, CustomStringConvertible {
    /// What went wrong, for logs and a document's `last_ingest_error` (never a key).
    package var message: String
    /// Whether trying again later may succeed (timeouts, 429, 5xx), as opposed to a request the
    /// service will always refuse (401, 400).
    package var isTransient: Bool

    /// Creates an error.
    package init(_ message: String, isTransient: Bool) {
        self.message = message
        self.isTransient = isTransient
    }

    package var description: String { self.message }
}
