import EchoFixture
import RPCServer
import Testing

@Suite("RPC router")
struct RPCRouterTests {
    private static let echoBytes = MethodDescriptor(service: "test.Raw", method: "Echo", kind: .unary)

    private static func router() -> RPCRouter {
        var router = RPCRouter()
        router.registerUnary(Self.echoBytes, deserializer: RawBytes(), serializer: RawBytes()) { request, _ in request }
        return router
    }

    @Test("A unary method given no request message fails with INTERNAL naming the method")
    func unaryWithoutRequest() async throws {
        let client = RPCClient(transport: InProcessTransport(router: Self.router()))

        let error = await #expect(throws: RPCError.self) {
            try await client.clientStreaming(
                Self.echoBytes,
                serializer: RawBytes(),
                deserializer: RawBytes(),
                metadata: [:],
                options: .defaults
            ) { _ in }
        }

        #expect(error?.code == .internalError)
        #expect(error?.message.contains("/test.Raw/Echo expects exactly one request message") == true)
    }

    @Test("A unary method given two request messages fails with INTERNAL")
    func unaryWithTwoRequests() async throws {
        let client = RPCClient(transport: InProcessTransport(router: Self.router()))

        let error = await #expect(throws: RPCError.self) {
            try await client.clientStreaming(
                Self.echoBytes,
                serializer: RawBytes(),
                deserializer: RawBytes(),
                metadata: [:],
                options: .defaults
            ) { writer in
                try await writer.write([1])
                try await writer.write([2])
            }
        }

        #expect(error?.code == .internalError)
        #expect(error?.message.contains("sent more") == true)
    }

    @Test("Malformed protobuf bytes are answered with INVALID_ARGUMENT naming the message type")
    func malformedProtobuf() async throws {
        let client = RPCClient(transport: InProcessTransport(router: Self.routerWithEcho()))
        let get = MethodDescriptor(service: "metachat.fixture.v1.EchoService", method: "Get", kind: .unary)

        let error = await #expect(throws: RPCError.self) {
            try await client.unary(
                get,
                request: [0xFF, 0xFF, 0xFF],
                serializer: RawBytes(),
                deserializer: RawBytes(),
                metadata: [:],
                options: .defaults
            )
        }

        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("metachat.fixture.v1.EchoRequest") == true)
    }

    @Test("Registering a path twice keeps the later handler")
    func laterRegistrationWins() async throws {
        var router = Self.router()
        router.registerUnary(Self.echoBytes, deserializer: RawBytes(), serializer: RawBytes()) { _, _ in [9] }
        let client = RPCClient(transport: InProcessTransport(router: router))

        let response = try await client.unary(
            Self.echoBytes,
            request: [1],
            serializer: RawBytes(),
            deserializer: RawBytes(),
            metadata: [:],
            options: .defaults
        )

        #expect(response == [9])
        #expect(router.methods.count == 1)
    }

    private static func routerWithEcho() -> RPCRouter {
        var router = RPCRouter()
        EchoHandler().registerMethods(with: &router)
        return router
    }
}

/// Passes bytes through unchanged.
struct RawBytes: MessageSerializer, MessageDeserializer {
    func serialize(_ message: [UInt8]) throws -> [UInt8] { message }
    func deserialize(_ bytes: [UInt8]) throws -> [UInt8] { bytes }
}
