package import RPCServer
internal import Synchronization

/// Answers the echo fixture's methods for tests, interop checks and benchmarks.
///
/// - `text` starting with `fail:` makes a call throw `INVALID_ARGUMENT` with the rest of the
///   text as its message; `fail:secret` throws an error that is not `RPCErrorConvertible`.
/// - `text == "wait"` makes `Get` and `Expand` wait until cancelled (deadline or client cancel);
///   every cancellation seen is counted, and `Probe` with text `cancellations` answers the count.
/// - Request metadata whose key starts with `echo-` comes back as initial and trailing metadata.
/// - `Probe` answers the `x-probe` request header as its text.
/// - Every response carries the request it answers in `request`; `Expand` numbers its messages
///   in `eventID` and starts after `afterEventID` when set.
package struct EchoHandler: Metachat_Fixture_V1_EchoService.Handler {
    /// Counts cancellations so tests can see a cancel reach the handler.
    private final class Ledger: Sendable {
        let cancellations = Mutex(0)
    }

    /// An error that is not `RPCErrorConvertible`, to prove its text never reaches clients.
    struct SecretError: Error, CustomStringConvertible {
        var description: String { "password=hunter2" }
    }

    private let ledger = Ledger()

    /// Creates the handler.
    package init() {}

    package func get(
        request: Metachat_Fixture_V1_EchoRequest,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        try Self.check(request)
        self.echoMetadata(context)
        if request.text == "wait" {
            try await self.waitForCancellation()
        }
        return Self.echo(request, index: 0)
    }

    package func update(
        request: Metachat_Fixture_V1_EchoRequest,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        Self.echo(request, index: 0)
    }

    package func replace(
        request: Metachat_Fixture_V1_EchoRequest,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        Self.echo(request, index: 0)
    }

    package func delete(
        request: Metachat_Fixture_V1_EchoRequest,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        Self.echo(request, index: 0)
    }

    package func probe(
        request: Metachat_Fixture_V1_EchoRequest,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        var response = Self.echo(request, index: 0)
        if request.text == "cancellations" {
            response.index = Int32(self.ledger.cancellations.withLock { $0 })
        } else {
            response.text = context.requestMetadata.firstString(forKey: "x-probe") ?? ""
        }
        return response
    }

    package func expand(
        request: Metachat_Fixture_V1_EchoRequest,
        response: RPCWriter<Metachat_Fixture_V1_EchoResponse>,
        context: ServerContext
    ) async throws {
        try Self.check(request)
        self.echoMetadata(context)
        let first = Int(request.afterEventID).map { $0 + 1 } ?? 0
        for index in first..<max(first, Int(request.repeat)) {
            var message = Self.echo(request, index: index)
            message.eventID = String(index)
            message.echoed = request.text
            try await response.write(message)
        }
        if request.text == "wait" {
            try await self.waitForCancellation()
        }
    }

    package func collect(
        request: RPCAsyncSequence<Metachat_Fixture_V1_EchoRequest>,
        context: ServerContext
    ) async throws -> Metachat_Fixture_V1_EchoResponse {
        var texts: [String] = []
        for try await message in request {
            try Self.check(message)
            texts.append(message.text)
        }
        var response = Metachat_Fixture_V1_EchoResponse()
        response.text = texts.joined(separator: " ")
        response.summary.count = Int32(texts.count)
        return response
    }

    package func chat(
        request: RPCAsyncSequence<Metachat_Fixture_V1_EchoRequest>,
        response: RPCWriter<Metachat_Fixture_V1_EchoResponse>,
        context: ServerContext
    ) async throws {
        var index = 0
        for try await message in request {
            try Self.check(message)
            try await response.write(Self.echo(message, index: index))
            index += 1
        }
    }

    /// Suspends until the task is cancelled (at most an hour), then counts the cancellation
    /// and rethrows it.
    private func waitForCancellation() async throws {
        do {
            try await Task.sleep(for: .seconds(3600))
        } catch {
            self.ledger.cancellations.withLock { $0 += 1 }
            throw error
        }
    }

    private func echoMetadata(_ context: ServerContext) {
        var echoed = Metadata()
        for element in context.requestMetadata where element.key.hasPrefix("echo-") {
            echoed.append(element)
        }
        guard !echoed.isEmpty else { return }
        context.response.addInitial(echoed)
        context.response.addTrailing(echoed)
    }

    private static func check(_ request: Metachat_Fixture_V1_EchoRequest) throws {
        if request.text == "fail:secret" {
            throw SecretError()
        }
        if request.text.hasPrefix("fail:") {
            throw RPCError(code: .invalidArgument, message: String(request.text.dropFirst("fail:".count)))
        }
    }

    private static func echo(
        _ request: Metachat_Fixture_V1_EchoRequest,
        index: Int
    ) -> Metachat_Fixture_V1_EchoResponse {
        var response = Metachat_Fixture_V1_EchoResponse()
        response.text = request.text
        response.index = Int32(index)
        response.labels = request.labels
        response.request = request
        return response
    }
}
