/// A type-erased stream of messages: the requests of a client- or bidi-streaming call on the
/// server, or the responses of a server-streaming call on the client.
package struct RPCAsyncSequence<Element: Sendable>: AsyncSequence, Sendable {
    /// The iterator over the erased sequence.
    package struct AsyncIterator: AsyncIteratorProtocol {
        private var base: any AsyncIteratorProtocol<Element, any Error>

        fileprivate init(base: any AsyncIteratorProtocol<Element, any Error>) {
            self.base = base
        }

        package mutating func next() async throws -> Element? {
            try await self.base.next(isolation: nil)
        }
    }

    private let makeBase: @Sendable () -> any AsyncIteratorProtocol<Element, any Error>

    /// Wraps any sendable sequence.
    ///
    /// - Parameter base: The sequence to erase.
    package init<Base: AsyncSequence & Sendable>(wrapping base: Base)
    where Base.Element == Element, Base.Failure == any Error {
        self.makeBase = { base.makeAsyncIterator() }
    }

    /// Wraps a non-throwing sendable sequence.
    ///
    /// - Parameter base: The sequence to erase.
    package init<Base: AsyncSequence & Sendable>(wrapping base: Base)
    where Base.Element == Element, Base.Failure == Never {
        self.makeBase = { ThrowingIterator(base: base.makeAsyncIterator()) }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.makeBase())
    }
}

extension RPCAsyncSequence {
    /// A sequence of exactly the given messages.
    ///
    /// - Parameter elements: The messages, in order.
    /// - Returns: A sequence that yields `elements` and finishes.
    package static func elements(_ elements: [Element]) -> Self {
        let (stream, continuation) = AsyncThrowingStream<Element, any Error>.makeStream()
        for element in elements {
            continuation.yield(element)
        }
        continuation.finish()
        return RPCAsyncSequence(wrapping: stream)
    }

    /// Transforms each message.
    ///
    /// - Parameter transform: The transform; its errors end the sequence.
    /// - Returns: The transformed sequence.
    package func mapMessages<Output: Sendable>(
        _ transform: @escaping @Sendable (Element) throws -> Output
    ) -> RPCAsyncSequence<Output> {
        RPCAsyncSequence<Output>(wrapping: MappedSequence(base: self, transform: transform))
    }
}

/// Adapts a non-throwing iterator to the erased throwing iterator.
private struct ThrowingIterator<Base: AsyncIteratorProtocol>: AsyncIteratorProtocol
where Base.Failure == Never {
    var base: Base

    mutating func next() async throws -> Base.Element? {
        await self.base.next(isolation: nil)
    }
}

/// A sequence whose messages pass through a throwing transform.
private struct MappedSequence<Input: Sendable, Output: Sendable>: AsyncSequence, Sendable {
    typealias Failure = any Error

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RPCAsyncSequence<Input>.AsyncIterator
        let transform: @Sendable (Input) throws -> Output

        mutating func next() async throws -> Output? {
            guard let input = try await self.base.next() else { return nil }
            return try self.transform(input)
        }
    }

    let base: RPCAsyncSequence<Input>
    let transform: @Sendable (Input) throws -> Output

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), transform: self.transform)
    }
}
