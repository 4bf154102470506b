extension RPCAsyncSequence {
    /// Reads the one message of a stream that must carry exactly one (a unary request or
    /// response), enforcing that cardinality.
    ///
    /// - Parameters:
    ///   - none: The message when the stream ended empty.
    ///   - more: The message when a second message arrived.
    /// - Returns: The message.
    /// - Throws: ``RPCError`` `internalError` with `none` or `more`, as gRPC answers
    ///   cardinality violations, or the stream's own error.
    func onlyMessage(none: @autoclosure () -> String, more: @autoclosure () -> String) async throws -> Element {
        var iterator = self.makeAsyncIterator()
        guard let first = try await iterator.next() else {
            throw RPCError(code: .internalError, message: none())
        }
        guard try await iterator.next() == nil else {
            throw RPCError(code: .internalError, message: more())
        }
        return first
    }

    /// ``onlyMessage(none:more:)`` with the server's wording for a request stream.
    ///
    /// - Parameter path: The method's path, named in the error.
    @usableFromInline
    func onlyRequest(of path: String) async throws -> Element {
        try await self.onlyMessage(
            none: "\(path) expects exactly one request message; the client sent none.",
            more: "\(path) expects exactly one request message; the client sent more."
        )
    }

    /// ``onlyMessage(none:more:)`` with the client's wording for a response stream.
    ///
    /// - Parameter path: The method's path, named in the error.
    func onlyResponse(of path: String) async throws -> Element {
        try await self.onlyMessage(
            none: "\(path) answered with no response message.",
            more: "\(path) answered with more than one response message."
        )
    }
}
