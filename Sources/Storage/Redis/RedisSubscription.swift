/// The messages published on one channel, from the moment Redis confirmed the subscription.
///
/// Iterate it with `for await`. The subscription ends when ``cancel()`` is called, when the task
/// iterating it is cancelled, or when the subscriber shuts down; the channel is unsubscribed once
/// no subscription wants it. Across a Redis restart the subscriber resubscribes by itself;
/// messages published while it was disconnected are lost, as pub/sub never stores them.
package struct RedisSubscription: AsyncSequence, Sendable {
    package typealias Element = RedisPubSubMessage

    /// The channel.
    package let channel: String
    private let stream: AsyncStream<RedisPubSubMessage>
    private let continuation: AsyncStream<RedisPubSubMessage>.Continuation

    init(
        channel: String,
        stream: AsyncStream<RedisPubSubMessage>,
        continuation: AsyncStream<RedisPubSubMessage>.Continuation
    ) {
        self.channel = channel
        self.stream = stream
        self.continuation = continuation
    }

    /// Ends the subscription; iteration finishes after the messages already buffered.
    package func cancel() {
        self.continuation.finish()
    }

    /// Iterates the messages.
    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<RedisPubSubMessage>.AsyncIterator

        /// The next message, or `nil` once the subscription ended.
        package mutating func next() async -> RedisPubSubMessage? {
            await self.base.next(isolation: #isolation)
        }

        /// The next message, or `nil` once the subscription ended.
        package mutating func next(isolation actor: isolated (any Actor)?) async -> RedisPubSubMessage? {
            await self.base.next(isolation: actor)
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.stream.makeAsyncIterator())
    }
}
