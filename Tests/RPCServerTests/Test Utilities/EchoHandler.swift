import EchoFixture
import RPCServer

/// Answers the echo fixture's methods; `text` values starting with `fail:` make it throw.
struct EchoHandler: Metachat_Fixture_V1_EchoService.Handler {
    /// An error that is not `RPCErrorConvertible`, to prove its text never reaches clients.
    struct SecretError: Error, CustomStringConvertible {
        var description: String { "password=hunter2" }
    }

    func get(request: Metachat_Fixture_V1_EchoRequest, context: ServerContext) async throws -> Metachat_Fixture_V1_EchoResponse {
        try Self.check(request)
        return Self.echo(request, index: 0)
    }

    func update(request: Metachat_Fixture_V1_EchoRequest, context: ServerContext) async throws -> Metachat_Fixture_V1_EchoResponse {
        Self.echo(request, index: 0)
    }

    func replace(request: Metachat_Fixture_V1_EchoRequest, context: ServerContext) async throws -> Metachat_Fixture_V1_EchoResponse {
        Self.echo(request, index: 0)
    }

    func delete(request: Metachat_Fixture_V1_EchoRequest, context: ServerContext) async throws -> Metachat_Fixture_V1_EchoResponse {
        Self.echo(request, index: 0)
    }

    func probe(request: Metachat_Fixture_V1_EchoRequest, context: ServerContext) async throws -> Metachat_Fixture_V1_EchoResponse {
        var response = Self.echo(request, index: 0)
        response.text = context.requestMetadata.firstString(forKey: "x-probe") ?? ""
        return response
    }

    func expand(
        request: Metachat_Fixture_V1_EchoRequest,
        response: RPCWriter<Metachat_Fixture_V1_EchoResponse>,
        context: ServerContext
    ) async throws {
        try Self.check(request)
        for index in 0..<Int(request.repeat) {
            try await response.write(Self.echo(request, index: index))
        }
    }

    func collect(
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

    func chat(
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

    private static func check(_ request: Metachat_Fixture_V1_EchoRequest) throws {
        if request.text == "fail:secret" {
            throw SecretError()
        }
        if request.text.hasPrefix("fail:") {
            throw RPCError(code: .invalidArgument, message: "text must not start with 'fail:'")
        }
    }

    private static func echo(_ request: Metachat_Fixture_V1_EchoRequest, index: Int) -> Metachat_Fixture_V1_EchoResponse {
        var response = Metachat_Fixture_V1_EchoResponse()
        response.text = request.text
        response.index = Int32(index)
        response.labels = request.labels
        return response
    }
}
